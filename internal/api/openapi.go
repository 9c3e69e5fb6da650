package api

import _ "embed"

// openAPIDocument is the OpenAPI 3 description of every route, served at
// /api/v1/openapi.json. It is written by hand; a test checks that it and
// the registered routes agree.
//
//go:embed openapi.json
var openAPIDocument []byte

package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/metrics"
)

type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas    map[string]json.RawMessage `json:"schemas"`
		Parameters map[string]openAPIParam    `json:"parameters"`
		Responses  map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Parameters  []openAPIParam             `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

type openAPIParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// TestOpenAPIMatchesRoutes fails when a registered route is missing from
// the document or the document describes a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, envOptions{monitor: true})
	// A server with every optional part, as serve builds it.
	s := New(Config{Engine: e.engine, Metrics: metrics.New(metrics.Options{NoRuntime: true}).Handler(), Monitor: http.NotFoundHandler()})
	var doc openAPIDoc
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	registered := map[string]bool{}
	for _, rt := range s.routes {
		registered[strings.ToLower(rt.method)+" "+rt.pattern] = true
	}
	documented := map[string]bool{}
	opIDs := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := method + " " + path
			documented[key] = true
			if op.OperationID == "" || len(op.Responses) == 0 {
				t.Errorf("%s: needs an operationId and responses", key)
			}
			if prev, dup := opIDs[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s", op.OperationID, prev, key)
			}
			opIDs[op.OperationID] = key
			// Every {param} of the path is declared.
			for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range op.Parameters {
					if p.Ref != "" {
						p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
					}
					if p.In == "path" && p.Name == m[1] {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: path parameter %s is not declared", key, m[1])
				}
			}
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("openapi.json describes routes that do not exist: %v", extra)
	}
	if len(registered) < 25 {
		t.Fatalf("only %d routes registered", len(registered))
	}
	// Every $ref resolves.
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(string(openAPIDocument), -1)
	for _, r := range refs {
		var ok bool
		switch r[1] {
		case "schemas":
			_, ok = doc.Components.Schemas[r[2]]
		case "parameters":
			_, ok = doc.Components.Parameters[r[2]]
		case "responses":
			_, ok = doc.Components.Responses[r[2]]
		}
		if !ok {
			t.Errorf("unresolved $ref #/components/%s/%s", r[1], r[2])
		}
	}
	// The document is served.
	r := e.do("GET", "/api/v1/openapi.json", nil)
	if r.code != 200 || string(r.body) != string(openAPIDocument) {
		t.Fatalf("GET /api/v1/openapi.json: %d", r.code)
	}
}

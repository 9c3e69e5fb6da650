package wire

import (
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// Provider is one service YTMaker can use, as GET /providers lists it. It
// never carries a key.
type Provider struct {
	// Name identifies the service in POST /providers/{name}/test.
	Name string `json:"name"`
	// Kind is what it does: script, tts, images, avatar or upload.
	Kind string `json:"kind"`
	// Choice is the value that picks it in settings.providers.
	Choice     string   `json:"choice"`
	Title      string   `json:"title"`
	Configured bool     `json:"configured"`
	Default    bool     `json:"default"`
	BuiltIn    bool     `json:"built_in"`
	Host       string   `json:"host,omitempty"`
	Model      string   `json:"model,omitempty"`
	Voice      string   `json:"voice,omitempty"`
	Settings   []string `json:"settings,omitempty"`
}

// ProviderList is GET /providers: every service, in pipeline order, and
// the default choice of each kind.
type ProviderList struct {
	Providers []Provider        `json:"providers"`
	Defaults  map[string]string `json:"defaults"`
	// TestIntervalSeconds is the least time between two tests of one
	// service.
	TestIntervalSeconds float64 `json:"test_interval_seconds"`
}

// ProviderTest is the outcome of POST /providers/{name}/test: ok with the
// call's latency, or the coded error the service's answer maps to.
type ProviderTest struct {
	Name      string         `json:"name"`
	OK        bool           `json:"ok"`
	LatencyMS int64          `json:"latency_ms"`
	Message   string         `json:"message,omitempty"`
	Error     *errcode.Error `json:"error,omitempty"`
	TestedAt  time.Time      `json:"tested_at"`
}

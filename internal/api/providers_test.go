package api

import (
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeelevenlabs"
	"github.com/ytmaker/ytmaker/internal/providers/catalog"
)

func providerCatalog(t *testing.T, env map[string]string) *catalog.Catalog {
	t.Helper()
	env["DATA_DIR"] = t.TempDir()
	c, err := config.Load(config.Sources{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	return catalog.New(c, catalog.Options{MinInterval: time.Hour})
}

func TestProvidersListAndTest(t *testing.T) {
	srv := fakeelevenlabs.New(fakeelevenlabs.Options{APIKey: "el-key-1234567890"})
	defer srv.Close()
	cat := providerCatalog(t, map[string]string{"ELEVENLABS_API_KEY": "el-key-1234567890", "ELEVENLABS_BASE_URL": srv.URL(),
		"OPENAI_API_KEY": "sk-other-0987654321"})
	e := newEnv(t, envOptions{providers: cat})

	var list wire.ProviderList
	r := e.do("GET", "/api/v1/providers", nil).ok(200, &list)
	if strings.Contains(string(r.body), "el-key") || strings.Contains(string(r.body), "sk-other") || strings.Contains(string(r.body), "0987654321") {
		t.Fatalf("the list shows a key: %s", r.body)
	}
	found := map[string]wire.Provider{}
	for _, p := range list.Providers {
		found[p.Name] = p
	}
	el := found["elevenlabs"]
	if !el.Configured || !el.Default || el.Kind != "tts" || el.Host != strings.TrimPrefix(srv.URL(), "http://") || el.Voice == "" || el.Model == "" {
		t.Fatalf("elevenlabs %+v", el)
	}
	if found["stability"].Configured || !found["slides"].Default || list.Defaults["tts"] != "elevenlabs" || list.Defaults["upload"] != "none" {
		t.Fatalf("list %+v", list)
	}

	var res wire.ProviderTest
	e.do("POST", "/api/v1/providers/elevenlabs/test", nil).ok(200, &res)
	if !res.OK || res.Name != "elevenlabs" || res.Error != nil || res.LatencyMS < 0 || !strings.Contains(res.Message, "characters left") {
		t.Fatalf("test %+v", res)
	}
	// Hammering is refused with Retry-After.
	r = e.do("POST", "/api/v1/providers/elevenlabs/test", nil)
	r.fails(429, catalog.CodeTestTooSoon)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	if srv.Calls() != 1 {
		t.Fatalf("%d calls reached the service", srv.Calls())
	}
	e.do("POST", "/api/v1/providers/nope/test", nil).fails(404, catalog.CodeNotFound)
	e.do("POST", "/api/v1/providers/stability/test", nil).fails(409, catalog.CodeNotConfigured)
	e.do("GET", "/api/v1/providers/elevenlabs/test", nil).fails(405, "METHOD_NOT_ALLOWED")
}

func TestProviderTestReportsTheServiceError(t *testing.T) {
	srv := fakeelevenlabs.New(fakeelevenlabs.Options{APIKey: "right"})
	defer srv.Close()
	cat := providerCatalog(t, map[string]string{"ELEVENLABS_API_KEY": "wrong-key-abcdef", "ELEVENLABS_BASE_URL": srv.URL()})
	e := newEnv(t, envOptions{providers: cat})
	var res wire.ProviderTest
	r := e.do("POST", "/api/v1/providers/elevenlabs/test", nil).ok(200, &res)
	if res.OK || res.Error == nil || res.Error.Code != "ELEVENLABS_AUTH_FAILED" || res.Error.Retryable {
		t.Fatalf("test %s", r.body)
	}
	if strings.Contains(string(r.body), "wrong-key") {
		t.Fatalf("the answer shows the key: %s", r.body)
	}
}

func TestProvidersWithoutCatalog(t *testing.T) {
	e := newEnv(t, envOptions{})
	var list wire.ProviderList
	e.do("GET", "/api/v1/providers", nil).ok(200, &list)
	if len(list.Providers) != 0 {
		t.Fatalf("%+v", list)
	}
	e.do("POST", "/api/v1/providers/gemini/test", nil).fails(404, catalog.CodeNotFound)
}

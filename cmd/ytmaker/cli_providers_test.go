package main

import (
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/fakes/fakedid"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/providers/catalog"
)

func TestCLIProviders(t *testing.T) {
	srv := fakestability.New(fakestability.Options{APIKey: "sk-cli-right", Credits: 7})
	defer srv.Close()
	avatar := fakedid.New(fakedid.Options{APIKey: "did-right"})
	defer avatar.Close()
	env := map[string]string{"DATA_DIR": t.TempDir(), "STABILITY_API_KEY": "sk-cli-right", "STABILITY_BASE_URL": srv.URL(),
		"DID_API_KEY": "did-wrong", "DID_BASE_URL": avatar.URL()}
	c, err := config.Load(config.Sources{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	addr := cliServerWith(t, "", catalog.New(c, catalog.Options{}))

	code, out, errOut := runCLI(t, providersList, "--addr", addr)
	wantOutput(t, "providers list", code, 0, out+errOut, "stability", "configured, default", strings.TrimPrefix(srv.URL(), "http://"),
		"elevenlabs", "not configured", "offline-voice", "built in", "ytmaker providers test NAME")
	if strings.Contains(out, "sk-cli") || strings.Contains(out, "did-wrong") {
		t.Fatalf("the list shows a key:\n%s", out)
	}
	code, out, _ = runCLI(t, providersTest, "stability", "--addr", addr)
	wantOutput(t, "providers test stability", code, 0, out, "✓ stability works", "7.00 credits left")
	code, out, _ = runCLI(t, providersTest, "stability", "--addr", addr, "--json")
	wantOutput(t, "providers test again", code, 1, out, "PROVIDER_TEST_RATE_LIMITED")
	code, out, _ = runCLI(t, providersTest, "d-id", "--addr", addr)
	wantOutput(t, "providers test d-id", code, 1, out, "✗ d-id failed", "code: DID_AUTH_FAILED")
	code, _, errOut = runCLI(t, providersTest, "gemini", "--addr", addr)
	wantOutput(t, "providers test gemini", code, 1, errOut, "PROVIDER_NOT_CONFIGURED", "GEMINI_API_KEY")
	code, _, errOut = runCLI(t, providersTest, "nope", "--addr", addr)
	wantOutput(t, "providers test nope", code, 1, errOut, "PROVIDER_NOT_FOUND")
	code, _, errOut = runCLI(t, providersTest, "--addr", addr)
	wantOutput(t, "providers test without a name", code, 2, errOut, "expected 1 argument")
}

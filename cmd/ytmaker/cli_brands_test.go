package main

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/project"
)

func TestCLIBrands(t *testing.T) {
	addr := cliServer(t, "")
	dir := t.TempDir()
	code, out, errOut := runCLI(t, brandsList, "--addr", addr)
	wantOutput(t, "brands list, empty", code, 0, out+errOut, "No brand presets")
	file := filepath.Join(dir, "rivers.json")
	os.WriteFile(file, []byte(`{"name": "rivers", "channel": "Rivers Weekly", "watermark": {"position": "bottom-right", "size": 0.2}, "outro": false}`), 0o644)
	code, out, errOut = runCLI(t, brandsSave, file, "--addr", addr)
	wantOutput(t, "brands save", code, 0, out+errOut, `Saved brand "rivers"`, "ytmaker brands logo rivers")
	img := image.NewNRGBA(image.Rect(0, 0, 100, 40))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	logo := filepath.Join(dir, "logo.png")
	f, _ := os.Create(logo)
	png.Encode(f, img)
	f.Close()
	code, out, errOut = runCLI(t, brandsLogo, "rivers", logo, "--addr", addr)
	wantOutput(t, "brands logo", code, 0, out+errOut, `Brand "rivers" now shows`, "rivers-logo-")
	code, out, errOut = runCLI(t, brandsList, "--addr", addr)
	wantOutput(t, "brands list", code, 0, out+errOut, "rivers", "Rivers Weekly", "yes", "bottom-right 20% 0.8", "off", "auto")
	code, out, _ = runCLI(t, brandsShow, "rivers", "--addr", addr)
	wantOutput(t, "brands show", code, 0, out, `"channel": "Rivers Weekly"`, `"outro": false`, `"logo": "rivers-logo-`)
	code, _, errOut = runCLI(t, brandsLogo, "rivers", file, "--addr", addr)
	wantOutput(t, "brands logo with a JSON file", code, 1, errOut, "MEDIA_UNSUPPORTED")
	os.WriteFile(file, []byte(`{"name": "bad", "channel": "c", "watermark": {"position": "middle"}}`), 0o644)
	code, _, errOut = runCLI(t, brandsSave, file, "--addr", addr)
	wantOutput(t, "brands save, bad position", code, 1, errOut, "INVALID_INPUT", "watermark.position")
	// A project not yet made names it: refused, then forced.
	cl, _ := apiclient.New("http://"+addr, "")
	in := project.Input{Name: "P", Content: "Some text."}
	in.Settings.Brand = "rivers"
	if _, err := cl.CreateProject(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, brandsRemove, "rivers", "--addr", addr)
	wantOutput(t, "brands rm while a project uses it", code, 1, errOut, "IN_USE", "1 unfinished project", "ytmaker brands rm --force")
	code, out, _ = runCLI(t, brandsRemove, "rivers", "--force", "--addr", addr)
	wantOutput(t, "brands rm --force", code, 0, out, `Deleted brand "rivers"`)
	code, _, errOut = runCLI(t, brandsShow, "rivers", "--addr", addr)
	wantOutput(t, "brands show after rm", code, 1, errOut, "BRAND_NOT_FOUND")
	code, _, errOut = runCLI(t, brandsRemove, "rivers", "--addr", addr)
	wantOutput(t, "brands rm twice", code, 1, errOut, "BRAND_NOT_FOUND")
}

func TestGenerateBrandFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bees.txt")
	if err := os.WriteFile(file, []byte("Bees dance. They tell where flowers are."), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := generateOptions{contentFile: file, theme: "Ocean", brand: "rivers", promptTemplate: "kids", visuals: "stock_video"}.input()
	if err != nil || in.Settings.Theme != "ocean" || in.Settings.Brand != "rivers" || in.Settings.PromptTemplate != "kids" ||
		in.Settings.Visuals != "stock_video" {
		t.Fatalf("%v %+v", err, in.Settings)
	}
	if _, err := (generateOptions{contentFile: file, visuals: "clipart"}).input(); err == nil || !strings.Contains(err.Error(), "settings.visuals") {
		t.Fatalf("bad visuals: %v", err)
	}
	if _, err := (generateOptions{contentFile: file, brand: "../x"}).input(); err == nil || !strings.Contains(err.Error(), "settings.brand") {
		t.Fatalf("bad brand name: %v", err)
	}
}

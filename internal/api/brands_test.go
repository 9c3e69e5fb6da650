package api

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/brand"
)

func logoPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 13)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// logoForm is a multipart body with data in field "file".
func logoForm(t *testing.T, field string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, "logo.gif") // the name says nothing
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &body, mw.FormDataContentType()
}

func TestBrandsCRUD(t *testing.T) {
	e := newEnv(t, envOptions{})
	var list wire.BrandList
	e.do("GET", "/api/v1/brands", nil).ok(http.StatusOK, &list)
	if list.Brands == nil || len(list.Brands) != 0 {
		t.Fatalf("fresh list %+v", list)
	}

	var b brand.Brand
	r := e.do("POST", "/api/v1/brands", map[string]any{"name": "rivers", "channel": "Rivers  Weekly",
		"watermark": map[string]any{"position": "bottom-left", "opacity": 0.5}, "theme": "ocean", "outro": false}).ok(http.StatusCreated, &b)
	if b.Name != "rivers" || b.Channel != "Rivers Weekly" || b.Watermark.Position != brand.BottomLeft || b.Watermark.Size != 0.12 ||
		b.OutroOn() || !b.IntroOn() || r.header.Get("Location") != "/api/v1/brands/rivers" {
		t.Fatalf("created %+v %v", b, r.header)
	}
	if _, err := os.Stat(filepath.Join(e.api.store.Root(), "brands", "rivers.json")); err != nil {
		t.Fatalf("not stored in DATA_DIR/brands: %v", err)
	}
	e.do("POST", "/api/v1/brands", map[string]any{"name": "rivers", "channel": "Again"}).fails(http.StatusConflict, "CONFLICT")
	b = brand.Brand{}
	e.do("PUT", "/api/v1/brands/rivers", map[string]any{"channel": "Rivers Daily", "theme": "auto"}).ok(http.StatusOK, &b)
	if b.Channel != "Rivers Daily" || b.Theme != "" || !b.OutroOn() || b.Watermark.Position != brand.TopRight {
		t.Fatalf("replaced %+v", b)
	}
	r = e.do("PUT", "/api/v1/brands/lakes", map[string]any{"channel": "Lakes"}).ok(http.StatusCreated, &b)
	if r.header.Get("Location") != "/api/v1/brands/lakes" {
		t.Fatalf("PUT of a new preset: %v", r.header)
	}
	e.do("GET", "/api/v1/brands/rivers", nil).ok(http.StatusOK, &b)
	if b.Channel != "Rivers Daily" {
		t.Fatalf("got %+v", b)
	}
	e.do("GET", "/api/v1/brands", nil).ok(http.StatusOK, &list)
	if len(list.Brands) != 2 || list.Brands[0].Name != "lakes" || list.Brands[1].Name != "rivers" {
		t.Fatalf("list %+v", list.Brands)
	}

	// Validation: 422 naming the field.
	bad := []struct {
		method, path string
		body         map[string]any
		field        string
	}{
		{"POST", "/api/v1/brands", map[string]any{"channel": "c"}, "name"},
		{"POST", "/api/v1/brands", map[string]any{"name": "Has Space", "channel": "c"}, "name"},
		{"POST", "/api/v1/brands", map[string]any{"name": "x", "channel": " "}, "channel"},
		{"POST", "/api/v1/brands", map[string]any{"name": "x", "channel": "c", "theme": "comic"}, "theme"},
		{"POST", "/api/v1/brands", map[string]any{"name": "x", "channel": "c", "logo": "../../etc/passwd.png"}, "logo"},
		{"POST", "/api/v1/brands", map[string]any{"name": "x", "channel": "c", "logo": "missing.png"}, "logo"},
		{"POST", "/api/v1/brands", map[string]any{"name": "x", "channel": "c", "watermark": map[string]any{"position": "middle"}}, "watermark.position"},
		{"PUT", "/api/v1/brands/x", map[string]any{"channel": "c", "watermark": map[string]any{"size": 0.9}}, "watermark.size"},
		{"PUT", "/api/v1/brands/x", map[string]any{"channel": "c", "watermark": map[string]any{"opacity": 3}}, "watermark.opacity"},
		{"PUT", "/api/v1/brands/a", map[string]any{"name": "b", "channel": "c"}, "name"},
		{"PUT", "/api/v1/brands/Bad", map[string]any{"channel": "c"}, "name"},
	}
	for _, c := range bad {
		err := e.do(c.method, c.path, c.body).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
		if err.Details["field"] != c.field {
			t.Errorf("%s %s %v: details %v, want field %s", c.method, c.path, c.body, err.Details, c.field)
		}
	}
	e.do("POST", "/api/v1/brands", map[string]any{"name": "x", "channel": "c", "extra": 1}).fails(http.StatusBadRequest, CodeUnknownField)
	e.do("GET", "/api/v1/brands/x", nil).fails(http.StatusNotFound, CodeBrandNotFound)

	// Projects name presets that exist, on creation and on change.
	var p wire.Project
	e.do("POST", "/api/v1/projects", map[string]any{"name": "P", "content": "Some text.",
		"settings": map[string]any{"brand": "rivers"}}).ok(http.StatusCreated, &p)
	if p.Settings.Brand != "rivers" {
		t.Fatalf("settings %+v", p.Settings)
	}
	err := e.do("POST", "/api/v1/projects", map[string]any{"name": "P", "content": "Some text.",
		"settings": map[string]any{"brand": "missing"}}).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	if err.Details["field"] != "settings.brand" || !strings.Contains(err.Message, "/api/v1/brands") {
		t.Fatalf("error %+v", err)
	}
	err = e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", p.ID), map[string]any{"settings": map[string]any{"brand": "missing"}}).
		fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	if err.Details["field"] != "settings.brand" {
		t.Fatalf("patch error %+v", err)
	}

	// An unfinished project names it: refused, with the project named,
	// and nothing deleted; ?force=true deletes it all the same.
	err = e.do("DELETE", "/api/v1/brands/rivers", nil).fails(http.StatusConflict, CodeInUse)
	if ids, _ := err.Details["projects"].([]any); len(ids) != 1 || ids[0] != float64(p.ID) || err.Details["count"] != float64(1) {
		t.Fatalf("in use: %+v", err)
	}
	e.do("GET", "/api/v1/brands/rivers", nil).ok(http.StatusOK, nil)
	e.do("DELETE", "/api/v1/brands/rivers?force=maybe", nil).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	r = e.do("DELETE", "/api/v1/brands/rivers?force=true", nil)
	if r.code != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE: HTTP %d %s", r.code, r.body)
	}
	e.do("DELETE", "/api/v1/brands/rivers", nil).fails(http.StatusNotFound, CodeBrandNotFound)
	e.do("GET", "/api/v1/brands/rivers", nil).fails(http.StatusNotFound, CodeBrandNotFound)
	// The project that names the deleted preset: any change must name
	// another, and so must the render (checked in package pipeline).
	err = e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", p.ID), map[string]any{"name": "Renamed"}).ok(http.StatusOK, nil).env.Error
	if err != nil {
		t.Fatalf("rename: %+v", err)
	}
	e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", p.ID), map[string]any{"settings": map[string]any{"brand": "lakes"}}).ok(http.StatusOK, &wire.PatchResult{})
}

func TestBrandLogoUpload(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.do("PUT", "/api/v1/brands/nobody/logo", bytes.NewReader(logoPNG(t, 64, 64)), "Content-Type", "image/png").
		fails(http.StatusNotFound, CodeBrandNotFound)
	e.do("GET", "/api/v1/brands/nobody/logo", nil).fails(http.StatusNotFound, CodeBrandNotFound)
	e.do("POST", "/api/v1/brands", map[string]any{"name": "rivers", "channel": "Rivers"}).ok(http.StatusCreated, nil)
	e.do("GET", "/api/v1/brands/rivers/logo", nil).fails(http.StatusNotFound, CodeBrandNotFound)

	// Raw body: the type comes from the bytes, whatever the header says.
	logo := logoPNG(t, 300, 120)
	var b brand.Brand
	e.do("PUT", "/api/v1/brands/rivers/logo", bytes.NewReader(logo), "Content-Type", "application/octet-stream").ok(http.StatusOK, &b)
	if !strings.HasPrefix(b.Logo, "rivers-logo-") || !strings.HasSuffix(b.Logo, ".png") {
		t.Fatalf("logo %q", b.Logo)
	}
	r := e.do("GET", "/api/v1/brands/rivers/logo", nil)
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/png" || !bytes.Equal(r.body, logo) {
		t.Fatalf("GET logo: HTTP %d %s, %d bytes", r.code, r.header.Get("Content-Type"), len(r.body))
	}
	// A PUT of the preset without "logo" keeps it.
	b = brand.Brand{}
	e.do("PUT", "/api/v1/brands/rivers", map[string]any{"channel": "Rivers 2"}).ok(http.StatusOK, &b)
	if b.Logo == "" {
		t.Fatal("PUT without logo dropped it")
	}

	// Multipart, field "file"; the old logo file goes.
	old := b.Logo
	second := logoPNG(t, 128, 128)
	body, ct := logoForm(t, "file", second)
	e.do("PUT", "/api/v1/brands/rivers/logo", body, "Content-Type", ct).ok(http.StatusOK, &b)
	if b.Logo == old {
		t.Fatal("the logo did not change")
	}
	dir := filepath.Join(e.api.store.Root(), "brands")
	if _, err := os.Stat(filepath.Join(dir, old)); !os.IsNotExist(err) {
		t.Fatalf("the replaced logo is still there: %v", err)
	}

	// Refusals, each coded, each leaving the preset as it was.
	body, ct = logoForm(t, "picture", second)
	e.do("PUT", "/api/v1/brands/rivers/logo", body, "Content-Type", ct).fails(http.StatusBadRequest, CodeUnknownField)
	e.do("PUT", "/api/v1/brands/rivers/logo", strings.NewReader("GIF89a not accepted"), "Content-Type", "image/gif").
		fails(http.StatusUnsupportedMediaType, "MEDIA_UNSUPPORTED")
	e.do("PUT", "/api/v1/brands/rivers/logo", strings.NewReader(`{"logo":"x"}`), "Content-Type", "application/json").
		fails(http.StatusUnsupportedMediaType, "MEDIA_UNSUPPORTED")
	er := e.do("PUT", "/api/v1/brands/rivers/logo", bytes.NewReader(logoPNG(t, 8, 8)), "Content-Type", "image/png").
		fails(http.StatusUnprocessableEntity, "MEDIA_UNDECODABLE")
	if er.Details["field"] != "logo" {
		t.Fatalf("details %v", er.Details)
	}
	cut := logoPNG(t, 64, 64)
	e.do("PUT", "/api/v1/brands/rivers/logo", bytes.NewReader(cut[:len(cut)/2]), "Content-Type", "image/png").
		fails(http.StatusUnprocessableEntity, "MEDIA_UNDECODABLE")
	// Over 5 MB: a valid PNG header, then padding; refused while it
	// streams (raw and as a form).
	big := append(logoPNG(t, 64, 64), make([]byte, brand.MaxLogoBytes)...)
	e.do("PUT", "/api/v1/brands/rivers/logo", bytes.NewReader(big), "Content-Type", "image/png").
		fails(http.StatusRequestEntityTooLarge, "MEDIA_TOO_LARGE")
	body, ct = logoForm(t, "file", big)
	e.do("PUT", "/api/v1/brands/rivers/logo", body, "Content-Type", ct).fails(http.StatusRequestEntityTooLarge, "MEDIA_TOO_LARGE")
	var now brand.Brand
	e.do("GET", "/api/v1/brands/rivers", nil).ok(http.StatusOK, &now)
	if now.Logo != b.Logo {
		t.Fatalf("a refused upload changed the preset: %q, was %q", now.Logo, b.Logo)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files in DATA_DIR/brands: %v", entries)
	}
	e.do("DELETE", "/api/v1/brands/rivers", nil)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left after delete: %v", entries)
	}
}

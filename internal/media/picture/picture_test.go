package picture

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func encode(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheck(t *testing.T) {
	pngOf := func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }
	jpegOf := func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }
	gifOf := func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }
	good := encode(t, 320, 180, pngOf)
	cases := []struct {
		name   string
		data   []byte
		format string
		err    string
	}{
		{"png", good, "png", ""},
		{"jpeg", encode(t, 180, 320, jpegOf), "jpeg", ""},
		{"empty", nil, "", "empty"},
		{"text", []byte("<html>busy</html>"), "", "cannot be decoded"},
		{"truncated", good[:len(good)/2], "", "damaged"},
		{"gif", encode(t, 100, 100, gifOf), "", "not PNG"},
		{"tiny", encode(t, 8, 8, pngOf), "", "outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, err := Check(c.data)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil || info.Format != c.format {
				t.Fatalf("Check = %+v, %v; want format %s", info, err, c.format)
			}
		})
	}
}

func TestAsPNG(t *testing.T) {
	j := encode(t, 200, 100, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	out, info, err := AsPNG(j)
	if err != nil || info.Format != "jpeg" {
		t.Fatalf("AsPNG = %+v, %v", info, err)
	}
	if got, err := Check(out); err != nil || got.Format != "png" || got.Width != 200 || got.Height != 100 {
		t.Fatalf("re-encoded = %+v, %v; want a 200x100 PNG", got, err)
	}
	p := encode(t, 100, 100, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	if out, _, err := AsPNG(p); err != nil || !bytes.Equal(out, p) {
		t.Fatalf("a PNG should pass unchanged (err %v)", err)
	}
}

// Package picture checks the images online generators answer with before
// they are written: a format the renderer reads (PNG, JPEG or WebP), a
// complete decodable file and a plausible size.
package picture

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for Check
	"image/png"

	_ "golang.org/x/image/webp"
)

// Bounds of a usable picture.
const (
	MinSide  = 64       // pixels; smaller is an icon or a placeholder, not a picture
	MaxSide  = 8192     // pixels per side
	MaxBytes = 64 << 20 // encoded
)

// Info describes a checked picture.
type Info struct {
	Format string // png, jpeg or webp
	Width  int
	Height int
}

// Ext returns the file extension for the format, dot included.
func (i Info) Ext() string {
	if i.Format == "jpeg" {
		return ".jpg"
	}
	return "." + i.Format
}

// Check decodes data completely and reports its format and size, or why
// it is not a usable picture.
func Check(data []byte) (Info, error) {
	info, _, err := check(data)
	return info, err
}

// AsPNG checks data like Check and returns it as PNG: unchanged when it
// is PNG already, re-encoded otherwise, so that every generated picture of
// a project is stored alike. Info describes data as received.
func AsPNG(data []byte) ([]byte, Info, error) {
	info, img, err := check(data)
	if err != nil || info.Format == "png" {
		return data, info, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, info, fmt.Errorf("re-encode the %s image as PNG: %w", info.Format, err)
	}
	return b.Bytes(), info, nil
}

func check(data []byte) (Info, image.Image, error) {
	switch {
	case len(data) == 0:
		return Info{}, nil, fmt.Errorf("the image is empty")
	case len(data) > MaxBytes:
		return Info{}, nil, fmt.Errorf("the image has %d bytes, more than %d MiB", len(data), MaxBytes>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Info{}, nil, fmt.Errorf("the image cannot be decoded: %w", err)
	}
	switch format {
	case "png", "jpeg", "webp":
	default:
		return Info{}, nil, fmt.Errorf("the image is %s, not PNG, JPEG or WebP", format)
	}
	if cfg.Width < MinSide || cfg.Height < MinSide || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return Info{}, nil, fmt.Errorf("the image is %dx%d pixels, outside %d to %d per side", cfg.Width, cfg.Height, MinSide, MaxSide)
	}
	// A truncated file has a good header; only decoding it all tells.
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Info{}, nil, fmt.Errorf("the %s image is damaged: %w", format, err)
	}
	return Info{Format: format, Width: cfg.Width, Height: cfg.Height}, img, nil
}

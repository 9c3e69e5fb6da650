package render

import (
	"testing"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
)

func TestClipCover(t *testing.T) {
	land := &plan{w: 1920, h: 1080}
	port := &plan{w: 1080, h: 1920}
	scale := ",scale=1920:1080,setsar=1,scale=out_color_matrix=bt709:out_range=tv"
	tests := []struct {
		name string
		p    *plan
		w, h int
		want string // "" = not covered
	}{
		{"1080p", land, 1920, 1080, scale[1:]},
		{"4K UHD", land, 3840, 2160, scale[1:]},
		{"720p", land, 1280, 720, scale[1:]},
		{"DCI 4K: the sides cropped", land, 4096, 2160, "crop=3840:2160" + scale},
		{"16:10: top and bottom cropped", land, 1920, 1200, "crop=1920:1080" + scale},
		{"cinematic 2.4:1: fitted over a blurred copy", land, 1920, 800, ""},
		{"4:3: fitted over a blurred copy", land, 1440, 1080, ""},
		{"portrait clip in a portrait frame", port, 1080, 1920, "scale=1080:1920,setsar=1,scale=out_color_matrix=bt709:out_range=tv"},
		{"landscape clip in a portrait frame", port, 1920, 1080, ""},
		{"unknown size", land, 0, 0, ""},
	}
	// Tagged BT.709 limited range: no conversion pass.
	if got, _ := land.clipCover(ffmpeg.Stream{Width: 3840, Height: 2160, ColorSpace: "bt709", ColorRange: "tv"}); got != "scale=1920:1080,setsar=1" {
		t.Errorf("BT.709 clip: %q", got)
	}
	for _, tt := range tests {
		got, ok := tt.p.clipCover(ffmpeg.Stream{Width: tt.w, Height: tt.h})
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

package ffmpeg

import "testing"

func TestParseProbeRotation(t *testing.T) {
	tests := []struct {
		name      string
		stream    string
		w, h, rot int
	}{
		{"no display matrix", `{"codec_type":"video","width":1920,"height":1080}`, 1920, 1080, 0},
		{"a quarter turn: upright size", `{"codec_type":"video","width":1920,"height":1080,"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}`, 1080, 1920, -90},
		{"the other quarter turn", `{"codec_type":"video","width":1920,"height":1080,"side_data_list":[{"side_data_type":"Display Matrix","rotation":90.00}]}`, 1080, 1920, 90},
		{"upside down keeps the size", `{"codec_type":"video","width":1920,"height":1080,"side_data_list":[{"side_data_type":"Display Matrix","rotation":180}]}`, 1920, 1080, 180},
		{"an older ffprobe's rotate tag", `{"codec_type":"video","width":1280,"height":720,"tags":{"rotate":"270"}}`, 720, 1280, 270},
		{"other side data only", `{"codec_type":"video","width":640,"height":360,"side_data_list":[{"side_data_type":"Spherical Mapping"}]}`, 640, 360, 0},
	}
	for _, tt := range tests {
		res, err := parseProbe([]byte(`{"format":{},"streams":[` + tt.stream + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		v, ok := res.Video()
		if !ok || v.Width != tt.w || v.Height != tt.h || v.Rotation != tt.rot {
			t.Errorf("%s: %dx%d rotated %d, want %dx%d rotated %d", tt.name, v.Width, v.Height, v.Rotation, tt.w, tt.h, tt.rot)
		}
	}
}

package ownmedia

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/project"
)

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		head string
		ext  string
	}{
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ".png"},
		{"\xff\xd8\xff\xe0\x00\x10JFIF", ".jpg"},
		{"RIFF\x24\x00\x00\x00WEBPVP8 ", ".webp"},
		{"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", ".mp4"},
		{"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", ".mov"},
		{"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", ".mov"},
		{"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", ".webm"},
		{"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", ""},
		{"GIF89a", ""},
		{"hello, this is text", ""},
		{"RIFF\x24\x00\x00\x00WAVEfmt ", ""},
		{"", ""},
	} {
		got, ok := Sniff([]byte(tc.head))
		if ok != (tc.ext != "") || got.Ext != tc.ext {
			t.Errorf("Sniff(%q) = %v, %v; want %q", tc.head, got, ok, tc.ext)
		}
	}
}

func tools(t *testing.T) *ffmpeg.Runner {
	t.Helper()
	ff, err := ffmpeg.New(ffmpeg.Config{})
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	return ff
}

// makeFile makes a fixture with ffmpeg from a lavfi source.
func makeFile(t *testing.T, path, src string, extra ...string) {
	t.Helper()
	args := append([]string{"-v", "error", "-y", "-f", "lavfi", "-i", src}, extra...)
	args = append(args, path)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", path, err, out)
	}
}

func TestReceive(t *testing.T) {
	ff := tools(t)
	src := t.TempDir()
	fix := map[string]string{}
	for name, mk := range map[string][]string{
		"a.png":  {"color=c=red:s=64x48", "-frames:v", "1"},
		"a.jpg":  {"color=c=blue:s=64x48", "-frames:v", "1"},
		"a.webp": {"color=c=green:s=64x48", "-frames:v", "1"},
		"a.mp4":  {"testsrc2=s=128x72:r=25:d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p"},
		"a.webm": {"testsrc2=s=128x72:r=25:d=1", "-c:v", "libvpx-vp9", "-b:v", "200k"},
		"a.mov":  {"testsrc2=s=128x72:r=25:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mov"},
		"t.png":  {"color=c=red:s=8x8", "-frames:v", "1"},
	} {
		p := filepath.Join(src, name)
		makeFile(t, p, mk[0], mk[1:]...)
		fix[name] = p
	}
	ctx := context.Background()
	for name, want := range map[string]string{"a.png": "image/png", "a.jpg": "image/jpeg", "a.webp": "image/webp",
		"a.mp4": "video/mp4", "a.webm": "video/webm", "a.mov": "video/quicktime"} {
		t.Run(name, func(t *testing.T) {
			proj := t.TempDir()
			f, err := os.Open(fix[name])
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			up, err := Receive(ctx, ff, proj, f, MaxBytes)
			if err != nil {
				t.Fatal(err)
			}
			if up.Type.MIME != want || up.Width == 0 || up.Height == 0 || len(up.SHA256) != 64 {
				t.Fatalf("upload %+v", up)
			}
			if up.Type.Kind == project.MediaVideo && (up.Seconds < 0.9 || up.Seconds > 2.1) {
				t.Errorf("clip of %.2f s", up.Seconds)
			}
			m, err := up.Commit(proj, 3, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(filepath.Join(proj, m.File))
			if err != nil || st.Size() != up.Bytes || !strings.HasPrefix(m.File, "media/segment_03.") {
				t.Fatalf("committed %+v: %v", m, err)
			}
			entries, _ := os.ReadDir(filepath.Join(proj, Dir))
			if len(entries) != 1 {
				t.Errorf("%d files in the media folder", len(entries))
			}
		})
	}

	mp4, _ := os.ReadFile(fix["a.mp4"])
	bad := []struct {
		name string
		body []byte
		code string
	}{
		{"text renamed", []byte(strings.Repeat("just some text\n", 100)), errcode.MediaUnsupported},
		{"truncated mp4", mp4[:len(mp4)/2], errcode.MediaUndecodable},
		{"tiny picture", mustRead(t, fix["t.png"]), errcode.MediaUndecodable},
		{"png header only", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40"), errcode.MediaUndecodable},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			proj := t.TempDir()
			_, err := Receive(ctx, ff, proj, bytes.NewReader(tc.body), MaxBytes)
			if errcode.Code(err) != tc.code {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
			if strings.Contains(err.Error(), proj) {
				t.Errorf("the message shows the server's path: %v", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(proj, Dir)); len(entries) != 0 {
				t.Errorf("left %d files behind", len(entries))
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		proj := t.TempDir()
		_, err := Receive(ctx, ff, proj, bytes.NewReader(mp4), int64(len(mp4)-1))
		if errcode.Code(err) != errcode.MediaTooLarge {
			t.Fatalf("error %v", err)
		}
		if entries, _ := os.ReadDir(filepath.Join(proj, Dir)); len(entries) != 0 {
			t.Errorf("left %d files behind", len(entries))
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

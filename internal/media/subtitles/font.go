package subtitles

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// FontFamily returns the family the ASS style should name: the regional
// Noto Sans CJK family for lang (TC unless lang asks for SC, JP or KR)
// when fontconfig knows it, else "DejaVu Sans". libass finds fonts through
// fontconfig, so that is what is asked.
func FontFamily(ctx context.Context, lang string) string {
	want := "Noto Sans CJK TC"
	l := strings.ToLower(lang)
	switch {
	case strings.HasPrefix(l, "ja"):
		want = "Noto Sans CJK JP"
	case strings.HasPrefix(l, "ko"):
		want = "Noto Sans CJK KR"
	case l == "zh-cn" || l == "zh-sg" || strings.HasPrefix(l, "zh-hans"):
		want = "Noto Sans CJK SC"
	}
	if hasFamily(ctx, want) {
		return want
	}
	if want != "Noto Sans CJK TC" && hasFamily(ctx, "Noto Sans CJK TC") {
		return "Noto Sans CJK TC"
	}
	return "DejaVu Sans"
}

func hasFamily(ctx context.Context, family string) bool {
	path, err := exec.LookPath("fc-list")
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, family, "family").Output()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		for _, name := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(name), family) {
				return true
			}
		}
	}
	return false
}

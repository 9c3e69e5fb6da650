package language

import "testing"

func TestCanonical(t *testing.T) {
	good := map[string]string{
		"en": "en", "EN": "en", "zh-tw": "zh-TW", "zh_TW": "zh-TW", "zh-hant-tw": "zh-Hant-TW",
		"es-419": "es-419", "pt-BR": "pt-BR", "ja": "ja", " ko ": "ko", "fil-PH": "fil-PH", "yue-HK": "yue-HK",
	}
	for in, want := range good {
		if got, ok := Canonical(in); !ok || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "xx", "xx-INVALID", "en-INVALID", "english", "en-US-x-private", "en-", "-en",
		"en--US", "en-1", "en-US-US", "e", "zz-TW", "en us", "en-Latn-Latn"} {
		if got, ok := Canonical(in); ok {
			t.Errorf("Canonical(%q) = %q, ok; want rejected", in, got)
		}
	}
}

package language

import "strings"

// iso639 lists the two-letter ISO 639-1 language codes, plus the few
// three-letter codes speech services use without a two-letter form.
var iso639 = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr
		cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz
		ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg
		mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa
		sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
		vo wa wo xh yi yo za zh zu
		fil yue cmn haw ceb`) {
		m[c] = true
	}
	return m
}()

// Canonical checks a BCP 47 tag of the form language[-Script][-REGION]
// ("en", "zh-TW", "zh-Hant-TW", "es-419"), accepting "_" for "-" and any
// letter case, and returns it in canonical case. The language must be an
// ISO 639 code; the script four letters; the region two letters or three
// digits. Anything else (private use, variants, unknown languages) is
// reported as not ok.
func Canonical(tag string) (string, bool) {
	parts := strings.Split(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"), "-")
	base := strings.ToLower(parts[0])
	if !iso639[base] {
		return "", false
	}
	out := []string{base}
	rest := parts[1:]
	if len(rest) > 0 && len(rest[0]) == 4 && letters(rest[0]) {
		out = append(out, strings.ToUpper(rest[0][:1])+strings.ToLower(rest[0][1:]))
		rest = rest[1:]
	}
	if len(rest) > 0 {
		switch r := rest[0]; {
		case len(r) == 2 && letters(r):
			out = append(out, strings.ToUpper(r))
		case len(r) == 3 && digits(r):
			out = append(out, r)
		default:
			return "", false
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return "", false
	}
	return strings.Join(out, "-"), true
}

func letters(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

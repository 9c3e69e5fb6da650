package studio

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Languages of the studio's interface.
const (
	LangEnglish = "en"
	LangChinese = "zh-TW"
)

// langCookie keeps the language a user picked.
const langCookie = "ytmaker_lang"

// pickLanguage chooses the interface language: the cookie set by the
// language switch, else the best match of Accept-Language, else English.
func pickLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := supported(c.Value); ok {
			return l
		}
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// supported maps a language tag to one of the interface languages. Every
// Chinese tag gets Traditional Chinese (the only Chinese catalog).
func supported(tag string) (string, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "en" || strings.HasPrefix(tag, "en-"):
		return LangEnglish, true
	case tag == "zh" || strings.HasPrefix(tag, "zh-"):
		return LangChinese, true
	}
	return "", false
}

// fromAcceptLanguage returns the supported language with the highest
// quality in an Accept-Language header (ties: the earlier one).
func fromAcceptLanguage(h string) string {
	type choice struct {
		lang string
		q    float64
		pos  int
	}
	var cs []choice
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if l, ok := supported(tag); ok && q > 0 {
			cs = append(cs, choice{l, q, i})
		}
	}
	if len(cs) == 0 {
		return LangEnglish
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].q > cs[j].q })
	return cs[0].lang
}

// catalog is one language's messages.
type catalog map[string]string

// catalogs holds every message in every language; a test checks both
// languages have the same keys.
var catalogs = map[string]catalog{LangEnglish: english, LangChinese: chinese}

// translate returns the message key in lang, formatted with args. A
// missing key shows itself, so it is noticed.
func translate(lang, key string, args ...any) string {
	msg, ok := catalogs[lang][key]
	if !ok {
		msg, ok = english[key]
		if !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// clientKeys are the messages the page scripts need.
var clientKeys = []string{
	"status.INITIALIZED", "status.SCRIPT_GENERATING", "status.SCRIPT_GENERATED", "status.ASSETS_GENERATING",
	"status.ASSETS_GENERATED", "status.RENDERING", "status.RENDERED", "status.THUMBNAIL_GENERATING",
	"status.THUMBNAIL_GENERATED", "status.UPLOADING", "status.COMPLETED", "status.FAILED", "status.PAUSED",
	"status.CANCELLED", "status.SCRIPT_REVIEW", "review.saved", "stage.script_generation", "stage.asset_generation", "stage.video_rendering",
	"stage.thumbnail_generation", "stage.youtube_upload", "stage.completed", "stage.error",
	"js.eta", "js.eta.minutes", "js.network", "js.failed", "js.confirm.delete", "js.confirm.cancel",
	"js.creating", "js.uploading", "js.reading", "js.file.type", "js.detected", "js.live.lost", "js.fix.fields",
	"js.test.running", "js.test.ok", "js.test.failed", "js.test.retry", "js.test.wait",
	"js.media.uploading", "js.media.saved", "js.media.removed", "js.media.type",
	"js.confirm.brand", "js.confirm.brand_in_use", "js.brand.deleted", "js.brand.name", "js.brand.channel", "js.brand.size", "js.brand.opacity", "js.saving",
}

// clientMessages returns the messages the scripts need, in lang.
func clientMessages(lang string) map[string]string {
	m := make(map[string]string, len(clientKeys))
	for _, k := range clientKeys {
		m[k] = translate(lang, k)
	}
	return m
}

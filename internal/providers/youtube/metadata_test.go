package youtube

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestBuildVideoDefaultsAndFlags(t *testing.T) {
	v, err := BuildVideo(Metadata{Title: "Hello", Description: "Body"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status.PrivacyStatus != Private || v.Status.PublishAt != "" || v.Snippet.CategoryID != "22" {
		t.Fatalf("defaults = %+v %+v", v.Status, v.Snippet)
	}
	if !v.Status.ContainsSyntheticMedia || v.Status.SelfDeclaredMadeForKids {
		t.Fatalf("declarations = %+v", v.Status)
	}
	if v.Snippet.Description != "Body\n\n"+DisclosureEnglish {
		t.Fatalf("description = %q", v.Snippet.Description)
	}
}

func TestPublishAtForcesPrivate(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 0, 0, 0, time.FixedZone("TST", 8*3600))
	for _, p := range []string{Public, Unlisted, Private, ""} {
		v, err := BuildVideo(Metadata{Title: "x", Privacy: p, PublishAt: at}, now)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status.PrivacyStatus != Private || v.Status.PublishAt != "2026-12-01T15:00:00Z" {
			t.Fatalf("privacy %q → %+v", p, v.Status)
		}
	}
	v, _ := BuildVideo(Metadata{Title: "x", Privacy: "Unlisted"}, now)
	if v.Status.PrivacyStatus != Unlisted {
		t.Fatalf("privacy = %q", v.Status.PrivacyStatus)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		m     Metadata
		field string
	}{
		{Metadata{Title: " \n\t"}, "title"},
		{Metadata{Title: "<>"}, ""}, // brackets are replaced, not refused
		{Metadata{Title: "x", Privacy: "friends"}, "privacy"},
		{Metadata{Title: "x", CategoryID: "music"}, "categoryId"},
		{Metadata{Title: "x", PublishAt: now.Add(-time.Minute)}, "publishAt"},
		{Metadata{Title: "x", PublishAt: now}, "publishAt"},
	}
	for _, tc := range cases {
		err := ValidateMetadata(tc.m, now)
		if tc.field == "" {
			if err != nil {
				t.Fatalf("%+v: unexpected %v", tc.m, err)
			}
			continue
		}
		ce, ok := errcode.As(err)
		if !ok || ce.Code != CodeInvalidMetadata || ce.Retryable || ce.Details["field"] != tc.field ||
			!strings.Contains(ce.Message, tc.field) {
			t.Fatalf("%+v: err = %v, want field %s", tc.m, err, tc.field)
		}
	}
}

func TestTitleSanitised(t *testing.T) {
	long := strings.Repeat("影", 150)
	v, err := BuildVideo(Metadata{Title: "  a\x00b\nc <d>  " + long}, now)
	if err != nil {
		t.Fatal(err)
	}
	title := v.Snippet.Title
	if utf8.RuneCountInString(title) != MaxTitleRunes || strings.ContainsAny(title, "<>\n\x00") ||
		!strings.HasPrefix(title, "ab c ‹d› 影") {
		t.Fatalf("title = %q (%d runes)", title, utf8.RuneCountInString(title))
	}
}

func TestDescriptionLimitKeepsDisclosure(t *testing.T) {
	body := strings.Repeat("說明文字<b>", 800) // 12,800 bytes
	d := BuildDescription(body, DisclosureChineseTraditional)
	if len(d) > MaxDescriptionBytes || !utf8.ValidString(d) || strings.ContainsAny(d, "<>") {
		t.Fatalf("description has %d bytes, valid=%v", len(d), utf8.ValidString(d))
	}
	if !strings.HasSuffix(d, "…\n\n"+DisclosureChineseTraditional) {
		t.Fatalf("disclosure lost: ...%q", d[len(d)-60:])
	}
	// Already disclosed: not added twice.
	twice := BuildDescription("Intro\n\n"+DisclosureEnglish, DisclosureEnglish)
	if strings.Count(twice, DisclosureEnglish) != 1 {
		t.Fatalf("disclosure repeated: %q", twice)
	}
	if got := BuildDescription("", DisclosureEnglish); got != DisclosureEnglish {
		t.Fatalf("empty description → %q", got)
	}
}

func TestDisclosureLanguage(t *testing.T) {
	cases := map[string]string{
		"en": DisclosureEnglish, "": DisclosureEnglish, "ja": DisclosureEnglish,
		"zh-TW": DisclosureChineseTraditional, "zh_HK": DisclosureChineseTraditional, "zh": DisclosureChineseTraditional,
		"zh-Hant-TW": DisclosureChineseTraditional,
		"zh-CN":      DisclosureChineseSimplified, "zh-Hans": DisclosureChineseSimplified,
	}
	for lang, want := range cases {
		if got := DisclosureLine(lang); got != want {
			t.Fatalf("DisclosureLine(%q) = %q, want %q", lang, got, want)
		}
	}
	v, _ := BuildVideo(Metadata{Title: "x", Language: "zh-TW", Disclosure: "Made with tools."}, now)
	if !strings.HasSuffix(v.Snippet.Description, "Made with tools.") {
		t.Fatalf("custom disclosure ignored: %q", v.Snippet.Description)
	}
}

func TestTagLimits(t *testing.T) {
	if n := TagsLength([]string{"Foo-Baz", "Foo Baz"}); n != 7+1+9 {
		t.Fatalf("TagsLength = %d, want 17 (comma and quotes count)", n)
	}
	var tags []string
	for i := 0; i < 60; i++ {
		tags = append(tags, fmt.Sprintf("tag number %02d", i)) // 13 chars + quotes
	}
	tags = append(tags, "ok", "OK", " ", "a<b>,c\"d")
	got := CleanTags(tags)
	if TagsLength(got) > MaxTagsLength {
		t.Fatalf("tags total %d > 500", TagsLength(got))
	}
	seen := map[string]bool{}
	for _, tg := range got {
		if seen[strings.ToLower(tg)] || strings.ContainsAny(tg, "<>,\"") || tg == "" {
			t.Fatalf("bad tag %q in %q", tg, got)
		}
		seen[strings.ToLower(tg)] = true
	}
	if !seen["ok"] || seen["abcd"] {
		t.Fatalf("want the 2-letter tag kept in the last 5 characters and the next one dropped: %q", got)
	}
	if got := CleanTags([]string{"a<b>,c\"d", "  two\twords "}); len(got) != 2 || got[0] != "abcd" || got[1] != "two words" {
		t.Fatalf("cleaned = %q", got)
	}
	// Dropping keeps as many as fit: one more long tag would pass 500.
	if TagsLength(append(got, "tag number xx")) <= MaxTagsLength {
		t.Fatalf("room left for another tag: total %d", TagsLength(got))
	}
}

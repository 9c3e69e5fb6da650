package project

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

func field(err error) string {
	if e, ok := errcode.As(err); ok && e.Code == errcode.InvalidInput {
		f, _ := e.Details["field"].(string)
		return f
	}
	return ""
}

func TestValidateDefaultsAndLanguage(t *testing.T) {
	in := Input{Name: "  Demo  ", Content: "我們今天來說一個故事。\r\n\r\n這個故事很長。"}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	s := in.Settings
	if in.Name != "Demo" || in.Language != "zh-TW" || strings.Contains(in.Content, "\r") {
		t.Fatalf("normalised input %+v", in)
	}
	if s.Format != FormatLandscape || s.Motion != MotionNone || !s.SubtitlesOn() || s.MaxSegments != 12 ||
		s.YouTube.Privacy != PrivacyPrivate || s.YouTube.CategoryID != "22" || s.Providers.Script != ProviderAuto {
		t.Fatalf("defaults %+v", s)
	}
	in = Input{Name: "x", Content: "Hello.", Language: "zh_tw", Settings: Settings{Format: "vertical", Motion: "Ken-Burns"}}
	if err := in.Validate(); err != nil || in.Language != "zh-TW" || in.Settings.Format != FormatVertical || in.Settings.Motion != MotionKenBurns {
		t.Fatalf("%v %+v", err, in)
	}
	if w, h := in.Settings.Size(); w != 1080 || h != 1920 {
		t.Fatalf("size %dx%d", w, h)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	pub := time.Date(2027, 1, 1, 9, 0, 0, 0, time.FixedZone("TPE", 8*3600))
	cases := map[string]Input{
		"name":                         {Name: "", Content: "x"},
		"content":                      {Name: "n", Content: strings.Repeat("字", MaxContentLen+1)},
		"language":                     {Name: "n", Content: "x", Language: "en us!"},
		"settings.format":              {Name: "n", Content: "x", Settings: Settings{Format: "4k"}},
		"settings.motion":              {Name: "n", Content: "x", Settings: Settings{Motion: "spin"}},
		"settings.theme":               {Name: "n", Content: "x", Settings: Settings{Theme: "comic-sans"}},
		"settings.brand":               {Name: "n", Content: "x", Settings: Settings{Brand: "../secrets"}},
		"settings.music_volume":        {Name: "n", Content: "x", Settings: Settings{MusicVolume: 2}},
		"settings.youtube.title":       {Name: "n", Content: "x", Settings: Settings{YouTube: YouTube{Title: strings.Repeat("t", 101)}}},
		"settings.youtube.privacy":     {Name: "n", Content: "x", Settings: Settings{YouTube: YouTube{Privacy: "everyone"}}},
		"settings.youtube.tags[1]":     {Name: "n", Content: "x", Settings: Settings{YouTube: YouTube{Tags: []string{"ok", "bad<tag>"}}}},
		"settings.providers.images":    {Name: "n", Content: "x", Settings: Settings{Providers: Providers{Images: "midjourney"}}},
		"settings.youtube.category_id": {Name: "n", Content: "x", Settings: Settings{YouTube: YouTube{CategoryID: "music"}}},
		"language ":                    {Name: "n", Content: "x", Language: "xx-INVALID"},
		"settings.music":               {Name: "n", Content: "x", Settings: Settings{Music: "../../etc/passwd"}},
		"settings.music ":              {Name: "n", Content: "x", Settings: Settings{Music: "/etc/passwd"}},
		"settings.music  ":             {Name: "n", Content: "x", Settings: Settings{Music: `a\..\b.mp3`}},
		"settings.music   ":            {Name: "n", Content: "x", Settings: Settings{Music: "a/./b.mp3"}},
	}
	for want, in := range cases {
		want = strings.TrimSpace(want) // trailing spaces keep the map keys apart
		if got := field(in.Validate()); got != want {
			t.Errorf("want an error naming %s, got %q", want, got)
		}
	}
	// Themes are matched without case; auto means chosen from the content.
	for give, want := range map[string]string{"": "", "auto": "", " Neon ": "neon", "paper": "paper"} {
		in := Input{Name: "n", Content: "x", Settings: Settings{Theme: give}}
		if err := in.Validate(); err != nil || in.Settings.Theme != want {
			t.Errorf("theme %q → %q, %v; want %q", give, in.Settings.Theme, err, want)
		}
	}
	// publish_at forces private and is kept in UTC.
	in := Input{Name: "n", Content: "x", Settings: Settings{YouTube: YouTube{Privacy: "public", PublishAt: &pub}}}
	if err := in.Validate(); err != nil || in.Settings.YouTube.Privacy != PrivacyPrivate || in.Settings.YouTube.PublishAt.Location() != time.UTC {
		t.Fatalf("publish_at: %v %+v", err, in.Settings.YouTube)
	}
}

func TestPublishAtMustBeInTheFuture(t *testing.T) {
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	if err := (YouTube{PublishAt: &past}).CheckPublishAt(now); field(err) != "settings.youtube.publish_at" {
		t.Fatalf("past: %v", err)
	}
	if err := (YouTube{PublishAt: &now}).CheckPublishAt(now); field(err) != "settings.youtube.publish_at" {
		t.Fatalf("now: %v", err)
	}
	if err := (YouTube{PublishAt: &future}).CheckPublishAt(now); err != nil {
		t.Fatalf("future: %v", err)
	}
	if err := (YouTube{}).CheckPublishAt(now); err != nil {
		t.Fatalf("unset: %v", err)
	}
}

func TestStageOrderAndWeights(t *testing.T) {
	total := 0
	for i, s := range Stages {
		if s.Index() != i || !s.Valid() {
			t.Errorf("stage %s index %d", s, s.Index())
		}
		back, ok := StageForTask(s.TaskName())
		if !ok || back != s {
			t.Errorf("task name round trip for %s", s)
		}
		total += s.Weight()
	}
	if total != 100 {
		t.Errorf("weights add up to %d", total)
	}
	if StageUpload.DoneStatus() != Completed || StageRender.RunningStatus() != Rendering {
		t.Error("statuses")
	}
}

func TestAttemptHistory(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	disk := errcode.New(errcode.DiskFull, "no space left on device", false)
	type step struct {
		begin   bool
		at      int
		attempt int
		outcome string
		err     *errcode.Error
	}
	for _, c := range []struct {
		name  string
		steps []step
		want  []Attempt
	}{
		{"retry then success", []step{
			{begin: true, at: 0, attempt: 1}, {at: 5, outcome: OutcomeFailed, err: disk},
			{begin: true, at: 7, attempt: 2}, {at: 9, outcome: OutcomeCompleted},
		}, []Attempt{
			{Attempt: 1, Run: 3, TaskID: "t", StartedAt: at(0), FinishedAt: ptr(at(5)), Outcome: OutcomeFailed, Error: disk},
			{Attempt: 2, Run: 3, TaskID: "t", StartedAt: at(7), FinishedAt: ptr(at(9)), Outcome: OutcomeCompleted},
		}},
		{"a worker died: the next attempt closes the open one", []step{
			{begin: true, at: 0, attempt: 1}, {begin: true, at: 30, attempt: 1},
		}, []Attempt{
			{Attempt: 1, Run: 3, TaskID: "t", StartedAt: at(0), FinishedAt: ptr(at(30)), Outcome: OutcomeInterrupted},
			{Attempt: 1, Run: 3, TaskID: "t", StartedAt: at(30)},
		}},
		{"an end without an open attempt changes nothing", []step{
			{at: 1, outcome: OutcomeCancelled}, {begin: true, at: 2, attempt: 1}, {at: 3, outcome: OutcomeWaiting}, {at: 4, outcome: OutcomeFailed},
		}, []Attempt{
			{Attempt: 1, Run: 3, TaskID: "t", StartedAt: at(2), FinishedAt: ptr(at(3)), Outcome: OutcomeWaiting},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ss StageState
			for _, s := range c.steps {
				if s.begin {
					ss.BeginAttempt(at(s.at), 3, s.attempt, "t")
				} else {
					ss.EndAttempt(at(s.at), s.outcome, s.err)
				}
			}
			if !reflect.DeepEqual(ss.History, c.want) {
				t.Fatalf("got %+v\nwant %+v", ss.History, c.want)
			}
		})
	}
	var ss StageState
	for i := 0; i < MaxHistory+7; i++ {
		ss.BeginAttempt(at(i), 1, i+1, "t")
	}
	if len(ss.History) != MaxHistory || ss.History[0].Attempt != 8 || ss.History[MaxHistory-1].Outcome != "" {
		t.Fatalf("kept %d, first attempt %d", len(ss.History), ss.History[0].Attempt)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCaptionSettings(t *testing.T) {
	valid := func(s Settings) Settings {
		t.Helper()
		in := Input{Name: "x", Content: "Hello.", Settings: s}
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		return in.Settings
	}
	if s := valid(Settings{}); s.CaptionMode() != CaptionsSentence || !s.SubtitlesOn() {
		t.Errorf("default: %q", s.Captions)
	}
	off := false
	if s := valid(Settings{Subtitles: &off, Captions: "word"}); s.CaptionMode() != CaptionsNone || s.SubtitlesOn() {
		t.Errorf("subtitles false: %q", s.Captions)
	}
	if s := valid(Settings{Captions: "None"}); s.SubtitlesOn() || s.CaptionMode() != CaptionsNone {
		t.Error("captions none leaves subtitles on")
	}
	out, box := 4.0, true
	s := valid(Settings{Captions: " PUNCH ", CaptionStyle: &CaptionStyle{Font: "Noto Sans CJK TC", Size: 90, Color: "#fff",
		Highlight: "#FFD400", Outline: &out, Box: &box, BoxColor: "#000000B0", Position: "Center"}})
	if s.Captions != CaptionsPunch || s.CaptionStyle.Position != CaptionMiddle {
		t.Errorf("normalised %+v %+v", s, s.CaptionStyle)
	}
	if c, _ := ParseColor("#000000B0"); c.A != 0xB0 || c.R != 0 {
		t.Errorf("colour %+v", c)
	}
	bad := -1.0
	for _, c := range []struct {
		s     Settings
		field string
	}{
		{Settings{Captions: "bouncy"}, "settings.captions"},
		{Settings{CaptionStyle: &CaptionStyle{Size: 5}}, "settings.caption_style.size"},
		{Settings{CaptionStyle: &CaptionStyle{Color: "red"}}, "settings.caption_style.color"},
		{Settings{CaptionStyle: &CaptionStyle{Highlight: "#12345"}}, "settings.caption_style.highlight"},
		{Settings{CaptionStyle: &CaptionStyle{BoxColor: "#GG0000"}}, "settings.caption_style.box_color"},
		{Settings{CaptionStyle: &CaptionStyle{Outline: &bad}}, "settings.caption_style.outline"},
		{Settings{CaptionStyle: &CaptionStyle{Position: "left"}}, "settings.caption_style.position"},
		{Settings{CaptionStyle: &CaptionStyle{Font: "Evil{\\b1}"}}, "settings.caption_style.font"},
	} {
		in := Input{Name: "x", Content: "Hello.", Settings: c.s}
		if f := field(in.Validate()); f != c.field {
			t.Errorf("%+v: field %q, want %q", c.s, f, c.field)
		}
	}
}

func TestImageProvidersAccepted(t *testing.T) {
	for _, v := range []string{"", "auto", "stability", "OpenAI", " gemini ", "offline"} {
		in := Input{Name: "n", Content: "x", Settings: Settings{Providers: Providers{Images: v}}}
		if err := in.Validate(); err != nil {
			t.Errorf("images %q: %v", v, err)
		}
	}
}

package config

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestDailyLimits(t *testing.T) {
	names := func(m map[string]string) func() []string {
		return func() []string { return slices.Collect(maps.Keys(m)) }
	}
	cases := []struct {
		name    string
		env     map[string]string
		dotEnv  map[string]string
		want    map[string]int64
		errKey  string // "" = no error
		errText string
	}{
		{name: "none", env: map[string]string{}, want: map[string]int64{}},
		{name: "several", env: map[string]string{
			"OPENAI_DAILY_TOKENS": "2000000", "ELEVENLABS_DAILY_CHARACTERS": "10_000", "STABILITY_DAILY_IMAGES": "50",
			"PEXELS_DAILY_REQUESTS": "4800", "GEMINI_DAILY_REQUESTS": " 1500 ", "DID_DAILY_REQUESTS": "20",
			"GOOGLE_DAILY_CHARACTERS": "100000", "PIXABAY_DAILY_DOWNLOADS": "0",
		}, want: map[string]int64{
			"openai_tokens": 2000000, "elevenlabs_characters": 10000, "stability_images": 50, "pexels_requests": 4800,
			"gemini_requests": 1500, "did_requests": 20, "google_characters": 100000,
		}},
		{name: "from .env", dotEnv: map[string]string{"GEMINI_DAILY_IMAGES": "100"}, want: map[string]int64{"gemini_images": 100}},
		{name: "YOUTUBE_DAILY_QUOTA is not a provider budget", env: map[string]string{"YOUTUBE_DAILY_QUOTA": "20000"}, want: map[string]int64{}},
		{name: "unrelated names", env: map[string]string{"BACKUP_DAILY_AT": "03:00", "FOO_DAILY": "1"}, want: map[string]int64{}},
		{name: "not a number", env: map[string]string{"OPENAI_DAILY_TOKENS": "lots"}, errKey: "OPENAI_DAILY_TOKENS", errText: "whole number"},
		{name: "negative", env: map[string]string{"STABILITY_DAILY_IMAGES": "-1"}, errKey: "STABILITY_DAILY_IMAGES", errText: "between 0"},
		{name: "fraction", env: map[string]string{"GEMINI_DAILY_TOKENS": "1.5"}, errKey: "GEMINI_DAILY_TOKENS", errText: "whole number"},
		{name: "too large", env: map[string]string{"GEMINI_DAILY_TOKENS": "9000000000000000"}, errKey: "GEMINI_DAILY_TOKENS", errText: "between 0"},
		{name: "unit the provider is not counted in", env: map[string]string{"STABILITY_DAILY_TOKENS": "5"},
			errKey: "STABILITY_DAILY_TOKENS", errText: "STABILITY_DAILY_REQUESTS, STABILITY_DAILY_IMAGES"},
		{name: "unknown unit", env: map[string]string{"ELEVENLABS_DAILY_WORDS": "5"}, errKey: "ELEVENLABS_DAILY_WORDS", errText: "not counted in words"},
		{name: "unknown provider", env: map[string]string{"GOOGLE_TTS_DAILY_CHARACTERS": "5"},
			errKey: "GOOGLE_TTS_DAILY_CHARACTERS", errText: "unknown provider GOOGLE_TTS"},
		{name: "misspelt provider in .env", dotEnv: map[string]string{"ELEVENLAB_DAILY_CHARACTERS": "5"},
			errKey: "ELEVENLAB_DAILY_CHARACTERS", errText: "ELEVENLABS"},
		{name: "youtube", env: map[string]string{"YOUTUBE_DAILY_REQUESTS": "5"}, errKey: "YOUTUBE_DAILY_REQUESTS", errText: "YOUTUBE_DAILY_QUOTA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(Sources{Env: env(tc.env), EnvNames: names(tc.env), DotEnv: tc.dotEnv})
			if tc.errKey != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Key != tc.errKey || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v; want one about %s saying %q", err, tc.errKey, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(c.DailyLimits, tc.want) {
				t.Fatalf("daily limits = %v, want %v", c.DailyLimits, tc.want)
			}
		})
	}
	// Without EnvNames, a misspelt name in the environment goes unseen,
	// but known names are read.
	c, err := Load(Sources{Env: env(map[string]string{"ELEVENLAB_DAILY_CHARACTERS": "5", "OPENAI_DAILY_IMAGES": "7"})})
	if err != nil || c.DailyLimits["openai_images"] != 7 {
		t.Fatalf("%v %v", c.DailyLimits, err)
	}
	if !slices.Contains(Keys, "ELEVENLABS_DAILY_CHARACTERS") || !slices.Contains(Keys, "PEXELS_DAILY_DOWNLOADS") {
		t.Error("Keys lacks the daily limits")
	}
}

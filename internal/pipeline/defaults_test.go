package pipeline_test

import (
	"maps"
	"testing"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/pipeline"
)

func TestDefaults(t *testing.T) {
	cases := []struct {
		env    map[string]string
		want   map[string]string
		speech bool
	}{
		{map[string]string{},
			map[string]string{"script": "offline", "tts": "offline", "images": "offline", "avatar": "none", "upload": "none"}, false},
		{map[string]string{"GEMINI_API_KEY": "g", "ELEVENLABS_API_KEY": "e", "STABILITY_API_KEY": "s", "DID_API_KEY": "d"},
			map[string]string{"script": "gemini", "tts": "elevenlabs", "images": "stability", "avatar": "did", "upload": "none"}, false},
		{map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1"}, // Ollama: chat, no speech
			map[string]string{"script": "openai", "tts": "offline", "images": "offline", "avatar": "none", "upload": "none"}, false},
		{map[string]string{"OPENAI_API_KEY": "k", "GOOGLE_TTS_API_KEY": "t"},
			map[string]string{"script": "openai", "tts": "google", "images": "offline", "avatar": "none", "upload": "none"}, true},
		// A choice without its key stays the default: the stage then
		// fails with a clear error.
		{map[string]string{"LLM_PROVIDER": "gemini", "TTS_PROVIDER": "elevenlabs", "YOUTUBE_CLIENT_ID": "i",
			"YOUTUBE_CLIENT_SECRET": "s", "YOUTUBE_REFRESH_TOKEN": "r"},
			map[string]string{"script": "gemini", "tts": "elevenlabs", "images": "offline", "avatar": "none", "upload": "youtube"}, false},
		// One Gemini key gives the pictures too; OpenAI pictures only when
		// chosen.
		{map[string]string{"GEMINI_API_KEY": "g"},
			map[string]string{"script": "gemini", "tts": "gemini", "images": "gemini", "avatar": "none", "upload": "none"}, false},
		{map[string]string{"GEMINI_API_KEY": "g", "IMAGE_PROVIDER": "offline", "TTS_PROVIDER": "offline"},
			map[string]string{"script": "gemini", "tts": "offline", "images": "offline", "avatar": "none", "upload": "none"}, false},
		{map[string]string{"GEMINI_API_KEY": "g", "IMAGE_PROVIDER": "gemini"},
			map[string]string{"script": "gemini", "tts": "gemini", "images": "gemini", "avatar": "none", "upload": "none"}, false},
		// Every other voice with a key comes before Gemini speech.
		{map[string]string{"GEMINI_API_KEY": "g", "OPENAI_API_KEY": "k"},
			map[string]string{"script": "gemini", "tts": "openai", "images": "gemini", "avatar": "none", "upload": "none"}, true},
		{map[string]string{"OPENAI_API_KEY": "k", "STABILITY_API_KEY": "s", "IMAGE_PROVIDER": "openai"},
			map[string]string{"script": "openai", "tts": "openai", "images": "openai", "avatar": "none", "upload": "none"}, true},
		{map[string]string{"IMAGE_PROVIDER": "gemini"},
			map[string]string{"script": "offline", "tts": "offline", "images": "gemini", "avatar": "none", "upload": "none"}, false},
	}
	for _, tc := range cases {
		tc.env["DATA_DIR"] = t.TempDir()
		c, err := config.Load(config.Sources{Env: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }})
		if err != nil {
			t.Fatal(err)
		}
		if got := pipeline.Defaults(c); !maps.Equal(got, tc.want) {
			t.Errorf("%v: defaults %v, want %v", tc.env, got, tc.want)
		}
		if got := pipeline.OpenAISpeechConfigured(c); got != tc.speech {
			t.Errorf("%v: speech configured %v", tc.env, got)
		}
	}
}

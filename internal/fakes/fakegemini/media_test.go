package fakegemini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"strings"
	"testing"
)

type mediaAnswer struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text       string `json:"text"`
				InlineData *struct {
					MIMEType string `json:"mimeType"`
					Data     string `json:"data"`
				} `json:"inlineData"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
}

func TestImageAnswer(t *testing.T) {
	srv := New(Options{APIKey: "k1", MaxImageSide: 200})
	defer srv.Close()
	url := srv.URL() + "/v1beta/models/gemini-3.1-flash-image:generateContent"
	code, body := post(t, url, "k1", `{"contents":[{"role":"user","parts":[{"text":"a red boat"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"],"imageConfig":{"aspectRatio":"9:16","imageSize":"2K"}}}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var a mediaAnswer
	if err := json.Unmarshal(body, &a); err != nil || len(a.Candidates) != 1 || len(a.Candidates[0].Content.Parts) != 2 {
		t.Fatalf("answer %s (%v)", body, err)
	}
	p := a.Candidates[0].Content.Parts
	if p[0].Text == "" || p[1].InlineData == nil || p[1].InlineData.MIMEType != "image/png" {
		t.Fatalf("parts %s", body)
	}
	raw, _ := base64.StdEncoding.DecodeString(p[1].InlineData.Data)
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Height != 200 || cfg.Width >= cfg.Height {
		t.Fatalf("picture %+v %v", cfg, err)
	}
	r := srv.Requests()[0]
	if r.AspectRatio != "9:16" || r.ImageSize != "2K" || r.Width != cfg.Width || r.Height != 200 {
		t.Fatalf("request %+v", r)
	}
	for name, c := range map[string]struct{ model, config string }{
		"image from a text model": {"gemini-3.5-flash", `{"responseModalities":["IMAGE"]}`},
		"unknown ratio":           {"gemini-3.1-flash-image", `{"responseModalities":["IMAGE"],"imageConfig":{"aspectRatio":"7:5"}}`},
		"output mime type":        {"gemini-3.1-flash-image", `{"responseModalities":["IMAGE"],"imageConfig":{"outputMimeType":"image/jpeg"}}`},
		"speech without AUDIO":    {"gemini-3.8-flash-tts", `{"responseModalities":["TEXT"]}`},
		"unknown voice":           {"gemini-3.8-flash-tts", `{"responseModalities":["AUDIO"],"speechConfig":{"voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Bob"}}}}`},
	} {
		code, body := post(t, srv.URL()+"/v1beta/models/"+c.model+":generateContent", "k1",
			`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":`+c.config+`}`)
		if code != 400 || !strings.Contains(string(body), "INVALID_ARGUMENT") {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
}

func TestSpeechAnswer(t *testing.T) {
	srv := New(Options{})
	defer srv.Close()
	code, body := post(t, srv.URL()+"/v1beta/models/gemini-3.8-flash-tts:generateContent", "k",
		`{"contents":[{"parts":[{"text":"Rivers shape the land around them."}]}],"generationConfig":{"responseModalities":["AUDIO"],"speechConfig":{"voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}}}}}`)
	var a mediaAnswer
	if code != 200 || json.Unmarshal(body, &a) != nil || len(a.Candidates) != 1 || len(a.Candidates[0].Content.Parts) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	d := a.Candidates[0].Content.Parts[0].InlineData
	raw, _ := base64.StdEncoding.DecodeString(d.Data)
	if d.MIMEType != "audio/L16;codec=pcm;rate=24000" || len(raw) < SpeechRate || len(raw)%2 != 0 {
		t.Fatalf("audio %s, %d bytes", d.MIMEType, len(raw))
	}
	if r := srv.Requests()[0]; r.Voice != "Kore" || r.Seconds < 1 {
		t.Fatalf("request %+v", r)
	}
}

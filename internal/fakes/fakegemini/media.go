package fakegemini

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeaudio"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeimage"
	"github.com/ytmaker/ytmaker/internal/language"
)

// Image generation and speech through generateContent: a request whose
// generationConfig.responseModalities holds IMAGE (image models, whose
// names contain "-image") is answered with a short text part and an
// inlineData PNG; one holding AUDIO (speech models, "-tts") with headerless
// 16-bit mono 24 kHz PCM as audio/L16, as the older speech models answer.

// imageSizes are the 1K sizes per aspect ratio; 2K doubles them, 4K
// doubles again.
var imageSizes = map[string][2]int{
	"1:1": {1024, 1024}, "2:3": {832, 1248}, "3:2": {1248, 832}, "3:4": {864, 1184}, "4:3": {1184, 864},
	"4:5": {896, 1152}, "5:4": {1152, 896}, "9:16": {768, 1344}, "16:9": {1344, 768}, "21:9": {1536, 672},
}

// Voices are the prebuilt voices the speech models know.
var Voices = []string{"Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe", "Autonoe",
	"Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
	"Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat"}

// SpeechRate is the sample rate of the speech answers.
const SpeechRate = 24000

type imageCfg struct {
	AspectRatio    string `json:"aspectRatio"`
	ImageSize      string `json:"imageSize"`
	OutputMIMEType string `json:"outputMimeType"`
}

type speechCfg struct {
	VoiceConfig *struct {
		PrebuiltVoiceConfig *struct {
			VoiceName string `json:"voiceName"`
		} `json:"prebuiltVoiceConfig"`
	} `json:"voiceConfig"`
}

func (s *speechCfg) voice() string {
	if s == nil || s.VoiceConfig == nil || s.VoiceConfig.PrebuiltVoiceConfig == nil {
		return ""
	}
	return s.VoiceConfig.PrebuiltVoiceConfig.VoiceName
}

func isImageModel(model string) bool { return strings.Contains(model, "-image") }
func isSpeechModel(model string) bool {
	return strings.HasSuffix(model, "-tts") || strings.Contains(model, "-tts-")
}

// validateMedia returns the service's message for modalities, image or
// speech settings the model does not take, or "".
func validateMedia(model string, g *generationCfg) string {
	if g == nil {
		if isSpeechModel(model) {
			return "Model tts models only support AUDIO response modality."
		}
		return ""
	}
	for _, m := range g.ResponseModalities {
		switch strings.ToUpper(m) {
		case "TEXT":
		case "IMAGE":
			if !isImageModel(model) {
				return fmt.Sprintf("The requested combination of response modalities (%s) is not supported by the model %s.", strings.Join(g.ResponseModalities, ", "), model)
			}
		case "AUDIO":
			if !isSpeechModel(model) {
				return fmt.Sprintf("The requested combination of response modalities (%s) is not supported by the model %s.", strings.Join(g.ResponseModalities, ", "), model)
			}
		default:
			return fmt.Sprintf("* GenerateContentRequest.generation_config.response_modalities: unknown modality %q\n", m)
		}
	}
	if isSpeechModel(model) && !slices.Contains(g.ResponseModalities, "AUDIO") {
		return "Model tts models only support AUDIO response modality."
	}
	if ic := g.ImageConfig; ic != nil {
		if ic.AspectRatio != "" && imageSizes[ic.AspectRatio] == [2]int{} {
			return fmt.Sprintf("* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported aspect ratio %q\n", ic.AspectRatio)
		}
		switch ic.ImageSize {
		case "", "1K", "2K", "4K":
		default:
			return fmt.Sprintf("* GenerateContentRequest.generation_config.image_config.image_size: unsupported image size %q\n", ic.ImageSize)
		}
		if ic.OutputMIMEType != "" {
			return "output_mime_type parameter is not supported in Gemini API."
		}
	}
	if v := g.SpeechConfig.voice(); v != "" && !slices.Contains(Voices, v) {
		return fmt.Sprintf("Voice name %s is not supported.", v)
	}
	return ""
}

// wantsImage reports whether a request asks for a picture.
func wantsImage(g *generationCfg) bool {
	return g != nil && slices.ContainsFunc(g.ResponseModalities, func(m string) bool { return strings.EqualFold(m, "IMAGE") })
}

// wantsAudio reports whether a request asks for speech.
func wantsAudio(g *generationCfg) bool {
	return g != nil && slices.ContainsFunc(g.ResponseModalities, func(m string) bool { return strings.EqualFold(m, "AUDIO") })
}

// imageAnswer builds the parts of a picture answer for prompt, and its
// size before any shrinking.
func (s *Server) imageAnswer(prompt string, g *generationCfg, f Fault, rec *Request) ([]part, string) {
	ar, size := "1:1", "1K"
	if g.ImageConfig != nil {
		ar = cmpOr(g.ImageConfig.AspectRatio, ar)
		size = cmpOr(g.ImageConfig.ImageSize, size)
	}
	wh := imageSizes[ar]
	mul := map[string]int{"1K": 1, "2K": 2, "4K": 4}[size]
	w, h := fakeimage.Scale(wh[0]*mul, wh[1]*mul, s.opts.MaxImageSide)
	rec.AspectRatio, rec.ImageSize, rec.Width, rec.Height = ar, size, w, h
	text := part{Text: "Here is the image you asked for."}
	switch f.output {
	case outputNoMedia:
		return []part{{Text: "I can't create that image. Could I help with something else?"}}, "STOP"
	case outputImageSafety:
		return nil, "IMAGE_SAFETY"
	case outputNotMedia:
		return []part{text, {InlineData: &inlineData{MIMEType: "image/png", Data: base64.StdEncoding.EncodeToString([]byte("<html>busy</html>"))}}}, "STOP"
	}
	img := fakeimage.PNG(w, h, prompt)
	return []part{text, {InlineData: &inlineData{MIMEType: "image/png", Data: base64.StdEncoding.EncodeToString(img)}}}, "STOP"
}

// audioAnswer builds the parts of a speech answer for text: a tone as
// long as reading it takes.
func (s *Server) audioAnswer(text string, g *generationCfg, f Fault, rec *Request) ([]part, string) {
	rec.Voice = g.SpeechConfig.voice()
	secs := math.Max(0.3, language.ReadingSeconds(text))
	pcm := fakeaudio.Tone(SpeechRate, secs)
	switch f.output {
	case outputNoMedia:
		return nil, "OTHER"
	case outputNotMedia:
		pcm = []byte("<html>busy</html>")
	case outputSilentAudio:
		pcm = make([]byte, len(pcm))
	}
	rec.Seconds = float64(len(pcm)/2) / SpeechRate
	return []part{{InlineData: &inlineData{MIMEType: fmt.Sprintf("audio/L16;codec=pcm;rate=%d", SpeechRate),
		Data: base64.StdEncoding.EncodeToString(pcm)}}}, "STOP"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

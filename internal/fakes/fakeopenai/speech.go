package fakeopenai

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeaudio"
	"github.com/ytmaker/ytmaker/internal/language"
)

// SpeechRequest is what a POST /v1/audio/speech call asked for.
type SpeechRequest struct {
	Model          string
	Voice          string
	Input          string
	ResponseFormat string
	Speed          float64
	// Seconds is the length of the audio answered.
	Seconds float64
}

// MaxSpeechInput is the longest input the speech endpoint takes, in
// characters.
const MaxSpeechInput = 4096

// speechRate is the sample rate of the audio the fake answers with; pcm
// is headerless 24 kHz as on the real service.
const speechRate = 24000

func (s *Server) speech(w http.ResponseWriter, r *http.Request, body []byte, rec *Request) {
	var req struct {
		Model          string          `json:"model"`
		Input          string          `json:"input"`
		Voice          json.RawMessage `json:"voice"`
		ResponseFormat string          `json:"response_format"`
		Speed          *float64        `json:"speed"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request. "+err.Error(), "invalid_request_error", "", "")
		return
	}
	voice := text(req.Voice)
	if voice == "" {
		var v struct {
			ID string `json:"id"`
		}
		json.Unmarshal(req.Voice, &v)
		voice = v.ID
	}
	rec.Model = req.Model
	sp := SpeechRequest{Model: req.Model, Voice: voice, Input: req.Input, ResponseFormat: req.ResponseFormat, Speed: 1}
	if req.Speed != nil {
		sp.Speed = *req.Speed
	}
	if sp.ResponseFormat == "" {
		sp.ResponseFormat = "mp3"
	}
	rec.Speech = sp
	var msg, param string
	switch {
	case req.Model == "":
		msg, param = "you must provide a model parameter", "model"
	case strings.TrimSpace(req.Input) == "":
		msg, param = "Missing required parameter: 'input'.", "input"
	case utf8.RuneCountInString(req.Input) > MaxSpeechInput:
		msg, param = fmt.Sprintf("'%s...' is too long - 'input' (maximum %d characters)", req.Input[:20], MaxSpeechInput), "input"
	case voice == "":
		msg, param = "Missing required parameter: 'voice'.", "voice"
	case sp.Speed < 0.25 || sp.Speed > 4:
		msg, param = fmt.Sprintf("%v is out of range - 'speed' (0.25 to 4.0)", sp.Speed), "speed"
	case sp.ResponseFormat != "wav" && sp.ResponseFormat != "pcm":
		// The fake encodes only what needs no codec.
		msg, param = fmt.Sprintf("The fake serves response_format wav and pcm, not '%s'.", sp.ResponseFormat), "response_format"
	}
	if s.refuse(w, msg, param, req.Model) {
		return
	}

	fault, answered := s.applyFault(w, r, rec, droppedSpeech)
	if answered {
		return
	}
	secs := math.Max(0.3, language.ReadingSeconds(req.Input)/sp.Speed)
	var audio []byte
	switch fault.output {
	case outputEmptyAudio:
		secs = 0
	case outputNotAudio:
		audio, secs = []byte("<html><body>Service temporarily unavailable</body></html>"), 0
	case outputSilent:
		audio = make([]byte, 2*int(secs*speechRate))
		if sp.ResponseFormat == "wav" {
			audio = append(fakeaudio.WAVHeader(speechRate, len(audio)), audio...)
		}
	default:
		audio = fakeaudio.Tone(speechRate, secs)
		if sp.ResponseFormat == "wav" {
			audio = append(fakeaudio.WAVHeader(speechRate, len(audio)), audio...)
		}
	}
	rec.Speech.Seconds = secs
	ct := "audio/wav"
	switch {
	case fault.output == outputNotAudio:
		ct = "text/html; charset=utf-8"
	case sp.ResponseFormat == "pcm":
		ct = "audio/pcm"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	w.Write(audio)
}

// droppedSpeech is what a Drop fault sends: audio promised and never
// finished.
const droppedSpeech = "HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: 65536\r\n\r\nRIFF\x24\x00\x01\x00WAVEfmt "

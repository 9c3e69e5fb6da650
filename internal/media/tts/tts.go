// Package tts holds what every narration engine shares: the request, the
// result, and the offline engines that need no API key (festival with an
// HTS voice for English, espeak-ng for other languages).
package tts

import "time"

// Request asks for one piece of narration. Every engine writes a PCM WAV
// file at OutPath (atomically), whatever its native format.
type Request struct {
	Text     string // what to say; plain text
	Language string // BCP 47 tag, e.g. "en", "zh-TW"
	Voice    string // engine-specific voice name; "" picks the engine's default for Language
	OutPath  string // where to write the WAV file
}

// Result describes the written audio.
type Result struct {
	Path       string
	Duration   time.Duration
	SampleRate int
	Engine     string // "festival", "espeak-ng", "google-tts", ...
	// Words are the word times the engine reports (festival's utterance,
	// SSML mark timepoints, an alignment endpoint), in spoken order and
	// from the start of this audio. Nil when the engine reports none;
	// Narrate then finds them with Align.
	Words []WordTiming
}

// WordTiming is when one word is spoken, measured from the start of the
// audio it belongs to. Word is the word as written in the text (engines
// that expand numbers or symbols report the written token, not the
// expansion).
type WordTiming struct {
	Word       string
	Start, End time.Duration
}

package project

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"unicode"
)

// Caption styles (settings.captions).
const (
	CaptionsSentence = "sentence" // whole sentences (the default)
	CaptionsWord     = "word"     // the line stays, the spoken word is highlighted
	CaptionsPunch    = "punch"    // one to three words at a time, large and centred
	CaptionsNone     = "none"     // no burned-in captions
)

// Caption positions (settings.caption_style.position).
const (
	CaptionBottom = "bottom"
	CaptionMiddle = "middle"
	CaptionTop    = "top"
)

// CaptionStyle overrides the look of the burned-in captions. Empty fields
// keep the defaults of the caption style and video format.
type CaptionStyle struct {
	Font         string   `json:"font,omitempty"`          // font family (fontconfig name)
	Size         int      `json:"size,omitempty"`          // text height in pixels of the video frame, 12-400
	Color        string   `json:"color,omitempty"`         // text colour, #RRGGBB or #RRGGBBAA
	Highlight    string   `json:"highlight,omitempty"`     // colour of the spoken word
	Outline      *float64 `json:"outline,omitempty"`       // outline width in pixels, 0-20
	OutlineColor string   `json:"outline_color,omitempty"` // outline colour
	Box          *bool    `json:"box,omitempty"`           // draw an opaque box behind the text
	BoxColor     string   `json:"box_color,omitempty"`     // box colour (default translucent black)
	Position     string   `json:"position,omitempty"`      // bottom, middle or top
}

// ParseColor reads #RGB, #RRGGBB or #RRGGBBAA.
func ParseColor(s string) (color.NRGBA, error) {
	h := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) == 6 {
		h += "ff"
	}
	if len(h) != 8 {
		return color.NRGBA{}, fmt.Errorf("%q is not a colour such as #FFD400 or #000000B0", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("%q is not a colour such as #FFD400 or #000000B0", s)
	}
	return color.NRGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// validateCaptions normalises settings.captions and settings.caption_style.
// Neither captions nor subtitles is rewritten from the other (a later
// "null" resets each to its own default); subtitles: false means no
// captions whatever captions says (see CaptionMode).
func (s *Settings) validateCaptions() error {
	c := strings.ToLower(strings.TrimSpace(s.Captions))
	switch c {
	case "":
		c = CaptionsSentence
	case CaptionsSentence, CaptionsWord, CaptionsPunch, CaptionsNone:
	case "off", "false":
		c = CaptionsNone
	case "words", "karaoke":
		c = CaptionsWord
	default:
		return InvalidField("settings.captions", "%q is not one of sentence, word, punch, none", s.Captions)
	}
	s.Captions = c
	if s.Subtitles == nil {
		t := true
		s.Subtitles = &t
	}
	st := s.CaptionStyle
	if st == nil {
		return nil
	}
	st.Font = strings.TrimSpace(st.Font)
	if len(st.Font) > 100 || strings.IndexFunc(st.Font, func(r rune) bool {
		return unicode.IsControl(r) || strings.ContainsRune(",{}\\", r)
	}) >= 0 {
		return InvalidField("settings.caption_style.font", "must be a font family name (up to 100 characters, no , { } or \\)")
	}
	if st.Size != 0 && (st.Size < 12 || st.Size > 400) {
		return InvalidField("settings.caption_style.size", "must be between 12 and 400 pixels")
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"color", &st.Color}, {"highlight", &st.Highlight}, {"outline_color", &st.OutlineColor}, {"box_color", &st.BoxColor}} {
		*f.v = strings.TrimSpace(*f.v)
		if *f.v == "" {
			continue
		}
		if _, err := ParseColor(*f.v); err != nil {
			return InvalidField("settings.caption_style."+f.name, "%v", err)
		}
	}
	if st.Outline != nil && (*st.Outline < 0 || *st.Outline > 20) {
		return InvalidField("settings.caption_style.outline", "must be between 0 and 20 pixels")
	}
	switch p := strings.ToLower(strings.TrimSpace(st.Position)); p {
	case "", CaptionBottom, CaptionMiddle, CaptionTop:
		st.Position = p
	case "center", "centre":
		st.Position = CaptionMiddle
	default:
		return InvalidField("settings.caption_style.position", "%q is not one of bottom, middle, top", st.Position)
	}
	return nil
}

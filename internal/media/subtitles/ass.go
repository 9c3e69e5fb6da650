package subtitles

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Style is the look of ASS subtitles. Sizes are in pixels of the video
// frame (the script's PlayResX/PlayResY equal the frame size).
type Style struct {
	FontName     string
	FontSize     int
	Bold         bool
	Primary      color.NRGBA // text
	Highlight    color.NRGBA // the word being spoken (text between MarkStart and MarkEnd)
	OutlineColor color.NRGBA
	ShadowColor  color.NRGBA // also the box colour with BorderStyle 3
	BorderStyle  int         // 1 outline and shadow, 3 opaque box
	Outline      float64
	Shadow       float64
	MarginL      int
	MarginR      int
	MarginV      int
	Alignment    int // numpad layout: 2 = bottom centre
}

// DefaultStyle returns a readable style for a frame of the given size in
// font family fontName: white bold text with a dark outline and soft
// shadow, near the bottom for landscape frames and higher up for portrait
// frames, clear of what the Shorts player draws over the video (its
// bottom 20 % and right 15 %).
func DefaultStyle(width, height int, fontName string) Style {
	s := Style{
		FontName:     fontName,
		Bold:         true,
		Primary:      color.NRGBA{255, 255, 255, 255},
		Highlight:    color.NRGBA{255, 212, 0, 255},
		OutlineColor: color.NRGBA{0, 0, 0, 255},
		ShadowColor:  color.NRGBA{0, 0, 0, 128},
		BorderStyle:  1,
		Alignment:    2,
	}
	if width >= height {
		s.FontSize = int(math.Round(float64(height) * 0.052))
		s.MarginV = int(math.Round(float64(height) * 0.065))
		s.MarginL = int(math.Round(float64(width) * 0.06))
	} else {
		s.FontSize = int(math.Round(float64(width) * 0.062))
		s.MarginV = int(math.Round(float64(height) * ShortsBottom))
		s.MarginL = int(math.Round(float64(width) * 0.07))
	}
	s.FontSize = max(s.FontSize, 8)
	s.MarginR = s.MarginL
	if width < height {
		s.MarginR = int(math.Round(float64(width) * ShortsRight))
	}
	s.Outline = math.Round(float64(s.FontSize)*0.06*10) / 10
	s.Shadow = math.Round(float64(s.FontSize)*0.03*10) / 10
	return s
}

// The parts of a portrait frame the Shorts player covers with its
// controls, title and buttons, kept free of captions (with a little room).
const (
	ShortsBottom = 0.22 // of the height, from the bottom
	ShortsRight  = 0.16 // of the width, from the right
)

// Positions of captions on the frame.
const (
	PositionBottom = "bottom"
	PositionMiddle = "middle"
	PositionTop    = "top"
)

// StyleFor returns the default style of a caption mode: DefaultStyle for
// sentence and word captions; for punch captions a larger type with a
// thicker outline, in the same band as other captions (the slides keep
// their middle for the heading and key sentence, and in portrait the band
// stays above the Shorts player's title and left of its buttons).
func StyleFor(mode string, width, height int, fontName string) Style {
	s := DefaultStyle(width, height, fontName)
	if mode != ModePunch {
		return s
	}
	if width >= height {
		s.FontSize = int(math.Round(float64(height) * 0.085))
	} else {
		s.FontSize = int(math.Round(float64(width) * 0.095))
	}
	s.FontSize = max(s.FontSize, 10)
	s.Outline = math.Round(float64(s.FontSize)*0.08*10) / 10
	s.Shadow = math.Round(float64(s.FontSize)*0.04*10) / 10
	return s
}

// SetPosition moves captions to the bottom, middle or top of the frame,
// keeping portrait captions out of the Shorts player's bottom area.
func (s *Style) SetPosition(pos string, width, height int) {
	col := (s.Alignment - 1) % 3 // 0 left, 1 centre, 2 right
	switch pos {
	case PositionTop:
		s.Alignment = 7 + col
		s.MarginV = int(math.Round(float64(height) * 0.08))
	case PositionMiddle:
		s.Alignment = 4 + col
		s.MarginV = 0
	case PositionBottom:
		s.Alignment = 1 + col
		if width >= height {
			s.MarginV = int(math.Round(float64(height) * 0.065))
		} else {
			s.MarginV = int(math.Round(float64(height) * ShortsBottom))
		}
	}
}

// assColor formats a colour as &HAABBGGRR (ASS alpha 0 is opaque).
func assColor(c color.NRGBA) string {
	return fmt.Sprintf("&H%02X%02X%02X%02X", 255-c.A, c.B, c.G, c.R)
}

// assRGB formats a colour as &HBBGGRR& for override tags.
func assRGB(c color.NRGBA) string {
	return fmt.Sprintf("&H%02X%02X%02X&", c.B, c.G, c.R)
}

// assTime formats d as H:MM:SS.cc, truncating to centiseconds.
func assTime(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	cs := int64(d / (10 * time.Millisecond))
	return fmt.Sprintf("%d:%02d:%02d.%02d", cs/360000, cs/6000%60, cs/100%60, cs%100)
}

// EscapeASS makes plain text safe as an ASS event text: braces cannot
// open override blocks, a backslash cannot form an escape (\N, \n, \h),
// and line breaks become \N.
func EscapeASS(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	runes := []rune(text)
	var b strings.Builder
	for i, r := range runes {
		switch r {
		case '\\':
			b.WriteRune('\\')
			if i+1 < len(runes) && strings.ContainsRune("Nnh", runes[i+1]) {
				b.WriteRune('\u2060') // word joiner: invisible, breaks the escape
			}
		case '{':
			b.WriteString(`\{`)
		case '}':
			b.WriteString(`\}`)
		case '\n':
			b.WriteString(`\N`)
		case '\t':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// WriteASS writes an ASS script for a width×height frame with one event
// per cue. Lines are kept as broken by the cues; libass wraps further only
// a line wider than the frame.
func WriteASS(w io.Writer, cues []Cue, width, height int, st Style) error {
	bw := bufio.NewWriter(w)
	bold := 0
	if st.Bold {
		bold = -1
	}
	fmt.Fprintf(bw, "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\n", width, height)
	fmt.Fprint(bw, "WrapStyle: 0\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n")
	fmt.Fprint(bw, "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n")
	fmt.Fprintf(bw, "Style: Default,%s,%d,%s,%s,%s,%s,%d,0,0,0,100,100,0,0,%d,%g,%g,%d,%d,%d,%d,1\n\n",
		strings.ReplaceAll(st.FontName, ",", " "), st.FontSize,
		assColor(st.Primary), assColor(st.Primary), assColor(st.OutlineColor), assColor(st.ShadowColor),
		bold, st.BorderStyle, st.Outline, st.Shadow, st.Alignment, st.MarginL, st.MarginR, st.MarginV)
	// Highlight marks switch the text colour.
	marks := strings.NewReplacer(string(MarkStart), `{\1c`+assRGB(st.Highlight)+`}`, string(MarkEnd), `{\1c`+assRGB(st.Primary)+`}`)
	fmt.Fprint(bw, "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")
	for _, c := range cues {
		if c.End <= c.Start || strings.TrimSpace(c.Text) == "" {
			continue
		}
		fmt.Fprintf(bw, "Dialogue: 0,%s,%s,Default,,0,0,0,,%s\n", assTime(c.Start), assTime(c.End), marks.Replace(EscapeASS(c.Text)))
	}
	return bw.Flush()
}

// WriteASSFile writes an ASS script atomically at path.
func WriteASSFile(path string, cues []Cue, width, height int, st Style) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return WriteASS(w, cues, width, height, st)
	})
}

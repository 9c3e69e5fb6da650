package googletts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The service answers {"audioContent": "<base64 audio>", ...}; a long
// chunk's audio is megabytes. The answer is decoded as it arrives and the
// samples go straight to the output file, so memory stays flat whatever
// the length of the narration.

// maxKey bounds the length of a JSON object key read while looking for
// audioContent.
const maxKey = 1 << 10

// audioContent reads a JSON object from r up to the value of its
// "audioContent" member and returns a reader of that string's contents
// (base64 text). Members before it are skipped without being kept.
func audioContent(r *bufio.Reader) (io.Reader, error) {
	if err := expect(r, '{'); err != nil {
		return nil, err
	}
	for {
		c, err := nextNonSpace(r)
		if err != nil {
			return nil, err
		}
		if c == '}' {
			return nil, errors.New("no audioContent in the answer")
		}
		if c == ',' {
			continue
		}
		if c != '"' {
			return nil, fmt.Errorf("unexpected %q in the answer", c)
		}
		key, err := readKey(r)
		if err != nil {
			return nil, err
		}
		if err := expect(r, ':'); err != nil {
			return nil, err
		}
		if key == "audioContent" {
			if err := expect(r, '"'); err != nil {
				return nil, err
			}
			return &jsonString{r: r}, nil
		}
		if err := skipValue(r); err != nil {
			return nil, err
		}
	}
}

func nextNonSpace(r *bufio.Reader) (byte, error) {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return 0, truncated(err)
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, nil
	}
}

func expect(r *bufio.Reader, want byte) error {
	c, err := nextNonSpace(r)
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("the answer is not the expected JSON: %q where %q belongs", c, want)
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readKey reads the rest of a JSON string (after its opening quote),
// keeping at most maxKey bytes; escapes are kept as written, which is
// enough to compare with a plain key.
func readKey(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", truncated(err)
		}
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			e, err := r.ReadByte()
			if err != nil {
				return "", truncated(err)
			}
			if b.Len() < maxKey {
				b.WriteByte(c)
				b.WriteByte(e)
			}
			continue
		}
		if b.Len() < maxKey {
			b.WriteByte(c)
		}
	}
}

// skipValue reads past one JSON value.
func skipValue(r *bufio.Reader) error {
	c, err := nextNonSpace(r)
	if err != nil {
		return err
	}
	switch c {
	case '"':
		_, err := io.Copy(io.Discard, &jsonString{r: r, raw: true})
		return err
	case '{', '[':
		depth := 1
		for depth > 0 {
			c, err := r.ReadByte()
			if err != nil {
				return truncated(err)
			}
			switch c {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			case '"':
				if _, err := io.Copy(io.Discard, &jsonString{r: r, raw: true}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// A number or a literal: up to the next delimiter.
	for {
		c, err := r.ReadByte()
		if err != nil {
			return truncated(err)
		}
		switch c {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return r.UnreadByte()
		}
	}
}

// jsonString reads the contents of a JSON string, after its opening quote,
// up to its closing quote. Base64 needs no escape but "\/", which some
// encoders write for "/"; other escapes are refused unless raw is set (to
// skip a string whose contents do not matter).
type jsonString struct {
	r    *bufio.Reader
	raw  bool
	done bool
}

func (s *jsonString) Read(p []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		if n > 0 && s.r.Buffered() == 0 {
			break // return what is there rather than block
		}
		c, err := s.r.ReadByte()
		if err != nil {
			return n, truncated(err)
		}
		switch c {
		case '"':
			s.done = true
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case '\\':
			e, err := s.r.ReadByte()
			if err != nil {
				return n, truncated(err)
			}
			switch {
			case e == '/' || e == '\\' || e == '"':
				c = e
			case s.raw:
				c = e
			default:
				return n, fmt.Errorf("unexpected escape \\%c in audioContent", e)
			}
		}
		p[n] = c
		n++
	}
	return n, nil
}

// readPCM reads LINEAR16 audio with a WAV header (what the service sends)
// or without one (raw samples at the requested rate, mono) from r, and
// returns its format and a reader of the samples.
func readPCM(r io.Reader, rate int) (pcmFormat, io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(12)
	if len(head) < 12 || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		if err != nil && !errors.Is(err, io.EOF) {
			return pcmFormat{}, nil, err
		}
		return pcmFormat{rate: rate, channels: 1}, br, nil
	}
	if _, err := br.Discard(12); err != nil {
		return pcmFormat{}, nil, err
	}
	var f pcmFormat
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return f, nil, errors.New("WAV has no data chunk")
			}
			return f, nil, err
		}
		id, size := string(hdr[0:4]), int64(le32(hdr[4:]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<10 {
				return f, nil, errors.New("WAV fmt chunk is short")
			}
			body := make([]byte, size+size&1)
			if _, err := io.ReadFull(br, body); err != nil {
				return f, nil, errors.New("WAV fmt chunk is short")
			}
			if tag := le16(body); tag != 1 && tag != 0xFFFE {
				return f, nil, fmt.Errorf("WAV format %d is not PCM", tag)
			}
			f.channels = int(le16(body[2:]))
			f.rate = int(le32(body[4:]))
			if bits := le16(body[14:]); bits != 16 {
				return f, nil, fmt.Errorf("WAV has %d-bit samples, want 16", bits)
			}
			if f.channels < 1 || f.rate < 1 {
				return f, nil, errors.New("WAV fmt chunk is invalid")
			}
		case "data":
			if f.rate == 0 || f.channels == 0 {
				return f, nil, errors.New("WAV data before fmt")
			}
			if uint32(size) == 0xFFFFFFFF || size == 0 {
				return f, br, nil // streaming writers leave the size unset
			}
			return f, io.LimitReader(br, size), nil
		default:
			if _, err := br.Discard(int(size + size&1)); err != nil {
				return f, nil, errors.New("WAV has no data chunk")
			}
		}
	}
}

package ffmpeg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
)

// Rational is a fraction such as a frame rate (30000/1001).
type Rational struct{ Num, Den int }

// Float returns the value of r, or 0 when the denominator is 0.
func (r Rational) Float() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// String formats r as "num/den".
func (r Rational) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// Stream describes one stream of a probed file. Fields that do not apply to
// the stream's type are zero.
type Stream struct {
	Index   int
	Type    string // "video", "audio", "subtitle", "data"
	Codec   string // e.g. "h264", "aac", "pcm_s16le"
	Profile string // e.g. "High", "LC"
	// Width and Height are the pictures' size as ffmpeg decodes them:
	// upright, a quarter turn in the display matrix (phone footage)
	// swapping the stored size.
	Width, Height  int
	Rotation       int // degrees of the display matrix, as ffprobe reports them; 0 when none
	PixFmt         string
	RFrameRate     Rational
	AvgFrameRate   Rational
	Duration       time.Duration
	SampleRate     int
	Channels       int
	NbFrames       int64 // frames (video) or packets as counted by the container; 0 when unknown
	ColorSpace     string
	ColorPrimaries string
	ColorTransfer  string
	ColorRange     string
}

// ProbeResult describes a media file.
type ProbeResult struct {
	FormatName string
	Duration   time.Duration
	Size       int64
	BitRate    int64
	Streams    []Stream
}

// Video returns the first video stream.
func (p *ProbeResult) Video() (Stream, bool) { return p.first("video") }

// Audio returns the first audio stream.
func (p *ProbeResult) Audio() (Stream, bool) { return p.first("audio") }

func (p *ProbeResult) first(typ string) (Stream, bool) {
	for _, s := range p.Streams {
		if s.Type == typ {
			return s, true
		}
	}
	return Stream{}, false
}

// Probe reads a file's format and streams with ffprobe. Failures are
// FFMPEG_FAILED errors (not retryable) carrying ffprobe's stderr.
func (r *Runner) Probe(ctx context.Context, path string) (*ProbeResult, error) {
	cmd := exec.Command(r.ffprobe, "-v", "error", "-print_format", "json",
		"-show_format", "-show_streams", path)
	var stdout bytes.Buffer
	tail := &childproc.Tail{}
	cmd.Stdout = &stdout
	cmd.Stderr = tail
	if err := childproc.Run(ctx, cmd, r.grace); err != nil {
		if ctx.Err() != nil {
			return nil, errcode.Classify(ctx.Err()).WithCause(err)
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, notFound("ffprobe", r.ffprobe, err)
		}
		msg := "ffprobe failed on " + path
		if s := tail.String(); s != "" {
			msg += ": " + lastLine(s)
		}
		return nil, errcode.New(errcode.FFmpegFailed, msg, false).
			WithDetail("stderr", tail.String()).WithCause(err)
	}
	res, err := parseProbe(stdout.Bytes())
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FFmpegFailed, false, "read ffprobe output for "+path)
	}
	return res, nil
}

type probeJSON struct {
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		Size       string `json:"size"`
		BitRate    string `json:"bit_rate"`
	} `json:"format"`
	Streams []struct {
		Index          int    `json:"index"`
		CodecType      string `json:"codec_type"`
		CodecName      string `json:"codec_name"`
		Profile        string `json:"profile"`
		Width          int    `json:"width"`
		Height         int    `json:"height"`
		PixFmt         string `json:"pix_fmt"`
		RFrameRate     string `json:"r_frame_rate"`
		AvgFrameRate   string `json:"avg_frame_rate"`
		Duration       string `json:"duration"`
		SampleRate     string `json:"sample_rate"`
		Channels       int    `json:"channels"`
		NbFrames       string `json:"nb_frames"`
		ColorSpace     string `json:"color_space"`
		ColorPrimaries string `json:"color_primaries"`
		ColorTransfer  string `json:"color_transfer"`
		ColorRange     string `json:"color_range"`
		SideDataList   []struct {
			Type     string  `json:"side_data_type"`
			Rotation float64 `json:"rotation"`
		} `json:"side_data_list"`
		Tags struct {
			Rotate string `json:"rotate"`
		} `json:"tags"`
	} `json:"streams"`
}

func parseProbe(data []byte) (*ProbeResult, error) {
	var pj probeJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, err
	}
	res := &ProbeResult{
		FormatName: pj.Format.FormatName,
		Duration:   seconds(pj.Format.Duration),
		Size:       atoi64(pj.Format.Size),
		BitRate:    atoi64(pj.Format.BitRate),
	}
	for _, s := range pj.Streams {
		rot := 0
		for _, sd := range s.SideDataList {
			if sd.Type == "Display Matrix" {
				rot = int(math.Round(sd.Rotation))
			}
		}
		if rot == 0 && s.Tags.Rotate != "" { // older ffprobe
			rot, _ = strconv.Atoi(s.Tags.Rotate)
		}
		w, h := s.Width, s.Height
		if (rot%180+180)%180 == 90 {
			w, h = h, w
		}
		res.Streams = append(res.Streams, Stream{
			Index:          s.Index,
			Type:           s.CodecType,
			Codec:          s.CodecName,
			Profile:        s.Profile,
			Width:          w,
			Height:         h,
			Rotation:       rot,
			PixFmt:         s.PixFmt,
			RFrameRate:     rational(s.RFrameRate),
			AvgFrameRate:   rational(s.AvgFrameRate),
			Duration:       seconds(s.Duration),
			SampleRate:     int(atoi64(s.SampleRate)),
			Channels:       s.Channels,
			NbFrames:       atoi64(s.NbFrames),
			ColorSpace:     s.ColorSpace,
			ColorPrimaries: s.ColorPrimaries,
			ColorTransfer:  s.ColorTransfer,
			ColorRange:     s.ColorRange,
		})
	}
	return res, nil
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func atoi64(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func rational(s string) Rational {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return Rational{}
	}
	n, err1 := strconv.Atoi(num)
	d, err2 := strconv.Atoi(den)
	if err1 != nil || err2 != nil {
		return Rational{}
	}
	return Rational{n, d}
}

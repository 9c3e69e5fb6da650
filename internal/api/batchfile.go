package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ytmaker/ytmaker/internal/project"
)

// Batch files. A CSV file has a header row naming its columns (in any
// order, case-insensitive); name and content are required:
//
//	name         the project's name
//	content      the text to make the video from (quote it for commas and newlines)
//	language     en, zh-TW, ... (default: detected)
//	format       1920x1080 (default) or 1080x1920
//	voice        a voice name
//	motion       none (default) or kenburns
//	subtitles    true/false (default true)
//	privacy      public, unlisted or private (default private)
//	title        the YouTube title
//	description  the YouTube description
//	tags         YouTube tags separated by |
//	upload       true/false: upload to YouTube (default true)
//
// A JSONL file has one project per line, each a JSON object with the same
// fields as POST /projects (name, content, language, settings).

// csvColumns are the columns a batch CSV may have.
var csvColumns = []string{"name", "content", "language", "format", "voice", "motion", "subtitles", "privacy",
	"title", "description", "tags", "upload"}

// maxBatchRows stops reading a file that has more projects than a batch
// may hold.
const maxBatchRows = project.MaxBatchProjects

func tooManyRows() *apiError {
	return invalid("projects", "a batch holds at most %d projects", project.MaxBatchProjects)
}

// parseCSV reads projects from a CSV batch file.
func parseCSV(r io.Reader) ([]project.Input, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3) // a byte-order mark, as spreadsheets write it
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0 // every row has as many fields as the header
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, newError(http.StatusBadRequest, CodeInvalidCSV, "the CSV file is empty; it needs a header row with at least name,content")
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !contains(csvColumns, h) {
			return nil, newError(http.StatusBadRequest, CodeUnknownField, "unknown CSV column %q; columns are %s", h, strings.Join(csvColumns, ", ")).
				with("field", h).with("line", 1)
		}
		if _, dup := col[h]; dup {
			return nil, newError(http.StatusBadRequest, CodeInvalidCSV, "column %q appears twice", h).with("field", h).with("line", 1)
		}
		col[h] = i
	}
	for _, need := range []string{"name", "content"} {
		if _, ok := col[need]; !ok {
			return nil, newError(http.StatusBadRequest, CodeInvalidCSV, "the header must have a %q column", need).with("field", need).with("line", 1)
		}
	}
	var out []project.Input
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(out) >= maxBatchRows {
			return nil, tooManyRows()
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		i := len(out)
		bad := func(field, format string, args ...any) error {
			return invalid(fmt.Sprintf("projects[%d].%s", i, field), format, args...).with("line", line)
		}
		in := project.Input{Name: get("name"), Content: rec[col["content"]], Language: get("language")}
		st := &in.Settings
		st.Format, st.Voice, st.Motion = get("format"), get("voice"), get("motion")
		st.YouTube.Privacy, st.YouTube.Title, st.YouTube.Description = get("privacy"), get("title"), get("description")
		for _, f := range []struct {
			name string
			dst  **bool
		}{{"subtitles", &st.Subtitles}, {"upload", &st.YouTube.Upload}} {
			if v := get(f.name); v != "" {
				b, ok := parseBool(v)
				if !ok {
					field := "settings." + f.name
					if f.name == "upload" {
						field = "settings.youtube.upload"
					}
					return nil, bad(field, "%q is not true or false", v)
				}
				*f.dst = &b
			}
		}
		if v := get("tags"); v != "" {
			for _, t := range strings.Split(v, "|") {
				if t = strings.TrimSpace(t); t != "" {
					st.YouTube.Tags = append(st.YouTube.Tags, t)
				}
			}
		}
		out = append(out, in)
	}
	return out, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		var mbe *http.MaxBytesError
		if errors.As(pe.Err, &mbe) {
			return jsonError(mbe)
		}
		return newError(http.StatusBadRequest, CodeInvalidCSV, "CSV line %d: %v", pe.Line, pe.Err).with("line", pe.Line)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return jsonError(mbe)
	}
	return newError(http.StatusBadRequest, CodeInvalidCSV, "cannot read the CSV file: %v", err)
}

// parseJSONL reads projects from a JSON Lines batch file: one project
// object per line; blank lines are skipped.
func parseJSONL(r io.Reader) ([]project.Input, error) {
	br := bufio.NewReader(r)
	var out []project.Input
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, jsonError(mbe)
			}
			return nil, newError(http.StatusBadRequest, CodeInvalidJSON, "cannot read the JSONL file: %v", err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			if len(out) >= maxBatchRows {
				return nil, tooManyRows()
			}
			var in project.Input
			if derr := decodeStrict(bytes.NewReader(t), &in); derr != nil {
				var ae *apiError
				if errors.As(derr, &ae) {
					ae.message = fmt.Sprintf("line %d: %s", line, ae.message)
					ae.with("line", line)
				}
				return nil, derr
			}
			out = append(out, in)
		}
		if err != nil {
			break
		}
	}
	return out, nil
}

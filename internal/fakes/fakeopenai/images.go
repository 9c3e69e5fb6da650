package fakeopenai

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeimage"
)

// ImageRequest is what a POST /v1/images/generations call asked for.
type ImageRequest struct {
	Model        string
	Prompt       string
	N            int
	Size         string
	OutputFormat string
	// Width and Height are the size of the picture answered (scaled down
	// by Options.MaxImageSide).
	Width, Height int
}

// MaxImagePrompt is the longest prompt the images endpoint takes.
const MaxImagePrompt = 32000

var sizeRE = regexp.MustCompile(`^(\d+)x(\d+)$`)

// imageSize checks size as the GPT image models do: the standard sizes,
// "auto", or any WxH with sides divisible by 16, ratio within 1:3 to 3:1
// and at most 3840x2160.
func imageSize(size string) (int, int, string) {
	switch size {
	case "", "auto":
		return 1024, 1024, ""
	}
	m := sizeRE.FindStringSubmatch(size)
	if m == nil {
		return 0, 0, fmt.Sprintf("Invalid value: '%s'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.", size)
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	switch {
	case w%16 != 0 || h%16 != 0:
		return 0, 0, fmt.Sprintf("Invalid size '%s': width and height must be divisible by 16.", size)
	case w > 3*h || h > 3*w:
		return 0, 0, fmt.Sprintf("Invalid size '%s': the aspect ratio must be between 1:3 and 3:1.", size)
	case max(w, h) > 3840 || min(w, h) > 2160:
		return 0, 0, fmt.Sprintf("Invalid size '%s': the maximum supported resolution is 3840x2160.", size)
	}
	return w, h, ""
}

func (s *Server) images(w http.ResponseWriter, r *http.Request, body []byte, rec *Request) {
	var req struct {
		Model        string `json:"model"`
		Prompt       string `json:"prompt"`
		N            *int   `json:"n"`
		Size         string `json:"size"`
		OutputFormat string `json:"output_format"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request. "+err.Error(), "invalid_request_error", "", "")
		return
	}
	ir := ImageRequest{Model: req.Model, Prompt: req.Prompt, N: 1, Size: req.Size, OutputFormat: req.OutputFormat}
	if req.N != nil {
		ir.N = *req.N
	}
	if ir.OutputFormat == "" {
		ir.OutputFormat = "png"
	}
	rec.Model = req.Model
	rec.Image = ir
	width, height, sizeMsg := imageSize(req.Size)
	var msg, param string
	switch {
	case req.Model == "":
		msg, param = "you must provide a model parameter", "model"
	case strings.HasPrefix(req.Model, "dall-e") || req.Model == "gpt-image-1":
		msg, param = fmt.Sprintf("The model '%s' has been shut down.", req.Model), "model"
	case strings.TrimSpace(req.Prompt) == "":
		msg, param = "Missing required parameter: 'prompt'.", "prompt"
	case utf8.RuneCountInString(req.Prompt) > MaxImagePrompt:
		msg, param = fmt.Sprintf("'prompt' is too long (maximum %d characters)", MaxImagePrompt), "prompt"
	case ir.N < 1 || ir.N > 10:
		msg, param = fmt.Sprintf("%d is out of range - 'n' (1 to 10)", ir.N), "n"
	case sizeMsg != "":
		msg, param = sizeMsg, "size"
	case ir.OutputFormat != "png" && ir.OutputFormat != "jpeg":
		// The fake encodes only what the standard library writes.
		msg, param = fmt.Sprintf("The fake serves output_format png and jpeg, not '%s'.", ir.OutputFormat), "output_format"
	}
	if s.refuse(w, msg, param, req.Model) {
		return
	}

	fault, answered := s.applyFault(w, r, rec, droppedImage)
	if answered {
		return
	}
	pw, ph := fakeimage.Scale(width, height, s.opts.MaxImageSide)
	rec.Image.Width, rec.Image.Height = pw, ph
	var data []map[string]any
	for i := 0; i < ir.N; i++ {
		var img []byte
		switch {
		case fault.output == outputNotImage:
			img = []byte("<html><body>Service temporarily unavailable</body></html>")
		case ir.OutputFormat == "jpeg":
			img = fakeimage.JPEG(pw, ph, fmt.Sprintf("%s#%d", req.Prompt, i))
		default:
			img = fakeimage.PNG(pw, ph, fmt.Sprintf("%s#%d", req.Prompt, i))
		}
		b64 := base64.StdEncoding.EncodeToString(img)
		if fault.output == outputEmptyImage {
			b64 = ""
		}
		data = append(data, map[string]any{"b64_json": b64, "revised_prompt": req.Prompt})
	}
	if fault.output == outputEmptyImage {
		data = nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"created":       time.Now().Unix(),
		"data":          data,
		"output_format": ir.OutputFormat,
		"quality":       "medium",
		"size":          fmt.Sprintf("%dx%d", width, height),
		"usage": map[string]any{"input_tokens": utf8.RuneCountInString(req.Prompt) / 4, "output_tokens": 1056,
			"total_tokens": utf8.RuneCountInString(req.Prompt)/4 + 1056},
	})
}

// droppedImage is what a Drop fault sends: an image promised and never
// finished.
const droppedImage = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{\"created\":1,\"data\":[{\"b64_json\":\"iVBORw0KGgo"

package googletts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ytmaker/ytmaker/errcode"
)

// Check lists the English voices (GET /v1/voices?languageCode=en-US), the
// cheapest call that proves the key is accepted and the API enabled:
// nothing is synthesised and nothing is billed. It returns a short note
// for people. A failure is coded as Synthesize's are
// (GOOGLE_TTS_AUTH_FAILED, GOOGLE_TTS_UNAVAILABLE, ...).
func (c *Client) Check(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, c.cfg.BaseURL+"/v1/voices?languageCode=en-US", nil)
	if err != nil {
		return "", errcode.Wrap(err, errcode.InvalidInput, false, "google tts: "+err.Error())
	}
	req.Header.Set("X-Goog-Api-Key", c.cfg.APIKey)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", c.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", c.transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", c.statusError(resp, body)
	}
	var list struct {
		Voices []struct {
			Name string `json:"name"`
		} `json:"voices"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", errcode.Newf(CodeBadResponse, true, "google tts: the voices answer is not JSON: %v", err)
	}
	return fmt.Sprintf("%d en-US voices", len(list.Voices)), nil
}

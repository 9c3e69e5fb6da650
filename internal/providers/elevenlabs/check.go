package elevenlabs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// Check reads the account's subscription (GET /v1/user/subscription),
// the cheapest call that proves the key is accepted: no characters are
// spent. It returns a short note for people (the characters left this
// month). A failure is coded as Synthesize's are (ELEVENLABS_AUTH_FAILED,
// ELEVENLABS_RATE_LIMITED, ...).
func (c *Client) Check(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, c.cfg.BaseURL+"/v1/user/subscription", nil)
	if err != nil {
		return "", errcode.Wrap(err, errcode.InvalidInput, false, "elevenlabs: "+err.Error())
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("xi-api-key", c.cfg.APIKey)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", c.transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", statusError(resp, raw, c.cfg.VoiceID, c.cfg.Model)
	}
	var sub struct {
		Tier           string `json:"tier"`
		CharacterCount *int64 `json:"character_count"`
		CharacterLimit *int64 `json:"character_limit"`
		NextReset      int64  `json:"next_character_count_reset_unix"`
	}
	if err := json.Unmarshal(raw, &sub); err != nil {
		return "", errcode.Newf(CodeBadResponse, true, "elevenlabs: the subscription answer is not JSON: %v", err)
	}
	if sub.CharacterCount == nil || sub.CharacterLimit == nil {
		return "", errcode.New(CodeBadResponse, "elevenlabs: the subscription answer has no character count", true)
	}
	note := fmt.Sprintf("%d of %d characters left", max(*sub.CharacterLimit-*sub.CharacterCount, 0), *sub.CharacterLimit)
	if sub.Tier != "" {
		note += " (" + sub.Tier + " plan)"
	}
	if sub.NextReset > 0 {
		note += "; resets " + time.Unix(sub.NextReset, 0).UTC().Format("2006-01-02")
	}
	return note, nil
}

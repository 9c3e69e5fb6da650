package stability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ytmaker/ytmaker/errcode"
)

// Check reads the account's credit balance (GET /v1/user/balance), the
// cheapest call that proves the key is accepted: nothing is generated and
// no credit is spent. It returns a short note for people (the credits
// left). A failure is coded as Generate's are (STABILITY_AUTH_FAILED,
// STABILITY_RATE_LIMITED, ...).
func (c *Client) Check(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, c.cfg.BaseURL+"/v1/user/balance", nil)
	if err != nil {
		return "", errcode.Wrap(err, errcode.InvalidInput, false, "stability: "+err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	if c.cfg.ClientID != "" {
		req.Header.Set("stability-client-id", c.cfg.ClientID)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", c.statusError(resp)
	}
	var bal struct {
		Credits *float64 `json:"credits"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&bal); err != nil {
		return "", errcode.Newf(CodeBadResponse, true, "stability: the balance answer is not JSON: %v", err)
	}
	if bal.Credits == nil {
		return "", errcode.New(CodeBadResponse, "stability: the balance answer has no credits", true)
	}
	return fmt.Sprintf("%.2f credits left", *bal.Credits), nil
}

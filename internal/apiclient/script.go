package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/script"
)

// Script returns a project's script (once the script stage has made it).
func (c *Client) Script(ctx context.Context, id int64) (*script.Script, error) {
	req, err := c.newRequest(ctx, http.MethodGet, projectPath(id)+"/script", nil, nil, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.send(c.hc, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, decodeError(resp)
	}
	var s script.Script
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&s); err != nil {
		return nil, fmt.Errorf("apiclient: the script is not JSON: %w", err)
	}
	return &s, nil
}

// UpdateScript replaces a project's script (while it waits for review, or
// while nothing runs); the server answers the script as validated.
func (c *Client) UpdateScript(ctx context.Context, id int64, s *script.Script) (*wire.ScriptUpdate, error) {
	var out wire.ScriptUpdate
	return &out, c.do(ctx, http.MethodPut, projectPath(id)+"/script", nil, s, &out)
}

// Approve continues a project that waits for its script to be reviewed.
func (c *Client) Approve(ctx context.Context, id int64) (*wire.RunRef, error) {
	return c.control(ctx, id, "approve")
}

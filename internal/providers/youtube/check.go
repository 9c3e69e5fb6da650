package youtube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ytmaker/ytmaker/errcode"
)

// Channel is the authorized channel, as channels.list returns it.
type Channel struct {
	ID    string
	Title string
}

// Channel returns the channel the stored authorization uploads to
// (channels.list?mine=true, 1 quota unit). It proves the client id, the
// secret and the refresh token work: the token is refreshed on the way.
// No channel (an account without one) is YOUTUBE_CHANNEL_NOT_FOUND.
func (c *Client) Channel(ctx context.Context) (Channel, error) {
	if err := c.requireConfigured(); err != nil {
		return Channel{}, err
	}
	endpoint := c.endpoint("/youtube/v3/channels", url.Values{"part": {"snippet"}, "mine": {"true"}})
	resp, err := c.send(ctx, func() (*http.Request, error) {
		return http.NewRequest(http.MethodGet, endpoint, nil)
	})
	if err != nil {
		if ce, ok := errcode.As(err); ok {
			return Channel{}, ce
		}
		return Channel{}, transportError("channels.list", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Channel{}, c.apiError("channels.list", resp)
	}
	defer drain(resp)
	var body struct {
		Items []struct {
			ID      string `json:"id"`
			Snippet struct {
				Title string `json:"title"`
			} `json:"snippet"`
		} `json:"items"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return Channel{}, errcode.New(CodeProtocol, "youtube channels.list: unreadable answer", true).WithCause(err)
	}
	if len(body.Items) == 0 {
		return Channel{}, errcode.New(CodeChannelNotFound, "the authorized Google account has no YouTube channel; create one, then run ytmaker youtube auth again", false)
	}
	return Channel{ID: body.Items[0].ID, Title: body.Items[0].Snippet.Title}, nil
}

// Check is Channel, with a short note for people.
func (c *Client) Check(ctx context.Context) (string, error) {
	ch, err := c.Channel(ctx)
	if err != nil {
		return "", err
	}
	if ch.Title == "" {
		return fmt.Sprintf("channel %s", ch.ID), nil
	}
	return fmt.Sprintf("channel %q (%s)", ch.Title, ch.ID), nil
}

package apiclient

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/ytmaker/ytmaker/internal/api/wire"
)

func mediaPath(id int64, n int) string {
	return projectPath(id) + "/segments/" + strconv.Itoa(n) + "/media"
}

// SetMedia uploads a picture or clip (read from r, streamed: never held
// in memory) for segment n of project id, in place of the generated
// picture. name is only the file name sent along; the server recognises
// the type from the bytes.
func (c *Client) SetMedia(ctx context.Context, id int64, n int, name string, r io.Reader) (*wire.MediaUpdate, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", name)
		if err == nil {
			_, err = io.Copy(fw, r)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	req, err := c.newRequest(ctx, http.MethodPut, mediaPath(id, n), nil, pr, mw.FormDataContentType())
	if err != nil {
		return nil, err
	}
	var out wire.MediaUpdate
	return &out, c.upload(req, &out)
}

// RemoveMedia removes segment n's own media: the generated picture comes
// back.
func (c *Client) RemoveMedia(ctx context.Context, id int64, n int) (*wire.MediaUpdate, error) {
	var out wire.MediaUpdate
	return &out, c.do(ctx, http.MethodDelete, mediaPath(id, n), nil, nil, &out)
}

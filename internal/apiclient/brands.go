package apiclient

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/brand"
)

func brandPath(name string) string { return "/api/v1/brands/" + url.PathEscape(name) }

// Brands lists the brand presets.
func (c *Client) Brands(ctx context.Context) (*wire.BrandList, error) {
	var l wire.BrandList
	return &l, c.do(ctx, "GET", "/api/v1/brands", nil, nil, &l)
}

// Brand returns one brand preset.
func (c *Client) Brand(ctx context.Context, name string) (*brand.Brand, error) {
	var b brand.Brand
	return &b, c.do(ctx, "GET", brandPath(name), nil, nil, &b)
}

// PutBrand creates or replaces the preset b.Name.
func (c *Client) PutBrand(ctx context.Context, b brand.Brand) (*brand.Brand, error) {
	var out brand.Brand
	return &out, c.do(ctx, "PUT", brandPath(b.Name), nil, b, &out)
}

// DeleteBrand deletes a brand preset. Unless force is set, a preset that
// unfinished projects name is refused with IN_USE.
func (c *Client) DeleteBrand(ctx context.Context, name string, force bool) error {
	req, err := c.newRequest(ctx, "DELETE", brandPath(name), forceQuery(force), nil, "")
	if err != nil {
		return err
	}
	resp, err := c.send(c.hc, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return decodeError(resp)
	}
	return nil
}

// UploadBrandLogo sends a PNG or JPEG as the preset's logo; the server
// tells the type from the bytes.
func (c *Client) UploadBrandLogo(ctx context.Context, name string, r io.Reader) (*brand.Brand, error) {
	req, err := c.newRequest(ctx, "PUT", brandPath(name)+"/logo", nil, r, "application/octet-stream")
	if err != nil {
		return nil, err
	}
	var out brand.Brand
	return &out, c.upload(req, &out)
}

// forceQuery is the query of a deletion that goes ahead even while
// unfinished projects name what is deleted.
func forceQuery(force bool) url.Values {
	if !force {
		return nil
	}
	return url.Values{"force": {"true"}}
}

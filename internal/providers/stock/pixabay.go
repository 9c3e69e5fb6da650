package stock

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/ytmaker/ytmaker/errcode"
)

// DefaultPixabayBaseURL is Pixabay's site: images are searched at /api/,
// videos at /api/videos/.
const DefaultPixabayBaseURL = "https://pixabay.com"

// Pixabay searches Pixabay (the key goes in the key parameter). It is
// safe for concurrent use.
type Pixabay struct {
	base
	dl base
}

// NewPixabay returns a Pixabay client.
func NewPixabay(cfg Config) (*Pixabay, error) {
	b, dl, err := cfg.clients("PIXABAY", "Pixabay", DefaultPixabayBaseURL)
	if err != nil {
		return nil, err
	}
	return &Pixabay{base: b, dl: dl}, nil
}

// Name is the provider's name.
func (c *Pixabay) Name() string { return "pixabay" }

type pixabayFile struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int64  `json:"size"`
}

type pixabayHits struct {
	Hits []struct {
		ID            int64                  `json:"id"`
		PageURL       string                 `json:"pageURL"`
		User          string                 `json:"user"`
		UserID        int64                  `json:"user_id"`
		Duration      float64                `json:"duration"`
		Videos        map[string]pixabayFile `json:"videos"`
		LargeImageURL string                 `json:"largeImageURL"`
		ImageWidth    int                    `json:"imageWidth"`
		ImageHeight   int                    `json:"imageHeight"`
	} `json:"hits"`
}

// Search finds videos or photos matching q. Pixabay filters images by
// orientation itself; videos are filtered here by their size.
func (c *Pixabay) Search(ctx context.Context, q Query) ([]Asset, error) {
	terms := query(q.Terms)
	if terms == "" {
		return nil, errcode.New("PIXABAY_INVALID_REQUEST", "empty search", false)
	}
	v := url.Values{"key": {c.key}, "q": {terms}, "safesearch": {"true"}}
	per := q.PerPage
	if per <= 0 {
		per = DefaultPerPage
	}
	v.Set("per_page", strconv.Itoa(min(max(per, 3), 200)))
	path := "/api/"
	if q.Kind == Video {
		path = "/api/videos/"
		v.Set("video_type", "film")
	} else {
		v.Set("image_type", "photo")
		switch q.Orientation {
		case Landscape:
			v.Set("orientation", "horizontal")
		case Portrait:
			v.Set("orientation", "vertical")
		}
	}
	data, err := c.get(ctx, c.baseURL+path+"?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	var r pixabayHits
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, errcode.Wrap(err, "PIXABAY_BAD_RESPONSE", true, "Pixabay answer is malformed: "+err.Error())
	}
	var out []Asset
	for _, h := range r.Hits {
		a := Asset{Provider: "pixabay", ID: strconv.FormatInt(h.ID, 10), PageURL: h.PageURL, Author: h.User}
		if h.User != "" && h.UserID != 0 {
			a.AuthorURL = "https://pixabay.com/users/" + h.User + "-" + strconv.FormatInt(h.UserID, 10) + "/"
		}
		if q.Kind == Video {
			var sizes [][2]int
			var files []pixabayFile
			for _, name := range []string{"tiny", "small", "medium", "large"} {
				f, ok := h.Videos[name]
				if !ok || f.URL == "" || f.Width == 0 || f.Height == 0 {
					continue
				}
				sizes, files = append(sizes, [2]int{f.Width, f.Height}), append(files, f)
			}
			i := pick(sizes, q.Width, q.Height)
			if i < 0 || !matches(q.Orientation, files[i].Width, files[i].Height) {
				continue
			}
			a.Kind, a.Width, a.Height, a.URL, a.Bytes, a.Seconds = Video, files[i].Width, files[i].Height, files[i].URL, files[i].Size, h.Duration
		} else {
			if h.LargeImageURL == "" || !matches(q.Orientation, h.ImageWidth, h.ImageHeight) {
				continue
			}
			a.Kind, a.Width, a.Height, a.URL = Photo, h.ImageWidth, h.ImageHeight, h.LargeImageURL
		}
		out = append(out, a)
	}
	return out, nil
}

// Download writes a's file to path, atomically, refusing more than max
// bytes (0 means DefaultMaxDownload).
func (c *Pixabay) Download(ctx context.Context, a Asset, path string, max int64) (int64, error) {
	return c.dl.download(ctx, a, path, max)
}

// Check makes the cheapest authenticated call (a three-image search) to
// test the key.
func (c *Pixabay) Check(ctx context.Context) error {
	_, err := c.Search(ctx, Query{Terms: "nature", Kind: Photo, PerPage: 3})
	return err
}

package stock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ytmaker/ytmaker/errcode"
)

// DefaultPexelsBaseURL is Pexels' API; photos are searched under /v1/,
// videos under /videos/.
const DefaultPexelsBaseURL = "https://api.pexels.com"

// Pexels searches Pexels (the key goes in the Authorization header). It
// is safe for concurrent use.
type Pexels struct {
	base
	dl base
}

// NewPexels returns a Pexels client.
func NewPexels(cfg Config) (*Pexels, error) {
	b, dl, err := cfg.clients("PEXELS", "Pexels", DefaultPexelsBaseURL)
	if err != nil {
		return nil, err
	}
	return &Pexels{base: b, dl: dl}, nil
}

// Name is the provider's name.
func (c *Pexels) Name() string { return "pexels" }

type pexelsVideos struct {
	Videos []struct {
		ID       int64   `json:"id"`
		Width    int     `json:"width"`
		Height   int     `json:"height"`
		URL      string  `json:"url"`
		Duration float64 `json:"duration"`
		User     struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"user"`
		Files []struct {
			Quality  *string `json:"quality"`
			FileType string  `json:"file_type"`
			Width    *int    `json:"width"`
			Height   *int    `json:"height"`
			Link     string  `json:"link"`
		} `json:"video_files"`
	} `json:"videos"`
}

type pexelsPhotos struct {
	Photos []struct {
		ID              int64  `json:"id"`
		Width           int    `json:"width"`
		Height          int    `json:"height"`
		URL             string `json:"url"`
		Photographer    string `json:"photographer"`
		PhotographerURL string `json:"photographer_url"`
		Src             struct {
			Original string `json:"original"`
			Large2x  string `json:"large2x"`
			Large    string `json:"large"`
		} `json:"src"`
	} `json:"photos"`
}

// Search finds videos or photos matching q.
func (c *Pexels) Search(ctx context.Context, q Query) ([]Asset, error) {
	terms := query(q.Terms)
	if terms == "" {
		return nil, errcode.New("PEXELS_INVALID_REQUEST", "empty search", false)
	}
	v := url.Values{"query": {terms}}
	if q.Orientation != "" {
		v.Set("orientation", string(q.Orientation))
	}
	per := q.PerPage
	if per <= 0 {
		per = DefaultPerPage
	}
	v.Set("per_page", strconv.Itoa(min(per, 80)))
	path := "/v1/search"
	if q.Kind == Video {
		path = "/videos/search"
	}
	data, err := c.get(ctx, c.baseURL+path+"?"+v.Encode(), http.Header{"Authorization": {c.key}})
	if err != nil {
		return nil, err
	}
	bad := func(err error) error {
		return errcode.Wrap(err, "PEXELS_BAD_RESPONSE", true, "Pexels answer is malformed: "+err.Error())
	}
	var out []Asset
	if q.Kind == Video {
		var r pexelsVideos
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, bad(err)
		}
		for _, vd := range r.Videos {
			var sizes [][2]int
			var links []string
			for _, f := range vd.Files {
				if f.FileType != "video/mp4" || f.Link == "" || f.Quality != nil && *f.Quality == "hls" {
					continue
				}
				w, h := vd.Width, vd.Height
				if f.Width != nil && f.Height != nil {
					w, h = *f.Width, *f.Height
				}
				sizes, links = append(sizes, [2]int{w, h}), append(links, f.Link)
			}
			i := pick(sizes, q.Width, q.Height)
			if i < 0 || !matches(q.Orientation, sizes[i][0], sizes[i][1]) {
				continue
			}
			out = append(out, Asset{Provider: "pexels", ID: strconv.FormatInt(vd.ID, 10), Kind: Video,
				Width: sizes[i][0], Height: sizes[i][1], Seconds: vd.Duration, URL: links[i],
				PageURL: vd.URL, Author: vd.User.Name, AuthorURL: vd.User.URL})
		}
		return out, nil
	}
	var r pexelsPhotos
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, bad(err)
	}
	for _, ph := range r.Photos {
		link := ph.Src.Large2x
		if max(q.Width, q.Height) > 1880 || link == "" {
			link = ph.Src.Original
		}
		if link == "" || !matches(q.Orientation, ph.Width, ph.Height) {
			continue
		}
		out = append(out, Asset{Provider: "pexels", ID: strconv.FormatInt(ph.ID, 10), Kind: Photo,
			Width: ph.Width, Height: ph.Height, URL: link, PageURL: ph.URL, Author: ph.Photographer, AuthorURL: ph.PhotographerURL})
	}
	return out, nil
}

// Download writes a's file to path, atomically, refusing more than max
// bytes (0 means DefaultMaxDownload).
func (c *Pexels) Download(ctx context.Context, a Asset, path string, max int64) (int64, error) {
	return c.dl.download(ctx, a, path, max)
}

// Check makes the cheapest authenticated call (a one-photo search) to
// test the key.
func (c *Pexels) Check(ctx context.Context) error {
	_, err := c.Search(ctx, Query{Terms: "nature", Kind: Photo, PerPage: 1})
	return err
}

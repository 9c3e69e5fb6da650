package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for checking stock photos
	_ "image/png"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/stock"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/stockcache"
)

// stockSearcher is a stock footage service: Pexels or Pixabay.
type stockSearcher interface {
	Name() string
	Search(ctx context.Context, q stock.Query) ([]stock.Asset, error)
	Download(ctx context.Context, a stock.Asset, path string, max int64) (int64, error)
}

// Credit is the attribution of one stock clip or photo, as its service
// asks: the maker and the page it came from.
type Credit struct {
	Segment   int    `json:"segment"`
	Provider  string `json:"provider"` // pexels or pixabay
	Kind      string `json:"kind"`     // video or photo
	Author    string `json:"author,omitempty"`
	AuthorURL string `json:"author_url,omitempty"`
	SourceURL string `json:"source_url"`
}

// maxStockTerms is how many of a segment's search terms are tried.
const maxStockTerms = 2

// stockSource returns the stock footage service of a project whose
// visuals are stock_video or stock_photo, nil otherwise.
func (p *Pipeline) stockSource(pr *project.Project) (stockSearcher, error) {
	if !pr.Settings.Stock() {
		return nil, nil
	}
	which := pr.Settings.Providers.Stock
	if which == "" || which == project.ProviderAuto {
		switch {
		case p.cfg.PexelsAPIKey != "":
			which = project.ProviderPexels
		case p.cfg.PixabayAPIKey != "":
			which = project.ProviderPixabay
		default:
			return nil, errcode.New(errcode.InvalidInput, "stock footage was chosen for this project (settings.visuals) but neither PEXELS_API_KEY nor PIXABAY_API_KEY is set", false).
				WithDetail("field", "settings.visuals")
		}
	}
	src, err := p.stockClient(which)
	if err != nil {
		return nil, err
	}
	return cachedStock{countedStock{src, p}, filepath.Join(p.cfg.StockCacheDir, "searches")}, nil
}

// searchTTL is how long a search's results are reused (Pixabay asks for
// 24 hours of caching; it also spares Pexels' hourly limit).
const searchTTL = 24 * time.Hour

// cachedStock reuses a search's results for searchTTL, from files in dir
// shared by all projects and workers.
type cachedStock struct {
	stockSearcher
	dir string
}

func (c cachedStock) Search(ctx context.Context, q stock.Query) ([]stock.Asset, error) {
	file := filepath.Join(c.dir, hashOf(c.Name(), q.Terms, string(q.Kind), string(q.Orientation),
		strconv.Itoa(q.Width), strconv.Itoa(q.Height), strconv.Itoa(q.PerPage))+".json")
	if fi, err := os.Stat(file); err == nil && time.Since(fi.ModTime()) < searchTTL {
		var found []stock.Asset
		if b, err := os.ReadFile(file); err == nil && json.Unmarshal(b, &found) == nil {
			return found, nil
		}
	}
	found, err := c.stockSearcher.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	if found == nil {
		found = []stock.Asset{}
	}
	atomicfile.WriteJSON(file, found, 0o644) // a cache: a failed write only costs a search
	if ents, err := os.ReadDir(c.dir); err == nil && len(ents) > 500 {
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > searchTTL {
				os.Remove(filepath.Join(c.dir, e.Name()))
			}
		}
	}
	return found, nil
}

// stockClient returns the client of a stock service.
func (p *Pipeline) stockClient(which string) (stockSearcher, error) {
	switch which {
	case project.ProviderPexels:
		if p.cfg.PexelsAPIKey == "" {
			return nil, missingKey("pexels", "PEXELS_API_KEY")
		}
		return stock.NewPexels(stock.Config{APIKey: p.cfg.PexelsAPIKey, BaseURL: p.cfg.PexelsBaseURL,
			HTTPClient: p.client(limits.Pexels), Downloads: p.counting, Logger: p.log})
	case project.ProviderPixabay:
		if p.cfg.PixabayAPIKey == "" {
			return nil, missingKey("pixabay", "PIXABAY_API_KEY")
		}
		return stock.NewPixabay(stock.Config{APIKey: p.cfg.PixabayAPIKey, BaseURL: p.cfg.PixabayBaseURL,
			HTTPClient: p.client(limits.Pixabay), Downloads: p.counting, Logger: p.log})
	}
	return nil, errcode.Newf(errcode.InvalidInput, false, "unknown stock footage service %q", which).WithDetail("field", "settings.providers.stock")
}

// countedStock counts a stock service's searches (pexels_requests, ...)
// and downloads (pexels_downloads, ...) in the day's usage (see metered).
type countedStock struct {
	stockSearcher
	p *Pipeline
}

func (c countedStock) Search(ctx context.Context, q stock.Query) ([]stock.Asset, error) {
	var found []stock.Asset
	_, err := c.p.metered(ctx, c.Name(), []cost{request()}, nil, func(ctx context.Context) error {
		var err error
		found, err = c.stockSearcher.Search(ctx, q)
		return err
	})
	return found, err
}

func (c countedStock) Download(ctx context.Context, a stock.Asset, path string, max int64) (int64, error) {
	var n int64
	_, err := c.p.metered(ctx, c.Name(), []cost{produced(quota.UnitDownloads, 1)}, nil, func(ctx context.Context) error {
		var err error
		n, err = c.stockSearcher.Download(ctx, a, path, max)
		return err
	})
	return n, err
}

// stockCache returns the shared download cache.
func (p *Pipeline) stockCache() *stockcache.Cache {
	p.stockOnce.Do(func() {
		p.stockFiles = stockcache.New(p.cfg.StockCacheDir, p.cfg.StockCacheBytes)
	})
	return p.stockFiles
}

// stockKind is the kind of stock asset a project shows.
func stockKind(pr *project.Project) stock.Kind {
	if pr.Settings.Visuals == project.VisualsStockPhoto {
		return stock.Photo
	}
	return stock.Video
}

// errNoStock means no search term of a segment found an unused asset.
var errNoStock = errcode.New("STOCK_NOT_FOUND", "no stock footage found for the segment's search terms", false)

// pickStock finds, downloads (or takes from the cache) and places the
// stock asset of segment i at assets/stock/segment_NN.ext, one not in
// used. A video at least need seconds long is preferred; a shorter one
// is looped by the render. It returns errNoStock when the searches find
// nothing usable.
func (p *Pipeline) pickStock(ctx context.Context, job stage.Job, src stockSearcher, pr *project.Project, seg script.Segment,
	i, w, h int, need float64, used map[string]bool) (rel string, a stock.Asset, err error) {
	kind := stockKind(pr)
	o := stock.Landscape
	if h > w {
		o = stock.Portrait
	}
	terms := seg.SearchTerms
	if len(terms) == 0 && seg.ImagePrompt != "" {
		terms = []string{seg.ImagePrompt}
	}
	var candidates []stock.Asset
	for k, term := range terms {
		if k == maxStockTerms {
			break
		}
		found, err := src.Search(ctx, stock.Query{Terms: term, Kind: kind, Orientation: o, Width: w, Height: h})
		if err != nil {
			return "", stock.Asset{}, err
		}
		long := false
		for _, f := range found {
			if used[f.Key()] {
				continue
			}
			candidates = append(candidates, f)
			long = long || kind == stock.Photo || f.Seconds >= need
		}
		if long {
			break
		}
	}
	if len(candidates) == 0 {
		return "", stock.Asset{}, errNoStock
	}
	best := candidates[0]
	if kind == stock.Video {
		// The first long enough, else the longest.
		for _, c := range candidates {
			if c.Seconds >= need {
				best = c
				break
			}
			if c.Seconds > best.Seconds {
				best = c
			}
		}
	}
	ext := extOf(best)
	name := best.Key() + ext
	cache := p.stockCache()
	file, hit, err := cache.Get(ctx, name, func(ctx context.Context, path string) error {
		_, err := src.Download(ctx, best, path, p.cfg.StockMaxDownload)
		return err
	})
	if err != nil {
		return "", stock.Asset{}, err
	}
	if err := p.checkStock(ctx, file, best); err != nil {
		cache.Remove(name)
		return "", stock.Asset{}, err
	}
	rel = fmt.Sprintf("assets/stock/segment_%02d%s", i+1, ext)
	if err := stockcache.Place(file, abs(job, rel)); err != nil {
		return "", stock.Asset{}, err
	}
	job.Logger().Info("stock asset placed", "segment", i+1, "asset", best.Key(), "cached", hit, "seconds", best.Seconds, "need", need)
	return rel, best, nil
}

// checkStock refuses a download that is not a picture or video: a clip
// must have a video stream ffprobe reads, a photo must decode.
func (p *Pipeline) checkStock(ctx context.Context, file string, a stock.Asset) error {
	bad := func(format string, args ...any) error {
		return errcode.Newf(strings.ToUpper(a.Provider)+"_BAD_RESPONSE", false, format, args...).WithDetail("asset", a.Key())
	}
	if a.Kind == stock.Photo {
		f, err := os.Open(file)
		if err != nil {
			return errcode.Classify(err)
		}
		defer f.Close()
		if _, _, err := image.DecodeConfig(f); err != nil {
			return bad("%s photo %s is not a picture: %v", a.Provider, a.ID, err)
		}
		return nil
	}
	ff, err := p.ffmpeg()
	if err != nil {
		return err
	}
	pr, err := ff.Probe(ctx, file)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return bad("%s video %s is not a video: %v", a.Provider, a.ID, err)
	}
	v, ok := pr.Video()
	if !ok || v.Width == 0 || v.Height == 0 {
		return bad("%s video %s has no video stream", a.Provider, a.ID)
	}
	return nil
}

// extOf is the file extension of an asset's download.
func extOf(a stock.Asset) string {
	ext := ""
	if u, err := url.Parse(a.URL); err == nil {
		ext = strings.ToLower(path.Ext(u.Path))
	}
	switch ext {
	case ".mp4", ".mov", ".webm", ".jpg", ".jpeg", ".png":
		return ext
	}
	if a.Kind == stock.Photo {
		return ".jpg"
	}
	return ".mp4"
}

// estimateSeconds guesses a narration's length before it is made: about
// 2.5 words a second, or 4 characters a second for text without spaces.
func estimateSeconds(text string) float64 {
	words := len(strings.Fields(text))
	runes := len([]rune(text))
	if words*8 < runes { // CJK and similar
		return float64(runes) / 4
	}
	return float64(words) / 2.5
}

// creditsOf lists the credits of a manifest's stock assets.
func creditsOf(man *Manifest) []Credit {
	var out []Credit
	for _, s := range man.Segments {
		if s.Stock == nil {
			continue
		}
		a := s.Stock
		out = append(out, Credit{Segment: s.Index, Provider: a.Provider, Kind: string(a.Kind), Author: a.Author,
			AuthorURL: a.AuthorURL, SourceURL: a.PageURL})
	}
	return out
}

// creditLines is the credits as description text: the services named
// first, then one line per clip or photo.
func creditLines(credits []Credit) string {
	if len(credits) == 0 {
		return ""
	}
	var b strings.Builder
	seen := map[string]bool{}
	var names []string
	for _, c := range credits {
		if !seen[c.Provider] {
			seen[c.Provider] = true
			names = append(names, map[string]string{"pexels": "Pexels (https://www.pexels.com)", "pixabay": "Pixabay (https://pixabay.com)"}[c.Provider])
		}
	}
	b.WriteString("Footage: " + strings.Join(names, ", "))
	for _, c := range credits {
		what := "Video"
		if c.Kind == string(stock.Photo) {
			what = "Photo"
		}
		svc := map[string]string{"pexels": "Pexels", "pixabay": "Pixabay"}[c.Provider]
		if c.Author != "" {
			fmt.Fprintf(&b, "\n%s by %s on %s: %s", what, c.Author, svc, c.SourceURL)
		} else {
			fmt.Fprintf(&b, "\n%s from %s: %s", what, svc, c.SourceURL)
		}
	}
	return b.String()
}

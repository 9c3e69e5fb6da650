package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/did"
	"github.com/ytmaker/ytmaker/internal/providers/stock"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
	"golang.org/x/sync/errgroup"
)

// maxImageFailureShare is the share of failed images above which the
// stage fails instead of drawing slides for them.
const maxImageFailureShare = 0.2

// SegmentAssets is what the render needs for one segment. Paths are
// relative to the project folder.
type SegmentAssets struct {
	Index       int                  `json:"index"`
	Type        string               `json:"type"`
	Text        string               `json:"text"`
	Audio       string               `json:"audio"`
	AudioHash   string               `json:"audio_hash"`
	Seconds     float64              `json:"seconds"`
	Sentences   []tts.SentenceTiming `json:"sentences"`
	Voice       string               `json:"voice_engine"`
	Image       string               `json:"image"`
	ImageHash   string               `json:"image_hash"`
	ImageSource string               `json:"image_source"` // stability | openai | gemini | slide | slide-fallback
	// Stills are the slides of the later paragraphs of a segment merged
	// from several, each shown while its paragraph is spoken.
	Stills     []Still `json:"stills,omitempty"`
	ImageError string  `json:"image_error,omitempty"`
	// Media is the creator's own picture or clip shown in place of the
	// generated picture (see project.SegmentMedia); MediaKind is image or
	// video. A segment with own media gets no generated picture unless an
	// earlier run made one (kept, so removing the media brings it back).
	Media     string `json:"media,omitempty"`
	MediaKind string `json:"media_kind,omitempty"`
	// Stock is the stock clip or photo shown (visuals stock_video or
	// stock_photo), at Image, with what its credit needs; ImageSource is
	// then its service (pexels or pixabay).
	Stock *stock.Asset `json:"stock,omitempty"`
}

// Still is a slide shown from the start of its text's narration.
type Still struct {
	Image string `json:"image"`
	Text  string `json:"text"`
}

// Avatar is an optional talking-head clip.
type Avatar struct {
	Path    string  `json:"path,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Hash    string  `json:"hash,omitempty"`
}

// Manifest is assets/assets.json: every asset the render uses.
type Manifest struct {
	Language     string          `json:"language"`
	Segments     []SegmentAssets `json:"segments"`
	Intro        *Avatar         `json:"avatar_intro,omitempty"`
	Outro        *Avatar         `json:"avatar_outro,omitempty"`
	AvatarStatus string          `json:"avatar_status"` // made | skipped: reason
	// Credits name the makers and pages of the stock assets shown.
	Credits []Credit `json:"credits,omitempty"`
	// Warnings tell what was made otherwise than asked, such as slides
	// in place of pictures a service picked by auto refused to draw.
	Warnings []string `json:"warnings,omitempty"`
}

// AssetsResult is generate_assets_task's result.
type AssetsResult struct {
	ManifestPath   string  `json:"manifest_path"`
	Segments       int     `json:"segments"`
	AudioSeconds   float64 `json:"audio_seconds"`
	ImagesAI       int     `json:"images_ai"`
	ImagesSlides   int     `json:"images_slides"`
	ImagesFallback int     `json:"images_fallback"`
	Avatar         string  `json:"avatar"`
	Reused         int     `json:"reused"`              // assets kept from an earlier attempt
	OwnMedia       int     `json:"own_media,omitempty"` // segments showing the creator's media, with no picture made
	StockClips     int     `json:"stock_clips,omitempty"`
	StockPhotos    int     `json:"stock_photos,omitempty"`
	// Credits of the stock assets, also added to the YouTube description.
	Credits []Credit `json:"credits,omitempty"`
	// Warnings as in the manifest.
	Warnings []string `json:"warnings,omitempty"`
}

func (p *Pipeline) avatarClient(pr *project.Project) (*did.Client, string) {
	if pr.Settings.Avatar != nil && !*pr.Settings.Avatar {
		return nil, "skipped: turned off in the project settings"
	}
	switch pr.Settings.Providers.Avatar {
	case project.ProviderNone:
		return nil, "skipped: turned off in the project settings"
	}
	if p.cfg.DIDAPIKey == "" {
		return nil, "skipped: no D-ID API key (DID_API_KEY)"
	}
	c, err := did.New(did.Config{APIKey: p.cfg.DIDAPIKey, BaseURL: p.cfg.DIDBaseURL, HTTPClient: p.client(limits.DID), Logger: p.log})
	if err != nil {
		return nil, "skipped: " + err.Error()
	}
	return c, ""
}

func (p *Pipeline) runAssets(ctx context.Context, job stage.Job) (any, error) {
	pr, err := p.load(job)
	if err != nil {
		return nil, err
	}
	sc, err := script.Load(abs(job, scriptFile))
	if err != nil {
		if errcode.Code(err) == errcode.NotFound {
			return nil, errcode.New(errcode.InvalidInput, "the script has not been generated yet: run generate_script_task first", false)
		}
		return nil, err
	}
	engine, err := p.ttsEngine(pr)
	if err != nil {
		return nil, err
	}
	engine = p.meterVoice(engine)
	br, err := p.brandOf(pr)
	if err != nil {
		return nil, err
	}
	images, err := p.imageClient(ctx, pr)
	if err != nil {
		return nil, err
	}
	stockSrc, err := p.stockSource(pr)
	if err != nil {
		return nil, err
	}
	if stockSrc != nil || pr.Settings.Visuals == project.VisualsSlides {
		images = nil
	}
	images = p.meterPictures(images)
	// Gemini speech picked by auto: a key refused it gets the offline
	// voice.
	voiceBack := p.voiceFallback(pr, engine)
	// Gemini pictures picked by auto: a key refused them gets slides.
	imagesBack := &autoFallback{on: images != nil && images.Name() == imagesGemini &&
		!chosen(pr.Settings.Providers.Images, p.cfg.ImageProvider)}
	fs, err := p.fontSet()
	if err != nil {
		return nil, err
	}
	lang := sc.Language
	if lang == "" {
		lang = pr.Language
	}
	w, h := pr.Settings.Size()
	aspect := "16:9"
	if h > w {
		aspect = "9:16"
	}
	n := len(sc.Segments)
	man := Manifest{Language: lang, Segments: make([]SegmentAssets, n)}
	st, err := p.cfg.Store.State(job.ProjectID())
	if err != nil {
		return nil, err
	}
	res := AssetsResult{ManifestPath: abs(job, manifestFile), Segments: n}

	type item struct {
		seg   int
		image bool
	}
	var items []item
	// Stock assets are picked after the narrations, one segment after the
	// other, so that each knows its narration's length and no asset is
	// shown twice.
	var stockItems []int
	usedStock := map[string]bool{}
	for i, seg := range sc.Segments {
		man.Segments[i] = SegmentAssets{Index: i + 1, Type: seg.Type, Text: seg.Text}
		audioHash := hashOf("audio", seg.Text, lang, pr.Settings.Voice, engine.Name())
		imgSource := "slide"
		if images != nil {
			imgSource = images.Name()
		}
		if stockSrc != nil {
			imgSource = stockSrc.Name() + ":" + pr.Settings.Visuals + ":" + strings.Join(seg.SearchTerms, "|")
		}
		imageHash := hashOf("image", seg.Text, seg.ImagePrompt, imgSource, pr.Settings.Format, pr.Name, pr.Settings.Theme, brandKey(br), slideVersion)
		// Reuse what an earlier attempt finished (checkpoints), if its
		// inputs have not changed and its file is still there.
		var cp SegmentAssets
		if ok, _ := job.Checkpoint(audioKey(i), &cp); ok && cp.AudioHash == audioHash && fileExists(abs(job, cp.Audio)) {
			man.Segments[i].Audio, man.Segments[i].AudioHash = cp.Audio, cp.AudioHash
			man.Segments[i].Seconds, man.Segments[i].Sentences, man.Segments[i].Voice = cp.Seconds, cp.Sentences, cp.Voice
			res.Reused++
		} else {
			man.Segments[i].AudioHash = audioHash
			items = append(items, item{i, false})
		}
		own := st.MediaFor(i + 1)
		if own != nil && fileExists(abs(job, own.File)) {
			man.Segments[i].Media, man.Segments[i].MediaKind = own.File, own.Kind
		}
		var ci SegmentAssets
		if ok, _ := job.Checkpoint(imageKey(i), &ci); ok && ci.ImageHash == imageHash && fileExists(abs(job, ci.Image)) {
			man.Segments[i].Image, man.Segments[i].ImageHash, man.Segments[i].ImageSource = ci.Image, ci.ImageHash, ci.ImageSource
			man.Segments[i].Stills, man.Segments[i].Stock = ci.Stills, ci.Stock
			if ci.Stock != nil {
				usedStock[ci.Stock.Key()] = true
			}
			res.Reused++
		} else if man.Segments[i].Media != "" {
			// The creator's media stands in: no picture to make.
			man.Segments[i].ImageHash = imageHash
			res.OwnMedia++
		} else if stockSrc != nil {
			man.Segments[i].ImageHash = imageHash
			stockItems = append(stockItems, i)
		} else {
			man.Segments[i].ImageHash = imageHash
			items = append(items, item{i, true})
		}
	}
	total := 2 * n
	var mu sync.Mutex
	done := res.Reused + res.OwnMedia
	var imageFailures []int
	var imageErrs []error
	var refusedImages []int // slides in place of pictures refused for good
	report := func(what string) {
		mu.Lock()
		done++
		d := done
		mu.Unlock()
		job.Progress(float64(d)*90/float64(total), fmt.Sprintf("%s (%d/%d assets)", what, d, total))
	}
	job.Progress(float64(done)*90/float64(total), fmt.Sprintf("Making %d narrations and %d images", n, n))

	// The first error (narration, slide, checkpoint) stops the rest; a
	// failed image does not: it is counted for the fallback below. A call
	// over a service's limit starts nothing new but lets the calls under
	// way finish (and be checkpointed) before the stage is put off; so
	// does a call over a daily budget.
	var overLimit error
	busy := func(err error) bool {
		if !waits(err) {
			return false
		}
		mu.Lock()
		if overLimit == nil {
			overLimit = err
		}
		mu.Unlock()
		return true
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.cfg.AssetConcurrency)
	for _, it := range items {
		mu.Lock()
		stop := overLimit != nil
		mu.Unlock()
		if gctx.Err() != nil || stop {
			break
		}
		g.Go(func() error {
			ctx := gctx
			seg := sc.Segments[it.seg]
			mu.Lock()
			sa := man.Segments[it.seg]
			mu.Unlock()
			if !it.image {
				rel := fmt.Sprintf("assets/audio/segment_%02d.wav", it.seg+1)
				var nar tts.Narration
				var err error
				offline := voiceBack.refused() != nil
				if !offline {
					nar, err = tts.Narrate(ctx, engine, tts.Request{Text: seg.Text, Language: lang, Voice: pr.Settings.Voice,
						OutPath: abs(job, rel)}, tts.NarrateOptions{})
					if err == nil && checkedEngines[nar.Engine] {
						err = p.checkNarration(ctx, abs(job, rel), seg.Text, nar.Engine)
					}
					if fallBack, first := voiceBack.refuse(err); fallBack {
						if first {
							job.Logger().Warn("Gemini speech refused for this key; the offline voice reads instead", "segment", it.seg+1, "err", err)
						}
						offline = true
					}
				}
				if offline {
					rel, nar, err = voiceBack.narrate(ctx, job, it.seg, seg.Text, lang)
				}
				if err != nil {
					if busy(err) {
						return nil
					}
					return err
				}
				sa.Audio, sa.Seconds, sa.Sentences, sa.Voice = rel, nar.Duration.Seconds(), nar.Sentences, nar.Engine
				if offline {
					// Not checkpointed: a later run asks Gemini again.
					sa.AudioHash = voiceBack.hash(seg.Text, lang)
				} else if err := job.SaveCheckpoint(audioKey(it.seg), sa); err != nil {
					return err
				}
				mu.Lock()
				m := &man.Segments[it.seg]
				m.Audio, m.Seconds, m.Sentences, m.Voice, m.AudioHash = sa.Audio, sa.Seconds, sa.Sentences, sa.Voice, sa.AudioHash
				mu.Unlock()
				if offline {
					report(fmt.Sprintf("Narration %d/%d done (offline voice: Gemini speech refused)", it.seg+1, n))
					return nil
				}
				report(fmt.Sprintf("Narration %d/%d done", it.seg+1, n))
				return nil
			}
			rel := fmt.Sprintf("assets/images/segment_%02d.png", it.seg+1)
			var source string
			var stills []Still
			refused := imagesBack.refused() != nil
			if images != nil && !refused {
				if err := images.Paint(ctx, seg.ImagePrompt, aspect, abs(job, rel)); err != nil {
					if ctx.Err() != nil {
						return context.Cause(ctx)
					}
					if busy(err) {
						return nil
					}
					fallBack, first := imagesBack.refuse(err)
					if !fallBack {
						mu.Lock()
						imageFailures = append(imageFailures, it.seg)
						imageErrs = append(imageErrs, err)
						man.Segments[it.seg].ImageError = err.Error()
						mu.Unlock()
						job.Logger().Warn("image generation failed", "segment", it.seg+1, "err", err)
						report(fmt.Sprintf("Image %d/%d failed", it.seg+1, n))
						return nil
					}
					if first {
						job.Logger().Warn("Gemini pictures refused for this key; slides instead", "segment", it.seg+1, "err", err)
					}
					refused = true
				} else {
					source = images.Name()
				}
			}
			if source == "" {
				var err error
				stills, err = p.drawSlides(fs, pr, br, sc, it.seg, w, h, job, rel)
				if err != nil {
					return err
				}
				source = "slide"
			}
			if refused {
				// Not checkpointed: a later run asks the service again
				// (billing may have been turned on).
				mu.Lock()
				refusedImages = append(refusedImages, it.seg)
				m := &man.Segments[it.seg]
				m.Image, m.ImageSource, m.Stills = rel, "slide-fallback", stills
				mu.Unlock()
				report(fmt.Sprintf("Image %d/%d: slide (Gemini pictures refused)", it.seg+1, n))
				return nil
			}
			sa.Image, sa.ImageSource, sa.Stills = rel, source, stills
			if err := job.SaveCheckpoint(imageKey(it.seg), sa); err != nil {
				return err
			}
			mu.Lock()
			m := &man.Segments[it.seg]
			m.Image, m.ImageSource, m.Stills = sa.Image, sa.ImageSource, sa.Stills
			mu.Unlock()
			report(fmt.Sprintf("Image %d/%d done", it.seg+1, n))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if overLimit != nil {
		return nil, overLimit
	}
	for _, i := range stockItems {
		seg := sc.Segments[i]
		sa := man.Segments[i]
		need := sa.Seconds
		if need <= 0 {
			need = estimateSeconds(seg.Text)
		}
		rel, a, err := p.pickStock(ctx, job, stockSrc, pr, seg, i, w, h, need, usedStock)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, context.Cause(ctx)
		case waits(err):
			return nil, err // the stage waits; finished segments are checkpointed
		case errcode.Code(err) == errcode.DiskFull:
			return nil, err
		case errcode.Code(err) == errNoStock.Code:
			// Nothing found: this segment shows its slide.
			job.Logger().Info("no stock footage found; the segment shows its slide", "segment", i+1, "terms", seg.SearchTerms)
			rel := fmt.Sprintf("assets/images/segment_%02d.png", i+1)
			stills, err := p.drawSlides(fs, pr, br, sc, i, w, h, job, rel)
			if err != nil {
				return nil, err
			}
			sa.Image, sa.ImageSource, sa.Stills, sa.Stock = rel, "slide-fallback", stills, nil
			man.Segments[i].ImageError = "no stock footage found for: " + strings.Join(seg.SearchTerms, ", ")
			res.ImagesFallback++
			if err := job.SaveCheckpoint(imageKey(i), sa); err != nil {
				return nil, err
			}
			man.Segments[i].Image, man.Segments[i].ImageSource, man.Segments[i].Stills = sa.Image, sa.ImageSource, sa.Stills
			report(fmt.Sprintf("Picture %d/%d: no stock footage, slide", i+1, n))
			continue
		default:
			imageFailures = append(imageFailures, i)
			imageErrs = append(imageErrs, err)
			man.Segments[i].ImageError = err.Error()
			job.Logger().Warn("stock footage failed", "segment", i+1, "err", err)
			report(fmt.Sprintf("Picture %d/%d failed", i+1, n))
			continue
		}
		usedStock[a.Key()] = true
		sa.Image, sa.ImageSource, sa.Stills, sa.Stock = rel, a.Provider, nil, &a
		if err := job.SaveCheckpoint(imageKey(i), sa); err != nil {
			return nil, err
		}
		m := &man.Segments[i]
		m.Image, m.ImageSource, m.Stills, m.Stock = sa.Image, sa.ImageSource, nil, sa.Stock
		report(fmt.Sprintf("Stock %s %d/%d ready", a.Kind, i+1, n))
	}

	if err := voiceBack.refused(); err != nil {
		// Narrations Gemini made before it refused (earlier in this run,
		// or in an earlier one) are read again: one voice per video.
		for i := range man.Segments {
			m := &man.Segments[i]
			if m.Voice != engine.Name() {
				continue
			}
			rel, nar, err := voiceBack.narrate(ctx, job, i, sc.Segments[i].Text, lang)
			if err != nil {
				return nil, err
			}
			m.Audio, m.Seconds, m.Sentences, m.Voice = rel, nar.Duration.Seconds(), nar.Sentences, nar.Engine
			m.AudioHash = voiceBack.hash(sc.Segments[i].Text, lang)
		}
		man.Warnings = append(man.Warnings, fmt.Sprintf("Gemini speech is not available to this key (%v): the offline voice reads the narration; "+
			"choose the voice (TTS_PROVIDER or the project's settings) to make this an error", err))
	}
	if err := imagesBack.refused(); err != nil {
		man.Warnings = append(man.Warnings, fmt.Sprintf("Gemini pictures are not available to this key (%v): %d pictures are slides; "+
			"choose the images service (IMAGE_PROVIDER or the project's settings) to make this an error", err, len(refusedImages)))
		for _, i := range refusedImages {
			man.Segments[i].ImageError = err.Error()
		}
		res.ImagesFallback += len(refusedImages)
	}

	// A few failed images are replaced by slides; too many fail the stage
	// (retried if any failure was transient: the finished ones are kept).
	if len(imageFailures) > 0 {
		share := float64(len(imageFailures)) / float64(n)
		if share >= maxImageFailureShare {
			retryable := false
			for _, e := range imageErrs {
				if errcode.IsRetryable(e) {
					retryable = true
				}
			}
			return nil, errcode.Newf(errcode.TooManyImagesFailed, retryable, "%d of %d images failed (%.0f%%; at most %.0f%% are replaced by slides): %v",
				len(imageFailures), n, share*100, maxImageFailureShare*100, errors.Join(imageErrs...)).
				WithDetail("failed_segments", imageFailures)
		}
		for _, i := range imageFailures {
			rel := fmt.Sprintf("assets/images/segment_%02d.png", i+1)
			stills, err := p.drawSlides(fs, pr, br, sc, i, w, h, job, rel)
			if err != nil {
				return nil, err
			}
			man.Segments[i].Image, man.Segments[i].ImageSource, man.Segments[i].Stills = rel, "slide-fallback", stills
			res.ImagesFallback++
		}
	}

	// The optional talking-head intro and outro.
	avatar, reason := p.avatarClient(pr)
	if avatar == nil {
		man.AvatarStatus = reason
	} else {
		job.Progress(92, "Making the avatar intro and outro (D-ID)...")
		if man.Intro, err = p.makeAvatar(ctx, job, avatar, "intro", man.Segments[0]); err != nil {
			return nil, err
		}
		if man.Outro, err = p.makeAvatar(ctx, job, avatar, "outro", man.Segments[n-1]); err != nil {
			return nil, err
		}
		switch {
		case man.Intro != nil && man.Outro != nil:
			man.AvatarStatus = "made"
		case man.Intro != nil || man.Outro != nil:
			man.AvatarStatus = "made in part (see the log)"
		default:
			man.AvatarStatus = "skipped: D-ID failed (see the log)"
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	for _, s := range man.Segments {
		res.AudioSeconds += s.Seconds
		switch {
		case generatedSources[s.ImageSource]:
			res.ImagesAI++
		case s.ImageSource == "slide":
			res.ImagesSlides++
		}
		if s.Stock != nil {
			if s.Stock.Kind == stock.Photo {
				res.StockPhotos++
			} else {
				res.StockClips++
			}
		}
	}
	res.Avatar = man.AvatarStatus
	man.Credits = creditsOf(&man)
	res.Credits, res.Warnings = man.Credits, man.Warnings
	if err := atomicfile.WriteJSON(res.ManifestPath, man, 0o644); err != nil {
		return nil, err
	}
	ready := fmt.Sprintf("Assets ready: %d narrations (%.0f s), %d images", n, res.AudioSeconds, n)
	for _, w := range man.Warnings {
		ready += ". Warning: " + w
	}
	job.Progress(100, ready)
	return res, nil
}

// slideVersion changes when slides are drawn differently, so that assets
// drawn by an earlier version are redrawn.
const slideVersion = "themes-1"

// drawSlides draws segment i's slide at rel, and for a segment merged from
// several paragraphs one more slide per later paragraph, returned as
// stills.
func (p *Pipeline) drawSlides(fs *fonts.Set, pr *project.Project, br *brand.Brand, sc *script.Script, i, w, h int, job stage.Job, rel string) ([]Still, error) {
	seg := sc.Segments[i]
	parts := []string{seg.Text}
	if seg.Type == script.Content {
		if ps := script.Paragraphs(seg.Text); len(ps) > 1 {
			parts = ps
		}
	}
	var stills []Still
	for k, part := range parts {
		path := rel
		if k > 0 {
			path = strings.TrimSuffix(rel, ".png") + fmt.Sprintf("_%d.png", k+1)
			stills = append(stills, Still{Image: path, Text: part})
		}
		if err := p.drawSlide(fs, pr, br, sc, i, part, w, h, abs(job, path)); err != nil {
			return nil, err
		}
	}
	return stills, nil
}

// drawSlide draws one slide of segment i showing text.
func (p *Pipeline) drawSlide(fs *fonts.Set, pr *project.Project, br *brand.Brand, sc *script.Script, i int, text string, w, h int, path string) error {
	seg := sc.Segments[i]
	lang := sc.Language
	channel := ""
	if br != nil && (seg.Type == script.Intro && br.IntroOn() || seg.Type == script.Outro && br.OutroOn()) {
		channel = br.Channel
	}
	_, err := slides.Draw(fs, slides.Spec{
		Text:     slides.KeySentence(text, lang, 0),
		Body:     text,
		Type:     seg.Type,
		Language: lang,
		Title:    sc.Title,
		Footer:   strconv.Itoa(i+1) + " / " + strconv.Itoa(len(sc.Segments)),
		Width:    w,
		Height:   h,
		Seed:     fmt.Sprintf("%d:%s", pr.ID, pr.Name),
		Theme:    themeOf(pr, br, sc.Title),
		Channel:  channel,
	}, path)
	return err
}

// makeAvatar makes one avatar clip; failures are logged and skipped (the
// avatar is optional), and a finished clip is checkpointed. The one error
// returned is D-ID being at its call limit or daily budget: the stage
// then waits.
func (p *Pipeline) makeAvatar(ctx context.Context, job stage.Job, c *did.Client, which string, seg SegmentAssets) (*Avatar, error) {
	hash := hashOf("avatar", which, seg.AudioHash)
	var cp Avatar
	if ok, _ := job.Checkpoint("avatar:"+which, &cp); ok && cp.Hash == hash && fileExists(abs(job, cp.Path)) {
		return &cp, nil
	}
	rel := "assets/avatars/" + which + ".mp4"
	actx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var a did.Avatar
	_, err := p.metered(actx, quota.ProviderDID, []cost{request()}, nil, func(ctx context.Context) error {
		var err error
		a, err = c.MakeAvatar(ctx, abs(job, seg.Audio), abs(job, rel))
		return err
	})
	if err != nil {
		if waits(err) {
			return nil, err
		}
		job.Logger().Warn("avatar skipped", "which", which, "err", err)
		return nil, nil
	}
	out := &Avatar{Path: rel, Seconds: a.Duration.Seconds(), Hash: hash}
	job.SaveCheckpoint("avatar:"+which, out)
	return out, nil
}

func audioKey(i int) string { return fmt.Sprintf("audio:%02d", i+1) }
func imageKey(i int) string { return fmt.Sprintf("image:%02d", i+1) }

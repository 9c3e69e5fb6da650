package studio

import (
	"math"
	"net/http"
	"net/url"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/media/slides"
)

// brandsData is the Brands page: every preset.
type brandsData struct {
	Brands []brandRow
}

type brandRow struct {
	brand.Brand
	// LogoURL serves the logo, with the file name (its content hash) in
	// the query so a browser never shows a replaced one.
	LogoURL string
	// SizePct and OpacityPct are the watermark's size and opacity in
	// percent.
	SizePct, OpacityPct int
}

func newBrandRow(b brand.Brand) brandRow {
	r := brandRow{Brand: b, SizePct: int(math.Round(b.Watermark.Size * 100)), OpacityPct: int(math.Round(b.Watermark.Opacity * 100))}
	if b.Logo != "" {
		r.LogoURL = "/api/v1/brands/" + url.PathEscape(b.Name) + "/logo?v=" + url.QueryEscape(b.Logo)
	}
	return r
}

func (s *Server) brandsPage(w http.ResponseWriter, r *http.Request, v *view) {
	var l wire.BrandList
	if err := s.get(r, "/api/v1/brands", &l); err != nil {
		s.fail(w, r, v, err)
		return
	}
	d := brandsData{}
	for _, b := range l.Brands {
		d.Brands = append(d.Brands, newBrandRow(b))
	}
	v.Nav, v.Title, v.Data = "brands", v.T("brands.title"), d
	s.render(w, http.StatusOK, "brands", v)
}

// brandData is the form that makes or changes a preset.
type brandData struct {
	New       bool
	B         brandRow
	Themes    []string
	Positions []string
}

// brandFormPage shows the form: empty at /brands/new, filled in at
// /brands/{name}/edit.
func (s *Server) brandFormPage(w http.ResponseWriter, r *http.Request, v *view) {
	d := brandData{Themes: slides.ThemeNames(),
		Positions: []string{brand.TopLeft, brand.TopRight, brand.BottomLeft, brand.BottomRight}}
	name := r.PathValue("name")
	if name == "" {
		d.New = true
		d.B = newBrandRow(brand.Brand{Watermark: brand.Watermark{Position: brand.TopRight, Size: 0.12, Opacity: 0.8}})
		v.Title = v.T("brand.new")
	} else {
		var b brand.Brand
		if err := s.get(r, "/api/v1/brands/"+url.PathEscape(name), &b); err != nil {
			s.fail(w, r, v, err)
			return
		}
		d.B = newBrandRow(b)
		v.Title = v.T("brand.edit", b.Name)
	}
	v.Nav, v.Data = "brands", d
	s.render(w, http.StatusOK, "brand", v)
}

// newFormChoices are the choices of the new-project form that come from
// the API: prompt templates and brand presets. A failure leaves a list
// empty (the form still works with the defaults).
func (s *Server) newFormChoices(r *http.Request) (templates []wire.PromptTemplate, brands []brand.Brand) {
	var tl wire.PromptTemplateList
	if err := s.get(r, "/api/v1/prompt-templates", &tl); err == nil {
		templates = tl.Templates
	} else {
		s.log.Warn("listing prompt templates for the form", "err", err)
	}
	var bl wire.BrandList
	if err := s.get(r, "/api/v1/brands", &bl); err == nil {
		brands = bl.Brands
	} else {
		s.log.Warn("listing brands for the form", "err", err)
	}
	return templates, brands
}

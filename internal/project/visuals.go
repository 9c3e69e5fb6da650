package project

import "strings"

// Visuals: what a project shows over the narration.
const (
	// VisualsGenerated shows pictures from the image generator
	// (settings.providers.images), slides when none is configured. It is
	// what "" means.
	VisualsGenerated = "generated"
	// VisualsStockVideo shows stock video clips (Pexels or Pixabay, see
	// settings.providers.stock) found with each segment's search terms.
	VisualsStockVideo = "stock_video"
	// VisualsStockPhoto shows stock photos the same way.
	VisualsStockPhoto = "stock_photo"
	// VisualsSlides shows the offline slides, even with a generator
	// configured.
	VisualsSlides = "slides"
)

// Stock footage services, for settings.providers.stock.
const (
	ProviderPexels  = "pexels"
	ProviderPixabay = "pixabay"
)

// validateVisuals normalises settings.visuals.
func (s *Settings) validateVisuals() error {
	v := strings.ToLower(strings.TrimSpace(s.Visuals))
	switch v {
	case "":
	case VisualsGenerated, VisualsStockVideo, VisualsStockPhoto, VisualsSlides:
	case "stock", "video", "stock-video", "stockvideo":
		v = VisualsStockVideo
	case "photo", "stock-photo", "stockphoto":
		v = VisualsStockPhoto
	default:
		return InvalidField("settings.visuals", "%q is not one of %s, %s, %s, %s", s.Visuals,
			VisualsGenerated, VisualsStockVideo, VisualsStockPhoto, VisualsSlides)
	}
	s.Visuals = v
	return nil
}

// Stock reports whether the project shows stock footage or photos.
func (s *Settings) Stock() bool {
	return s.Visuals == VisualsStockVideo || s.Visuals == VisualsStockPhoto
}

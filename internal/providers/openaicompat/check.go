package openaicompat

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CheckConfig names the server Check calls.
type CheckConfig struct {
	BaseURL    string // "" means DefaultBaseURL
	APIKey     string // "" sends none
	Model      string // optional: reported as found or not among the models
	HTTPClient *http.Client
}

// Check lists the server's models (GET /models), the cheapest call that
// proves the base URL answers and the key is accepted: nothing is
// generated and nothing is billed. It returns a short note for people
// (how many models, whether Model is one of them). A failure is coded as
// the other calls are (OPENAI_AUTH_FAILED, OPENAI_UNAVAILABLE, ...).
func Check(ctx context.Context, cfg CheckConfig) (string, error) {
	c := newClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)
	page, err := c.Models.List(ctx)
	if err != nil {
		return "", classify(err, cfg.APIKey, "list models")
	}
	ids := make([]string, 0, len(page.Data))
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	note := fmt.Sprintf("%d models", len(ids))
	if model := strings.TrimSpace(cfg.Model); model != "" {
		if slices.Contains(ids, model) {
			note += fmt.Sprintf("; %s is one of them", model)
		} else {
			note += fmt.Sprintf("; %s is not listed", model)
		}
	}
	return note, nil
}

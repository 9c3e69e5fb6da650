package gemini

import (
	"context"
	"fmt"
	"strings"
)

// Check reads the Writer's model (GET /v1beta/models/{model}), the
// cheapest call that proves the key is accepted and the model exists:
// nothing is generated and nothing is billed. It returns a short note for
// people. A failure is coded as Write's are (GEMINI_AUTH_FAILED,
// GEMINI_MODEL_NOT_FOUND, GEMINI_UNAVAILABLE, ...).
func (w *Writer) Check(ctx context.Context) (string, error) {
	m, err := w.client.Models.Get(ctx, w.model, nil)
	if err != nil {
		return "", w.classify(err)
	}
	name := strings.TrimPrefix(m.Name, "models/")
	if name == "" {
		name = w.model
	}
	if m.DisplayName != "" && m.DisplayName != name {
		return fmt.Sprintf("model %s (%s) is available", name, m.DisplayName), nil
	}
	return fmt.Sprintf("model %s is available", name), nil
}

// Check reads the Painter's image model, as Writer.Check does: nothing is
// generated and nothing is billed.
func (p *Painter) Check(ctx context.Context) (string, error) {
	w := &Writer{client: p.client, model: p.model, apiKey: p.apiKey, log: p.log}
	return w.Check(ctx)
}

package pipeline

import (
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/tasks"
)

// ScriptResult is generate_script_task's result.
type ScriptResult struct {
	ScriptPath string `json:"script_path"`
	Title      string `json:"title"`
	Language   string `json:"language"`
	Segments   int    `json:"segments"`
	Provider   string `json:"provider"`
	Model      string `json:"model,omitempty"`
	Tokens     int    `json:"tokens,omitempty"`
}

func (p *Pipeline) runScript(ctx context.Context, job tasks.Job) (any, error) {
	pr, err := p.load(job)
	if err != nil {
		return nil, err
	}
	req := script.Request{Name: pr.Name, Content: pr.Content, Language: pr.Language, MaxSegments: pr.Settings.MaxSegments}
	provider := pr.Settings.Providers.Script
	useGemini := provider == project.ProviderGemini || (provider == project.ProviderAuto && p.cfg.GeminiAPIKey != "")
	if provider == project.ProviderGemini && p.cfg.GeminiAPIKey == "" {
		return nil, missingKey("gemini", "GEMINI_API_KEY")
	}
	res := ScriptResult{ScriptPath: abs(job, scriptFile)}
	var sc *script.Script
	if useGemini {
		job.Progress(10, "Calling Gemini API...")
		w, err := gemini.NewWriter(ctx, gemini.Config{APIKey: p.cfg.GeminiAPIKey, Model: p.cfg.GeminiModel,
			BaseURL: p.cfg.GeminiBaseURL, HTTPClient: p.cfg.HTTPClient, Logger: job.Logger()})
		if err != nil {
			return nil, err
		}
		s, usage, err := w.Write(ctx, req)
		if p.cfg.Quota != nil && usage.Calls > 0 {
			p.cfg.Quota.RecordGemini(context.WithoutCancel(ctx), int64(usage.Calls), int64(usage.TotalTokens))
		}
		if err != nil {
			return nil, err
		}
		sc = s
		res.Provider, res.Model, res.Tokens = "gemini", modelOr(p.cfg.GeminiModel), usage.TotalTokens
	} else {
		job.Progress(10, "Writing the script offline...")
		s, err := script.WriteOffline(req)
		if err != nil {
			return nil, err
		}
		sc = s
		res.Provider = "offline"
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	job.Progress(80, "Saving the script...")
	if err := sc.Save(res.ScriptPath); err != nil {
		return nil, err
	}
	res.Title, res.Language, res.Segments = sc.Title, sc.Language, len(sc.Segments)
	job.Progress(100, fmt.Sprintf("Script ready: %d segments", len(sc.Segments)))
	return res, nil
}

func modelOr(m string) string {
	if m == "" {
		return gemini.DefaultModel
	}
	return m
}

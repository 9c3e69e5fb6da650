package pipeline

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/prompts"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/providers/openaicompat"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
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
	Template   string `json:"prompt_template,omitempty"`
}

// scriptProvider decides which writer makes a project's script: the
// project's choice, else LLM_PROVIDER, else the first service configured
// (Gemini, then the OpenAI-compatible API), else offline. A service chosen
// explicitly but not configured is an INVALID_INPUT error.
func (c *Config) scriptProvider(choice string) (string, error) {
	if choice == "" || choice == project.ProviderAuto {
		choice = c.LLMProvider
	}
	switch choice {
	case project.ProviderGemini:
		if c.GeminiAPIKey == "" {
			return "", missingKey("gemini", "GEMINI_API_KEY")
		}
		return choice, nil
	case project.ProviderOpenAI:
		if c.OpenAIBaseURL == "" && c.OpenAIAPIKey == "" {
			return "", missingKey("openai", "OPENAI_BASE_URL or OPENAI_API_KEY")
		}
		return choice, nil
	case project.ProviderOffline:
		return choice, nil
	}
	switch {
	case c.GeminiAPIKey != "":
		return project.ProviderGemini, nil
	case c.OpenAIBaseURL != "" || c.OpenAIAPIKey != "":
		return project.ProviderOpenAI, nil
	}
	return project.ProviderOffline, nil
}

func (p *Pipeline) runScript(ctx context.Context, job stage.Job) (any, error) {
	pr, err := p.load(job)
	if err != nil {
		return nil, err
	}
	req := script.Request{Name: pr.Name, Content: pr.Content, Language: pr.Language, MaxSegments: pr.Settings.MaxSegments}
	provider, err := p.cfg.scriptProvider(pr.Settings.Providers.Script)
	if err != nil {
		return nil, err
	}
	if provider != project.ProviderOffline {
		tmpl, err := p.cfg.Store.Prompts().Get(pr.Settings.PromptTemplate)
		if err != nil {
			if errcode.Code(err) == prompts.CodeNotFound {
				// Deleted since the project was saved.
				return nil, project.InvalidField("settings.prompt_template", "template %q does not exist any more", pr.Settings.PromptTemplate)
			}
			return nil, err
		}
		req.Template = tmpl.Text
	}
	model := pr.Settings.Providers.ScriptModel
	res := ScriptResult{ScriptPath: abs(job, scriptFile), Provider: provider}
	if provider != project.ProviderOffline {
		res.Template = cmp.Or(pr.Settings.PromptTemplate, prompts.DefaultName)
	}
	var sc *script.Script
	switch provider {
	case project.ProviderGemini:
		job.Progress(10, "Calling Gemini API...")
		if model == "" {
			model = modelOr(p.cfg.GeminiModel)
		}
		w, err := gemini.NewWriter(ctx, gemini.Config{APIKey: p.cfg.GeminiAPIKey, Model: model,
			BaseURL: p.cfg.GeminiBaseURL, HTTPClient: p.client(limits.Gemini), Logger: job.Logger()})
		if err != nil {
			return nil, err
		}
		var s *script.Script
		var usage gemini.Usage
		err = p.meteredLLM(ctx, quota.ProviderGemini, func(ctx context.Context) (int, error) {
			var err error
			s, usage, err = w.Write(ctx, req)
			return usage.TotalTokens, err
		})
		if err != nil {
			return nil, err
		}
		sc, res.Model, res.Tokens = s, model, usage.TotalTokens
	case project.ProviderOpenAI:
		if model == "" {
			model = p.cfg.OpenAIModel
		}
		job.Progress(10, fmt.Sprintf("Calling the OpenAI-compatible API (%s)...", model))
		w, err := openaicompat.NewWriter(openaicompat.WriterConfig{BaseURL: p.cfg.OpenAIBaseURL, APIKey: p.cfg.OpenAIAPIKey,
			Model: model, HTTPClient: p.client(limits.OpenAI), Logger: job.Logger()})
		if err != nil {
			return nil, err
		}
		var s *script.Script
		var usage openaicompat.Usage
		err = p.meteredLLM(ctx, quota.ProviderOpenAI, func(ctx context.Context) (int, error) {
			var err error
			s, usage, err = w.Write(ctx, req)
			return usage.TotalTokens, err
		})
		if err != nil {
			return nil, err
		}
		sc, res.Model, res.Tokens = s, model, usage.TotalTokens
	default:
		job.Progress(10, "Writing the script offline...")
		s, err := script.WriteOffline(req)
		if err != nil {
			return nil, err
		}
		sc = s
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

// meteredLLM writes a script with provider's LLM, counted in the day's
// usage: a request reserved before (the writer may send more: a repair,
// a retry without the JSON schema; those are added after), the tokens
// budget checked not to be reached before and the tokens the answers
// reported added after.
func (p *Pipeline) meteredLLM(ctx context.Context, provider string, write func(ctx context.Context) (tokens int, err error)) error {
	var tokens int
	sent, err := p.metered(ctx, provider, []cost{request()}, []string{quota.UnitTokens}, func(ctx context.Context) error {
		var err error
		tokens, err = write(ctx)
		return err
	})
	if sent > 1 {
		p.record(ctx, provider, quota.UnitRequests, sent-1)
	}
	p.record(ctx, provider, quota.UnitTokens, int64(tokens))
	return err
}

func modelOr(m string) string {
	if m == "" {
		return gemini.DefaultModel
	}
	return m
}

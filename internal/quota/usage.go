package quota

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Units a provider's use is counted in. A provider's counter of one unit
// is the service Service(provider, unit), such as "elevenlabs_characters".
const (
	UnitRequests   = "requests"   // calls that reached the provider
	UnitTokens     = "tokens"     // LLM tokens (prompt and answer), known after a call
	UnitCharacters = "characters" // text read aloud
	UnitImages     = "images"     // pictures generated
	UnitDownloads  = "downloads"  // stock files downloaded
)

// Providers whose use is counted per day, named as settings.providers
// and GET /api/v1/providers' choices name them.
const (
	ProviderGemini     = "gemini"
	ProviderOpenAI     = "openai"
	ProviderGoogle     = "google" // Google Cloud Text-to-Speech
	ProviderElevenLabs = "elevenlabs"
	ProviderStability  = "stability"
	ProviderPexels     = "pexels"
	ProviderPixabay    = "pixabay"
	ProviderDID        = "did"
)

// providerUnits lists what is counted of each provider, in display order.
var providerUnits = []struct {
	provider string
	units    []string
}{
	{ProviderGemini, []string{UnitRequests, UnitTokens, UnitCharacters, UnitImages}},
	{ProviderOpenAI, []string{UnitRequests, UnitTokens, UnitCharacters, UnitImages}},
	{ProviderGoogle, []string{UnitRequests, UnitCharacters}},
	{ProviderElevenLabs, []string{UnitRequests, UnitCharacters}},
	{ProviderStability, []string{UnitRequests, UnitImages}},
	{ProviderPexels, []string{UnitRequests, UnitDownloads}},
	{ProviderPixabay, []string{UnitRequests, UnitDownloads}},
	{ProviderDID, []string{UnitRequests}},
}

// CountedProviders lists the providers whose use is counted per day.
func CountedProviders() []string {
	out := make([]string, len(providerUnits))
	for i, p := range providerUnits {
		out[i] = p.provider
	}
	return out
}

// Units lists the units counted of provider (nil for an unknown one).
func Units(provider string) []string {
	for _, p := range providerUnits {
		if p.provider == provider {
			return slices.Clone(p.units)
		}
	}
	return nil
}

// Service is the name of provider's counter of unit: "<provider>_<unit>".
func Service(provider, unit string) string { return provider + "_" + unit }

// SplitService returns the provider and unit of a counted provider's
// service name; ok is false for any other name (youtube, did credits).
func SplitService(service string) (provider, unit string, ok bool) {
	for _, p := range providerUnits {
		u, found := strings.CutPrefix(service, p.provider+"_")
		if found && slices.Contains(p.units, u) {
			return p.provider, u, true
		}
	}
	return "", "", false
}

// DailyLimitCode is the error code of a call refused because provider's
// daily limit is reached: "<PROVIDER>_DAILY_LIMIT_REACHED".
func DailyLimitCode(provider string) string {
	return strings.ToUpper(provider) + "_DAILY_LIMIT_REACHED"
}

// DailyLimits turns daily budgets by service name (as Service names them)
// into Limits with their unit and code, for Options.Limits. A zero or
// negative budget is left out (unlimited).
func DailyLimits(budgets map[string]int64) map[string]Limit {
	out := map[string]Limit{}
	for service, n := range budgets {
		if n <= 0 {
			continue
		}
		l := Limit{Daily: n, Unit: UnitRequests, Code: Exhausted}
		if p, u, ok := SplitService(service); ok {
			l.Unit, l.Code = u, DailyLimitCode(p)
		}
		out[service] = l
	}
	return out
}

// Check refuses, as Reserve does, when today's usage of service has
// already reached its limit. It is for units known only after a call
// (tokens): check before, Record after. An unlimited service always
// passes.
func (t *Tracker) Check(ctx context.Context, service string) error {
	if err := checkArgs(service, 0); err != nil {
		return err
	}
	l := t.limit(service)
	if l.Daily <= 0 {
		return nil
	}
	now := t.now()
	day, reset := t.day(now)
	used, err := t.rdb.Get(ctx, t.dayKey(service, day)).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return redisErr("check", err)
	}
	used = max(used, t.floor(day, service))
	if used < l.Daily {
		return nil
	}
	ex := &ExhaustedError{Service: service, Used: used, Limit: l.Daily, ResetAt: reset}
	t.log.Warn("quota exhausted", "service", service, "used", used, "limit", l.Daily, "reset_at", reset)
	return exhaustedErr(l.Code, ex, now)
}

package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/internal/quota"
)

// maxDailyLimit bounds a <PROVIDER>_DAILY_<UNIT> value (a trillion
// tokens a day is beyond any account).
const maxDailyLimit = 1_000_000_000_000

// DailyLimitKey is the setting of provider's daily budget of unit:
// DailyLimitKey("elevenlabs", "characters") = "ELEVENLABS_DAILY_CHARACTERS".
func DailyLimitKey(provider, unit string) string {
	return strings.ToUpper(provider) + "_DAILY_" + strings.ToUpper(unit)
}

// dailyKeyPattern matches every name of the <PROVIDER>_DAILY_<UNIT> form.
var dailyKeyPattern = regexp.MustCompile(`^([A-Z][A-Z0-9_]*?)_DAILY_([A-Z][A-Z0-9_]*)$`)

// otherDailyKeys are settings of that form that are not provider budgets.
var otherDailyKeys = map[string]bool{"YOUTUBE_DAILY_QUOTA": true}

// dailyLimits reads every <PROVIDER>_DAILY_<UNIT> budget: a whole number,
// 0 meaning unlimited. A name of that form whose provider or unit is not
// counted is an error naming what is.
func dailyLimits(src Sources, get func(key, def string) string) (map[string]int64, error) {
	out := map[string]int64{}
	known := map[string]bool{}
	for _, p := range quota.CountedProviders() {
		for _, u := range quota.Units(p) {
			key := DailyLimitKey(p, u)
			known[key] = true
			v := get(key, "")
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64)
			if err != nil {
				return nil, &Error{Key: key, Value: v, Reason: "must be a whole number (0 = no limit)"}
			}
			if n < 0 || n > maxDailyLimit {
				return nil, &Error{Key: key, Value: v, Reason: fmt.Sprintf("must be between 0 (no limit) and %d", int64(maxDailyLimit))}
			}
			if n > 0 {
				out[quota.Service(p, u)] = n
			}
		}
	}
	var names []string
	for k := range src.Flags {
		names = append(names, k)
	}
	if src.EnvNames != nil {
		names = append(names, src.EnvNames()...)
	}
	for k := range src.DotEnv {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if known[k] || otherDailyKeys[k] {
			continue
		}
		if err := checkDailyKey(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkDailyKey refuses a name of the <PROVIDER>_DAILY_<UNIT> form that
// names a counted provider with a unit it is not counted in, or a counted
// unit of a provider that is not counted. Other names are left alone.
func checkDailyKey(key string) error {
	m := dailyKeyPattern.FindStringSubmatch(key)
	if m == nil {
		return nil
	}
	provider, unit := strings.ToLower(m[1]), strings.ToLower(m[2])
	if units := quota.Units(provider); units != nil {
		return &Error{Key: key, Reason: fmt.Sprintf("%s is not counted in %s; its daily limits are %s",
			provider, unit, strings.Join(dailyKeysOf(provider), ", "))}
	}
	if provider == "youtube" {
		return &Error{Key: key, Reason: "YouTube's daily budget is YOUTUBE_DAILY_QUOTA (units)"}
	}
	for _, p := range quota.CountedProviders() {
		if slices.Contains(quota.Units(p), unit) {
			var ps []string
			for _, p := range quota.CountedProviders() {
				ps = append(ps, strings.ToUpper(p))
			}
			return &Error{Key: key, Reason: fmt.Sprintf("unknown provider %s in a daily limit; the providers are %s",
				m[1], strings.Join(ps, ", "))}
		}
	}
	return nil
}

func dailyKeysOf(provider string) []string {
	var out []string
	for _, u := range quota.Units(provider) {
		out = append(out, DailyLimitKey(provider, u))
	}
	return out
}

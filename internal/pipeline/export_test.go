package pipeline

// ScriptProvider exposes Config.scriptProvider to the external tests.
func ScriptProvider(c *Config, choice string) (string, error) { return c.scriptProvider(choice) }

// VoiceProvider exposes Config.voiceProvider to the external tests.
func VoiceProvider(c *Config, choice string) (string, error) { return c.voiceProvider(choice) }

// ImageProvider exposes Config.imageProvider to the external tests.
func ImageProvider(c *Config, choice string) (string, error) { return c.imageProvider(choice) }

// RefusedForGood exposes refusedForGood to the external tests.
func RefusedForGood(err error) bool { return refusedForGood(err) }

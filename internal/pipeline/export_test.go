package pipeline

// ScriptProvider exposes Config.scriptProvider to the external tests.
func ScriptProvider(c *Config, choice string) (string, error) { return c.scriptProvider(choice) }

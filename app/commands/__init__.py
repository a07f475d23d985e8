"""Commands: what producers type (any channel, any of six languages) and what MIC answers."""

"""Performance measurements (`python -m bench NAME --json`); reported as ratios to a baseline."""

"""The public board: what anyone may read without signing in (pages, share cards, open data)."""

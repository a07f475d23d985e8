"""What anyone may read without signing in: the price board, share cards, open data and feeds."""

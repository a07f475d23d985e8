"""The web pages outside a browser: charts, static files."""

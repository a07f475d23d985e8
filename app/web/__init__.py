"""The web pages of MIC, beside the API in the HTTP edge: static files (web fonts, styles) and
the SVG charts the pages draw on the server."""

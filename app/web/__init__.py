"""The HTML edge shared by MIC's web pages (the staff console now, a public board later): the
Jinja2 templates and how a page is rendered in its reader's language, the CSRF field of forms,
the static files served under /static/ (styles, and the web fonts for Burmese, Khmer and Lao),
and the SVG charts the pages draw on the server."""

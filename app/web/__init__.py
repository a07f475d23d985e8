"""The HTML edge shared by MIC's web pages (the staff console now, a public board later): the
Jinja2 templates and how a page is rendered in its reader's language, the CSRF field of forms,
and the static files (CSS) served under /static/."""

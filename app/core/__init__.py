"""Cross-cutting infrastructure: settings, database, errors, logging, security, and leader
election between processes."""

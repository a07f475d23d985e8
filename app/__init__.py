"""MIC: the domain, the admin API and the composition root of the service."""

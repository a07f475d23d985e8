"""Collectors: small adapters that fetch a source's payload and turn it into records."""

"""Staff accounts, API tokens, roles and country scopes."""

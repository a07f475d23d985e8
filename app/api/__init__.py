"""The HTTP layer shared by every domain's api.py: dependencies, error rendering, the v1 router."""

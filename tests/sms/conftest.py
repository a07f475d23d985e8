"""The alerts tests' fixture for dispatching quickly, shared with the SMS tests."""

from tests.alerts.conftest import fast

__all__ = ["fast"]

"""Alerts: the messages producers receive, their rules, and the outbox they are sent from."""

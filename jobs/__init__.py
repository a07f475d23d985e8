"""Thin scheduled functions: collectors, the outbox dispatcher, digests and housekeeping."""

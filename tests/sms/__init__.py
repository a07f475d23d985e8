"""Tests of the SMS gateway adapters: sending through a fake HTTP API, and reading signed
webhooks built from the gateways' documented example payloads."""

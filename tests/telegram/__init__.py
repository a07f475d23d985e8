"""Tests of the Telegram side, against a fake Bot API served over HTTP (tests/fakes)."""

"""Outbound channels: what the dispatcher sends through (Telegram, SMS gateways, the console)."""

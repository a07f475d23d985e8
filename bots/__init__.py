"""Thin transports: Telegram and SMS carry messages in to app.commands and out of the outbox."""

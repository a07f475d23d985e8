"""Telegram: the outbox's Telegram channel (python-telegram-bot), and later the bot itself.

python-telegram-bot 22 returns time periods (RetryAfter.retry_after) as timedelta when
PTB_TIMEDELTA is set, and warns on every int otherwise; we opt in before it is imported.
"""

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")

"""A process seeking the lead, for the tests that kill or freeze a leader:

    python -m tests.core.leader_process <database url> <lock id> [--retry S] [--heartbeat S]

It prints "elected <pid>" when it takes the lead and "deposed <pid>" when it loses it, each line
flushed at once, and logs to stderr (each attempt at the lead too). SIGTERM or SIGINT make it
step down and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from app.core.db import Database
from app.core.leader import Leadership


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.core.leader_process")
    parser.add_argument("url")
    parser.add_argument("lock_id", type=lambda text: int(text, 0))
    parser.add_argument("--retry", type=float, default=2.0, help="Leadership retry_s")
    parser.add_argument("--heartbeat", type=float, default=2.0, help="Leadership heartbeat_s")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    database = Database(args.url)
    leadership = Leadership(
        database,
        lock_id=args.lock_id,
        name="the test lock",
        retry_s=args.retry,
        heartbeat_s=args.heartbeat,
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, leadership.stop)

    async def elected() -> None:
        print(f"elected {os.getpid()}", flush=True)

    async def deposed() -> None:
        print(f"deposed {os.getpid()}", flush=True)

    try:
        await leadership.run(elected, deposed)
    finally:
        await database.dispose()


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format=f"%(asctime)s {os.getpid()} %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("mic.leader").setLevel(logging.DEBUG)  # each attempt, for the tests
    asyncio.run(main())

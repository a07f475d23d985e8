"""Run one benchmark: `python -m bench NAME [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bench import (
    board,
    catalogue,
    console_lists,
    dispatch,
    fanout,
    inbound,
    ingest,
    parse,
    price_import,
    survival,
    zawgyi,
)

BENCHMARKS = {
    "board": board.run,
    "catalogue": catalogue.run,
    "console_lists": console_lists.run,
    "crash": dispatch.run_crash,
    "dispatch": dispatch.run,
    "fanout": fanout.run,
    "inbound": inbound.run,
    "ingest": ingest.run,
    "parse": parse.run,
    "price_import": price_import.run,
    "survival": survival.run,
    "zawgyi": zawgyi.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=sorted(BENCHMARKS))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=10_000, help="fanout")
    parser.add_argument("--messages", type=int, default=3000, help="dispatch, crash")
    parser.add_argument("--rate", type=float, default=100, help="dispatch: messages/s, 0 = none")
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatch: worker processes")
    parser.add_argument("--concurrency", type=int, default=50, help="inbound: requests in flight")
    parser.add_argument("--scenario", choices=survival.SCENARIOS, help="survival: only this one")
    parser.add_argument("--short", action="store_true", help="survival: the short form (CI)")
    parser.add_argument(
        "--database",
        "--database-url",
        default=None,
        help="a PostgreSQL server URL; default: a temporary SQLite file",
    )
    args = parser.parse_args()
    options = {k: v for k, v in vars(args).items() if k not in ("name", "json")}
    result = asyncio.run(BENCHMARKS[args.name](**options))
    if "scenarios" in result:  # one object per scenario; failing if any failed
        for scenario in result["scenarios"]:
            print(json.dumps(scenario, indent=2) if args.json else scenario)
        return 0 if all(s["passed"] for s in result["scenarios"]) else 1
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            if isinstance(value, list):  # a table: one row a line
                print(f"{key:>28}:")
                for row in value:
                    print(f"{'':>30}{row}")
            else:
                print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

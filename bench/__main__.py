"""Run one benchmark: `python -m bench NAME [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bench import catalogue, parse, price_import

BENCHMARKS = {
    "catalogue": catalogue.run,
    "parse": parse.run,
    "price_import": price_import.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=sorted(BENCHMARKS))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    result = asyncio.run(BENCHMARKS[args.name](requests=args.requests))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A fake SMS gateway over HTTP on loopback, for the dispatch benchmarks.

POST /send with JSON {"id": delivery id, "to": urn, "text": ...}. It enforces a global rate
(a token bucket of one second's capacity) and at most one message per recipient per second,
answering 429 with Retry-After when either is exceeded, and counts every accepted id so that
duplicates and losses can be measured. GET /stats returns the counts; anything else is a 404.

Run: python -m tests.fakes.gateway PORT RATE   (RATE 0: no global limit)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter


class Gateway:
    def __init__(self, rate: float, recipient_interval: float = 1.0) -> None:
        self.rate = rate
        self.recipient_interval = recipient_interval
        self.tokens = rate
        self.refreshed = time.monotonic()
        self.last_to: dict[str, float] = {}
        self.accepted: Counter[int] = Counter()
        self.violations = 0
        self.first: float | None = None
        self.last: float | None = None

    def send(self, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        now = time.monotonic()
        to = str(body["to"])
        if self.rate > 0:
            self.tokens = min(self.rate, self.tokens + (now - self.refreshed) * self.rate)
            self.refreshed = now
            if self.tokens < 1:
                self.violations += 1
                return 429, {"error": "global rate exceeded", "retry_after": 1}
        if now - self.last_to.get(to, -1e9) < self.recipient_interval:
            self.violations += 1
            return 429, {"error": "recipient rate exceeded", "retry_after": 1}
        if self.rate > 0:
            self.tokens -= 1
        self.last_to[to] = now
        self.accepted[int(str(body["id"]))] += 1
        self.first = self.first or now
        self.last = now
        return 200, {"message_id": f"fake-{body['id']}"}

    def stats(self) -> dict[str, object]:
        span = (self.last or 0) - (self.first or 0)
        return {
            "accepted": sum(self.accepted.values()),
            "distinct": len(self.accepted),
            "duplicates": sum(n - 1 for n in self.accepted.values() if n > 1),
            "violations": self.violations,
            "span_s": span,
            "ids": sorted(self.accepted),
        }


async def serve(port: int, gateway: Gateway) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (h.split(":", 1) for h in lines[1:] if h)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "POST" and path == "/send":
                    status, payload = gateway.send(json.loads(body))
                elif method == "GET" and path == "/stats":
                    status, payload = 200, gateway.stats()
                else:
                    status, payload = 404, {"error": f"unexpected {method} {path}"}
                data = json.dumps(payload).encode()
                reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}[status]
                extra = "Retry-After: 1\r\n" if status == 429 else ""
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Gateway(float(sys.argv[2]))))

"""A fake SMS gateway over HTTP on loopback, for the dispatch and survival benchmarks.

POST /send with JSON {"id": delivery id, "to": urn, "text": ...}. It enforces a global rate
(a token bucket of one second's capacity) and at most one message per recipient per interval,
answering 429 with Retry-After when either is exceeded, and counts every accepted id so that
duplicates and losses can be measured. GET /stats returns the counts; anything else is a 404.

It also speaks Kannel's sendsms, so that real `mic run` processes (MIC_SMS_GATEWAY=kannel,
MIC_KANNEL_SENDSMS_URL=http://127.0.0.1:PORT/cgi-bin/sendsms) send to it: GET /cgi-bin/sendsms,
the delivery id read from the dlr-url MIC gives each message, answered "0: Accepted for
delivery". POST /down makes every send answer 503 (a gateway that is down) until POST /up.
GET /arrivals?from=N lists the accepted messages from the N-th on, in arrival order, as
[delivery id, recipient], so that a bench can tell which kind of message went first.

Run: python -m tests.fakes.gateway PORT RATE [RECIPIENT_INTERVAL]   (RATE 0: no global limit)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

REASONS = {
    200: "OK",
    202: "Accepted",
    404: "Not Found",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class Gateway:
    def __init__(self, rate: float, recipient_interval: float = 1.0) -> None:
        self.rate = rate
        self.recipient_interval = recipient_interval
        self.tokens = rate
        self.refreshed = time.monotonic()
        self.last_to: dict[str, float] = {}
        self.accepted: Counter[int] = Counter()
        self.arrivals: list[tuple[int, str]] = []  # every accepted message, in order
        self.violations = 0
        self.down = False
        self.refused = 0  # sends answered 503 while down
        self.first: float | None = None
        self.last: float | None = None

    def send(self, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        now = time.monotonic()
        to = str(body["to"])
        if self.down:
            self.refused += 1
            return 503, {"error": "gateway down"}
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
        delivery = int(str(body["id"]))
        self.accepted[delivery] += 1
        self.arrivals.append((delivery, to))
        self.first = self.first or now
        self.last = now
        return 200, {"message_id": f"fake-{body['id']}"}

    def kannel_send(self, target: str) -> tuple[int, bytes]:
        """Kannel's sendsms: the delivery id is the `delivery` of the dlr-url MIC sends."""
        query = parse_qs(urlsplit(target).query)
        report = parse_qs(urlsplit(query["dlr-url"][0]).query)
        status, payload = self.send({"id": report["delivery"][0], "to": query["to"][0]})
        if status == 200:
            return 202, b"0: Accepted for delivery"
        return status, json.dumps(payload).encode()

    def stats(self) -> dict[str, object]:
        span = (self.last or 0) - (self.first or 0)
        return {
            "accepted": sum(self.accepted.values()),
            "distinct": len(self.accepted),
            "duplicates": sum(n - 1 for n in self.accepted.values() if n > 1),
            "violations": self.violations,
            "refused": self.refused,
            "down": self.down,
            "span_s": span,
            "ids": sorted(self.accepted),
        }

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if method == "POST" and path == "/send":
            status, payload = self.send(json.loads(body))
            return status, json.dumps(payload).encode()
        if method == "GET" and path.startswith("/cgi-bin/sendsms?"):
            return self.kannel_send(path)
        if method == "GET" and path.startswith("/arrivals?from="):
            start = int(path.removeprefix("/arrivals?from="))
            return 200, json.dumps(self.arrivals[start:]).encode()
        if method == "GET" and path == "/stats":
            return 200, json.dumps(self.stats()).encode()
        if method == "POST" and path in ("/down", "/up"):
            self.down = path == "/down"
            return 200, json.dumps({"down": self.down}).encode()
        return 404, json.dumps({"error": f"unexpected {method} {path}"}).encode()


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
                status, data = gateway.answer(method, path, body)
                extra = "Retry-After: 1\r\n" if status == 429 else ""
                writer.write(
                    f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: application/json\r\n"
                    f"{extra}Content-Length: {len(data)}\r\n\r\n".encode()
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
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    asyncio.run(serve(int(sys.argv[1]), Gateway(float(sys.argv[2]), interval)))

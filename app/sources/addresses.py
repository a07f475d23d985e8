"""Which addresses a source may fetch: public http(s) hosts, plus the private hosts an operator
names (MIC_SOURCE_ALLOWED_HOSTS) for an on-premise portal.

A CDE types a source's URL and reads the outcome of every run, so without this a source could
point at the service's own API, the Bot API URL with its token, or anything else on the office
network, and read the answer back through the run's error. The URL is checked when the source is
saved (no name lookup: the server's resolver at run time is what counts) and again at every
connection of every fetch, redirects included, after the name lookup; the fetch then connects to
the address that was checked, so a name that resolves differently a moment later (DNS
rebinding) cannot swap it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
# Names every resolver answers with this machine itself, without asking any DNS server.
_LOCAL_NAMES = ("localhost",)


class AddressRefused(ValueError):
    """The URL leads somewhere a source must not fetch from; the message says where and why."""


def allowed_set(hosts: Collection[str]) -> frozenset[str]:
    return frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip())


def check_url(url: str, allowed_hosts: Collection[str] = ()) -> None:
    """A source URL as it is saved: http(s), a host, and no private address written into it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise AddressRefused(f"url {url!r} is not a usable URL: {exc}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise AddressRefused(f"url {url!r} must start with http:// or https://")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused(f"url {url!r} names no host")
    if parts.username is not None or parts.password is not None:
        # A password in a URL ends up in logs and in the API's answers; portals use headers.
        raise AddressRefused(f"url {url!r} carries a user name or password; leave them out")
    if host in allowed_set(allowed_hosts):
        return
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise AddressRefused(_refusal(host, "this machine"))
    literal = _literal(host)
    if literal is not None and not is_public(literal):
        raise AddressRefused(_refusal(host, _kind(literal)))


async def resolve(host: str, port: int, allowed_hosts: frozenset[str]) -> str:
    """The address to connect to for `host`: every address its name has must be public (or the
    host is allowed by name). Raises AddressRefused."""
    name = host.strip("[]").lower().rstrip(".")
    addresses = await lookup(name, port)
    if not addresses:
        raise AddressRefused(f"{host} has no address")
    if name not in allowed_hosts:
        for address in addresses:
            if not is_public(address):
                shown = name if str(address) == name else f"{name} ({address})"
                raise AddressRefused(_refusal(shown, _kind(address)))
    return str(addresses[0])


async def lookup(host: str, port: int) -> list[Address]:
    """The name's addresses, in the resolver's order; an address stays itself."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressRefused(f"{host} could not be resolved: {exc.strerror or exc}") from None
    found: list[Address] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal(host: str) -> Address | None:
    """An address written as one, including the short and numeric IPv4 forms (127.1,
    2130706433, 0x7f.0.0.1) that resolvers accept."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _kind(address: Address) -> str:
    if address.is_loopback:
        return "this machine"
    if address.is_private or address.is_link_local:
        return "a private network"
    return "a reserved address"


def _refusal(host: str, kind: str) -> str:
    return (
        f"{host} is {kind}, not a public address; sources fetch only public http(s) addresses"
        " unless MIC_SOURCE_ALLOWED_HOSTS names the host"
    )

"""One outbound policy for addresses from user input: model endpoints, the image proxy, URL knowledge sources.

Only http and https, ports 1-65535, no credentials in the URL. Every address a host resolves to (A and AAAA)
must be allowed: link-local, cloud metadata, unspecified and multicast addresses never are; loopback, private,
CGNAT and reserved addresses only through an exception. Two exceptions exist, for model endpoints alone: the
origins the operator configured (OPENAI_BASE_URL) and the networks the operator listed. Addresses are checked
when a URL is taken in and again at connect time (DNS rebinding): `guarded_transport` connects only to the
addresses it has just checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpcore
import httpx
import structlog

from services.kit.errors import InvalidArgument

log = structlog.get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
Origin = tuple[str, str, int]

METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
# 169.254.169.254 is link-local already; these are the metadata services that live elsewhere.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("100.100.100.200", "fd00:ec2::254"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Hosts inet_aton would read as an IPv4 address (2130706433, 0x7f.1, 0177.0.0.1): only canonical forms pass.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE)
_BAD_CHARACTERS = re.compile(r"[\s\\\x00-\x1f\x7f]")


class OutboundRefused(InvalidArgument, default_reason="url_not_allowed"):
    """A URL, host or address that the outbound policy refuses; names the field it came from."""


class ConnectRefused(httpcore.ConnectError):
    """Raised inside the HTTP stack when a connection's address is refused at connect time."""


@dataclass(frozen=True)
class Target:
    """A checked URL: the parsed URL, its scheme, ASCII host (IPv6 without brackets) and effective port."""

    url: httpx.URL
    scheme: str
    host: str
    port: int

    @property
    def origin(self) -> Origin:
        return (self.scheme, self.host, self.port)


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs from a comma-separated string or a list; a bad one raises ValueError naming it."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in (i.strip() for i in items):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not a network in CIDR form (e.g. 10.0.0.0/8)") from None
    return tuple(networks)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64, 6to4 or Teredo address leads to, if any."""
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def never_allowed(address: IPAddress) -> bool:
    """Link-local, metadata, unspecified and multicast addresses: refused whatever the exceptions."""
    return bool(
        address.is_link_local or address.is_unspecified or address.is_multicast or address in METADATA_ADDRESSES
    )


@dataclass(frozen=True)
class OutboundPolicy:
    """What user-given URLs may reach; the default (no exceptions) is the policy for everything but models."""

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_origins: frozenset[Origin] = frozenset()
    resolver: Resolver = system_resolver
    resolve_timeout_s: float = 5.0

    @classmethod
    def build(
        cls, *, networks: str | Iterable[str] = (), origins: Iterable[str] = (), resolver: Resolver | None = None
    ) -> OutboundPolicy:
        """A policy with the operator's exceptions: networks (CIDRs) and origins (of a URL, scheme+host+port)."""
        allowed: set[Origin] = set()
        for raw in origins:
            try:
                allowed.add(cls().target(raw, field="origin").origin)
            except OutboundRefused:
                log.warning("outbound_origin_ignored", reason="not an http(s) URL")
        return cls(
            allow_networks=parse_networks(networks),
            allow_origins=frozenset(allowed),
            resolver=resolver or system_resolver,
        )

    def target(self, raw: str, *, field: str, reason: str = "url_not_allowed") -> Target:
        """The URL parsed as the HTTP client will parse it; anything but a plain http(s) URL is refused."""
        if not raw or _BAD_CHARACTERS.search(raw):
            raise OutboundRefused(f"{field} is not a valid http(s) URL", field=field, reason=reason)
        try:
            url = httpx.URL(raw)
            host = url.raw_host.decode("ascii").lower()
        except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):
            raise OutboundRefused(f"{field} is not a valid http(s) URL", field=field, reason=reason) from None
        if url.scheme not in ("http", "https") or not host:
            raise OutboundRefused(f"{field} must be an http:// or https:// URL with a host", field=field, reason=reason)
        if url.userinfo:
            raise OutboundRefused(f"{field} must not carry credentials", field=field, reason=reason)
        port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
        if not 1 <= port <= 65535:
            raise OutboundRefused(f"{field}: the port must be between 1 and 65535", field=field, reason=reason)
        host = host.strip("[]")
        if _NUMERIC_HOST.fullmatch(host) and not _is_ip(host):
            raise OutboundRefused(f"{field}: write an IPv4 host in dotted-decimal form", field=field, reason=reason)
        return Target(url=url, scheme=url.scheme, host=host, port=port)

    def exempt(self, host: str, port: int) -> bool:
        """Whether host:port is the host and port of an operator-configured origin."""
        return any((host.lower(), port) == (h, p) for _, h, p in self.allow_origins)

    def address_allowed(self, address: IPAddress, *, exempt: bool = False) -> bool:
        """Global unicast, or an exception (exempt origin, listed network); never link-local or metadata."""
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:  # the kernel connects to the IPv4 address itself
                return self.address_allowed(address.ipv4_mapped, exempt=exempt)
            inner = _embedded_ipv4(address)
            if inner is not None and not self.address_allowed(inner, exempt=exempt):
                return False
        if never_allowed(address):
            return False
        if exempt or any(address in network for network in self.allow_networks):
            return True
        return bool(address.is_global and not address.is_reserved and not address.is_private)

    async def addresses(
        self, host: str, port: int, *, field: str = "url", reason: str = "url_not_allowed", exempt: bool = False
    ) -> list[str]:
        """Every address of host, each one checked; refused if any is not allowed or none resolves."""
        if host.lower().rstrip(".") in METADATA_HOSTS:
            raise OutboundRefused(f"{field} points at a cloud metadata service", field=field, reason=reason)
        if _is_ip(host):
            candidates = [host]
        else:
            try:
                async with asyncio.timeout(self.resolve_timeout_s):
                    candidates = await self.resolver(host, port)
            except (OSError, UnicodeError, TimeoutError):
                candidates = []
            if not candidates:
                raise OutboundRefused(f"the host of {field} does not resolve", field=field, reason="url_unresolvable")
        checked = [c.split("%", 1)[0] for c in candidates]
        for candidate in checked:
            address = ipaddress.ip_address(candidate)
            if not self.address_allowed(address, exempt=exempt):
                log.warning("outbound_refused", host=host, address=candidate)
                what = "a link-local or metadata" if never_allowed(_unmapped(address)) else "a private or reserved"
                raise OutboundRefused(f"{field} points at {what} address", field=field, reason=reason)
        return checked

    async def check(self, raw: str, *, field: str, reason: str = "url_not_allowed") -> Target:
        """Parse and resolve a URL before it is used or stored; the exempt origins skip the network checks."""
        target = self.target(raw, field=field, reason=reason)
        await self.addresses(
            target.host, target.port, field=field, reason=reason, exempt=target.origin in self.allow_origins
        )
        return target


def _unmapped(address: IPAddress) -> IPAddress:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host of every new connection, then connects to a checked address only."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            checked = await self.policy.addresses(host, port, exempt=self.policy.exempt(host, port))
        except OutboundRefused as refused:
            raise ConnectRefused(refused.message) from None
        failure: Exception = ConnectRefused("no address to connect to")
        for address in checked:
            try:
                # TLS still verifies and sends SNI for the URL's host name: httpcore takes it from the request.
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ConnectRefused("unix sockets are not reachable through the outbound policy")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose every connection passes the policy at connect time (no environment proxies:
    through a proxy, the address checked would be the proxy's, not the endpoint's)."""

    def __init__(self, policy: OutboundPolicy, *, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(trust_env=False, limits=limits)
        # httpx has no public hook for httpcore's network backend, so its pool is rebuilt with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


def refused_by_policy(error: BaseException) -> bool:
    """Whether an HTTP client error was, at its root, a connect-time refusal by the policy."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConnectRefused):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

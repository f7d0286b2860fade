"""The one SSRF-safe fetcher for outside URLs: checked addresses, pinned connections, checked redirects.

Every hop: only http and https; the host is resolved once and every address must be global (or in an
explicit allowlist, which exists for tests only); the connection goes to the address that was checked,
with the original Host header and TLS SNI, so a second DNS answer cannot steer it (DNS rebinding). Redirects
are followed by hand, each one checked again. Time and size are bounded; proxies from the environment are
ignored.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
import structlog

from services.kit.errors import InvalidArgument

log = structlog.get_logger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_REDIRECTS = {301, 302, 303, 307, 308}
_READ_CHUNK = 64 * 1024


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


class UrlNotAllowed(InvalidArgument):
    default_reason = "url_not_allowed"


class FetchFailed(Exception):
    """The remote could not be reached or answered badly (not the caller's fault, not a refusal)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    data: bytes


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str
    port: int


def _unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address hidden in an IPv4-mapped, 6to4 or Teredo IPv6 address, else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


class SafeFetcher:
    """Fetches outside URLs for the platform; refusals raise UrlNotAllowed before any connection is made."""

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        max_redirects: int = 5,
        allow_networks: Sequence[str] = (),
        resolver: Resolver | None = None,
        user_agent: str = "MeshConsole-fetcher/1.0",
    ) -> None:
        self.timeout_s = timeout_s
        self.max_redirects = max_redirects
        self.allow_networks = [ipaddress.ip_network(n, strict=False) for n in allow_networks]
        self.resolver = resolver or system_resolver
        self.user_agent = user_agent

    def address_allowed(self, address: IPAddress) -> bool:
        """Global unicast only (or an allowlisted network): no private, loopback, link-local, metadata, …"""
        if any(address in network for network in self.allow_networks):
            return True
        inner = _unwrap(address)
        if inner is not address and not self.address_allowed(inner):
            return False
        return bool(
            address.is_global
            and not address.is_multicast
            and not address.is_reserved
            and not address.is_unspecified
            and not address.is_loopback
            and not address.is_link_local
        )

    def _target(self, raw: str) -> _Target:
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise UrlNotAllowed("url is not a valid http(s) URL", field="url") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise UrlNotAllowed("only http and https URLs may be fetched", field="url")
        if url.userinfo:
            raise UrlNotAllowed("URLs with credentials may not be fetched", field="url")
        port = url.port or (443 if url.scheme == "https" else 80)
        return _Target(url=url, host=url.host, port=port)

    async def _pinned_address(self, target: _Target) -> str:
        try:
            literal: IPAddress | None = ipaddress.ip_address(target.host)
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                candidates = await self.resolver(target.host, target.port)
            except (OSError, UnicodeError):
                raise UrlNotAllowed("the URL's host does not resolve", reason="url_unresolvable", field="url") from None
        if not candidates:
            raise UrlNotAllowed("the URL's host does not resolve", reason="url_unresolvable", field="url")
        for candidate in candidates:
            if not self.address_allowed(ipaddress.ip_address(candidate.split("%", 1)[0])):
                log.warning("fetch_refused", host=target.host, address=candidate)
                raise UrlNotAllowed("the URL points at a private or reserved address", field="url")
        return candidates[0].split("%", 1)[0]

    async def fetch(self, url: str, *, max_bytes: int, accept: str = "*/*", require_type_prefix: str = "") -> Fetched:
        """GET url within the limits; the body is read only while it stays under max_bytes."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._fetch(url, max_bytes=max_bytes, accept=accept, type_prefix=require_type_prefix)
        except TimeoutError:
            raise FetchFailed(f"no complete answer within {self.timeout_s:g}s") from None

    async def _fetch(self, url: str, *, max_bytes: int, accept: str, type_prefix: str) -> Fetched:
        timeout = httpx.Timeout(self.timeout_s)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            current = url
            for _ in range(self.max_redirects + 1):
                target = self._target(current)
                address = await self._pinned_address(target)
                pinned = target.url.copy_with(host=address)
                headers = {
                    "Host": target.url.netloc.decode("ascii"),
                    "User-Agent": self.user_agent,
                    "Accept": accept,
                    "Accept-Encoding": "identity",
                }
                extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
                request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError as error:
                    raise FetchFailed(f"could not fetch: {type(error).__name__}") from None
                try:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = urljoin(str(target.url), response.headers["location"])
                        continue
                    return await self._read(response, target, max_bytes=max_bytes, type_prefix=type_prefix)
                finally:
                    await response.aclose()
            raise FetchFailed(f"more than {self.max_redirects} redirects")

    async def _read(self, response: httpx.Response, target: _Target, *, max_bytes: int, type_prefix: str) -> Fetched:
        if response.status_code != 200:
            raise FetchFailed(f"the remote answered HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if type_prefix and not content_type.startswith(type_prefix):
            raise InvalidArgument(
                f"the URL's content type is {content_type or 'missing'}, not {type_prefix}*",
                reason="not_an_image" if type_prefix == "image/" else "unexpected_content_type",
                field="url",
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)
        body = bytearray()
        try:
            async for chunk in response.aiter_bytes(_READ_CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise _too_large(max_bytes)
        except httpx.HTTPError as error:
            raise FetchFailed(f"the transfer failed: {type(error).__name__}") from None
        return Fetched(url=str(target.url), status=response.status_code, content_type=content_type, data=bytes(body))


def _too_large(max_bytes: int) -> InvalidArgument:
    return InvalidArgument(f"the remote body exceeds {max_bytes} bytes", reason="image_too_large", field="url")

"""The one fetcher for outside URLs (image proxy, URL knowledge sources): checked addresses, pinned connections.

Every hop goes through the shared outbound policy (services.kit.outbound) with no exception: http and https
only, ports 1-65535, every address the host resolves to must be global. The connection then goes to the
address that was checked, with the original Host header and TLS SNI, so a second DNS answer cannot steer it
(DNS rebinding). Redirects are followed by hand, each one checked again. Time and size are bounded; proxies
from the environment are ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from services.kit.errors import InvalidArgument
from services.kit.outbound import IPAddress, OutboundPolicy, OutboundRefused, Resolver, Target, system_resolver

__all__ = ["FetchFailed", "Fetched", "Resolver", "SafeFetcher", "UrlNotAllowed", "system_resolver"]
_REDIRECTS = {301, 302, 303, 307, 308}
_READ_CHUNK = 64 * 1024
UrlNotAllowed = OutboundRefused


class FetchFailed(Exception):
    """The remote could not be reached or answered badly (not the caller's fault, not a refusal)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content_type: str
    data: bytes


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
        # allow_networks exists for tests only (their sites listen on loopback); operators get no exception.
        self.policy = OutboundPolicy.build(networks=allow_networks, resolver=resolver)
        self.user_agent = user_agent

    def address_allowed(self, address: IPAddress) -> bool:
        """Whether the policy lets the fetcher reach this address."""
        return self.policy.address_allowed(address)

    async def _pinned_address(self, target: Target) -> str:
        checked = await self.policy.addresses(target.host, target.port, field="url")
        return checked[0]

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
                target = self.policy.target(current, field="url")
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

    async def _read(self, response: httpx.Response, target: Target, *, max_bytes: int, type_prefix: str) -> Fetched:
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

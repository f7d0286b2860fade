"""The SSRF-safe fetcher through FetchImage: refusals, redirects, DNS tricks, content type and size limits.

Every server here listens on loopback. The "outside" site is 127.0.0.2, reached through a name that an
injected resolver maps there and an allowlist that exists for tests only; 127.0.0.1 stands for the inside.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from meshconsole.files.v1 import files_pb2

from services.files.fetcher import SafeFetcher, system_resolver
from services.kit.errors import from_rpc_error
from services.kit.testing.servers import NatsServer
from tests.service.files_http import PNG, ImageSite, image_site, internal_site
from tests.service.files_support import ALICE, FilesEnv, md, start_files, stop_files


class FlippingResolver:
    """images.test and rebind.test go to the outside site; rebind.test answers the inside after one lookup."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host == "images.test":
            return ["127.0.0.2"]
        if host == "rebind.test":
            return ["127.0.0.2"] if self.calls.count(host) == 1 else ["127.0.0.1"]
        if host == "mixed.test":
            return ["127.0.0.2", "127.0.0.1"]
        return await system_resolver(host, port)


@pytest_asyncio.fixture(loop_scope="session")
async def sites() -> AsyncIterator[tuple[ImageSite, ImageSite]]:
    inside = await internal_site().start()
    outside = await image_site("127.0.0.2", internal_port=inside.port).start()
    try:
        yield outside, inside
    finally:
        await outside.stop()
        await inside.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[tuple[FilesEnv, FlippingResolver]]:
    resolver = FlippingResolver()
    env = await start_files(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'files.db'}",
        nats_server,
        resolver=resolver,
        files_fetch_allow_networks=["127.0.0.2/32"],
        files_max_image_mb=1,
        files_fetch_timeout_s=3.0,
    )
    try:
        yield env, resolver
    finally:
        await stop_files(env)


async def _fetch(env: FilesEnv, url: str) -> files_pb2.FetchImageResponse:
    reply: files_pb2.FetchImageResponse = await env.stub.FetchImage(
        files_pb2.FetchImageRequest(url=url), metadata=md(ALICE)
    )
    return reply


async def _refused(env: FilesEnv, url: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _fetch(env, url)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, url
    return from_rpc_error(caught.value).reason


async def test_an_outside_image_is_fetched(
    proxy: tuple[FilesEnv, FlippingResolver], sites: tuple[ImageSite, ...]
) -> None:
    env, _ = proxy
    outside, inside = sites
    reply = await _fetch(env, f"http://images.test:{outside.port}/img.png")
    assert (reply.success, reply.data, reply.content_type) == (True, PNG, "image/png")
    followed = await _fetch(env, f"http://images.test:{outside.port}/to-self")
    assert followed.success and followed.data == PNG
    failed = await _fetch(env, f"http://images.test:{outside.port}/broken")
    assert not failed.success and "500" in failed.error
    assert inside.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{inside}/img.png",
        "http://10.0.0.1/img.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{inside}/img.png",
        "http://[::ffff:127.0.0.1]:{inside}/img.png",
        "http://2130706433:{inside}/img.png",
        "http://0.0.0.0:{inside}/img.png",
        "http://localhost:{inside}/img.png",
        "http://mixed.test:{outside}/img.png",
        "http://images.test:{outside}/to-internal",
        "http://images.test:{outside}/to-localhost",
    ],
)
async def test_inside_addresses_are_refused_before_any_connection(
    proxy: tuple[FilesEnv, FlippingResolver], sites: tuple[ImageSite, ImageSite], url: str
) -> None:
    env, _ = proxy
    outside, inside = sites
    assert await _refused(env, url.format(inside=inside.port, outside=outside.port)) == "url_not_allowed"
    assert inside.hits == []


@pytest.mark.parametrize(
    "url", ["ftp://images.test/img.png", "file:///etc/passwd", "http://user:pw@images.test/img.png", "not a url"]
)
async def test_only_plain_http_urls_are_fetched(proxy: tuple[FilesEnv, FlippingResolver], url: str) -> None:
    env, _ = proxy
    assert await _refused(env, url) == "url_not_allowed"


async def test_content_must_be_an_image_of_bounded_size(
    proxy: tuple[FilesEnv, FlippingResolver], sites: tuple[ImageSite, ImageSite]
) -> None:
    env, _ = proxy
    outside, _ = sites
    assert await _refused(env, f"http://images.test:{outside.port}/page") == "not_an_image"
    assert await _refused(env, f"http://images.test:{outside.port}/liar.png") == "not_an_image"
    assert await _refused(env, f"http://images.test:{outside.port}/huge.png") == "image_too_large"
    assert await _refused(env, f"http://images.test:{outside.port}/huge-unsized.png") == "image_too_large"


async def test_the_connection_goes_to_the_checked_address(
    proxy: tuple[FilesEnv, FlippingResolver], sites: tuple[ImageSite, ImageSite]
) -> None:
    env, resolver = proxy
    outside, inside = sites
    before = len(outside.hits)
    reply = await _fetch(env, f"http://rebind.test:{outside.port}/img.png")
    # One lookup per hop: a second, rebound answer (127.0.0.1) is never asked for nor used.
    assert reply.success and resolver.calls.count("rebind.test") == 1
    assert len(outside.hits) == before + 1 and inside.hits == []


async def test_the_fetcher_refuses_private_ranges_by_default() -> None:
    import ipaddress

    fetcher = SafeFetcher()
    for address in (
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "224.0.0.1",
        "0.0.0.0",
    ):
        assert not fetcher.address_allowed(ipaddress.ip_address(address)), address
    assert fetcher.address_allowed(ipaddress.ip_address("93.184.216.34"))
    assert fetcher.address_allowed(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))

"""The outbound policy: URL forms, address classes, the two model-endpoint exceptions, and connect-time checks."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from services.kit.outbound import GuardedTransport, OutboundPolicy, OutboundRefused, refused_by_policy
from services.kit.testing.openai_upstream import ScriptedUpstream

STRICT = OutboundPolicy()
EVERYTHING = OutboundPolicy.build(networks="0.0.0.0/0,::/0")


class Resolver:
    """A fixed DNS: each name answers the next list of its script, repeating the last one."""

    def __init__(self, **answers: list[list[str]]) -> None:
        self.answers = {name.replace("_", "."): list(lists) for name, lists in answers.items()}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        script = self.answers.get(host)
        if not script:
            raise OSError("name does not resolve")
        return script.pop(0) if len(script) > 1 else script[0]


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(models=("m",)) as upstream:
        yield upstream


async def refused(policy: OutboundPolicy, url: str, *, field: str = "base_url") -> OutboundRefused:
    with pytest.raises(OutboundRefused) as caught:
        await policy.check(url, field=field)
    assert caught.value.field == field
    return caught.value


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "100.100.100.200", "::ffff:169.254.169.254"],
)
async def test_link_local_and_metadata_addresses_are_refused_whatever_the_exceptions(address: str) -> None:
    literal = f"[{address}]" if ":" in address else address
    for policy in (STRICT, EVERYTHING, OutboundPolicy.build(origins=[f"http://{literal}/"])):
        assert not policy.address_allowed(ipaddress.ip_address(address), exempt=True)
        error = await refused(policy, f"http://{literal}/latest/meta-data/")
        assert "link-local or metadata" in error.message


@pytest.mark.parametrize("host", ["metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata", "instance-data"])
async def test_metadata_names_are_refused_before_any_lookup(host: str) -> None:
    resolver = Resolver()
    policy = OutboundPolicy.build(networks="0.0.0.0/0", resolver=resolver)
    error = await refused(policy, f"http://{host}/computeMetadata/v1/")
    assert "metadata" in error.message and resolver.calls == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",  # CGNAT
        "fc00::1",
        "fd12:3456::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
async def test_inside_addresses_are_refused_by_default(address: str) -> None:
    assert not STRICT.address_allowed(ipaddress.ip_address(address))
    literal = f"[{address}]" if ":" in address else address
    error = await refused(STRICT, f"http://{literal}:8000/v1")
    assert error.reason == "url_not_allowed"


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert STRICT.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0x7f000001/",
        "http://0x7f.1/",
        "http://017700000001/",  # octal
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://10.1/",
    ],
)
async def test_numeric_hosts_other_than_dotted_decimal_are_refused(url: str) -> None:
    resolver = Resolver()
    policy = OutboundPolicy.build(resolver=resolver)
    await refused(policy, url, field="url")
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://example.com:99999/v1", "between 1 and 65535"),
        ("http://example.com:0/v1", "between 1 and 65535"),
        ("http://example.com:-1/v1", "between 1 and 65535"),
        ("http://example.com:http/v1", "valid"),
        ("ftp://example.com/v1", "http"),
        ("file:///etc/passwd", "http"),
        ("gopher://example.com:70/", "http"),
        ("javascript:alert(1)", "http"),
        ("http://user:secret@example.com/v1", "credentials"),
        ("http://exa mple.com/", "valid"),
        ("http://example.com\\@127.0.0.1/", "valid"),
        ("http://example.com/\x00", "valid"),
        ("", "valid"),
    ],
)
def test_only_plain_http_urls_with_a_valid_port_pass(url: str, words: str) -> None:
    with pytest.raises(OutboundRefused) as caught:
        STRICT.target(url, field="url", reason="invalid_url")
    error = caught.value
    assert (error.field, error.reason) == ("url", "invalid_url") and "url" in error.message
    assert words in error.message


def test_ports_default_by_scheme_and_hosts_are_normalised() -> None:
    assert STRICT.target("https://Example.COM/v1", field="url").origin == ("https", "example.com", 443)
    assert STRICT.target("http://example.com:65535", field="url").origin == ("http", "example.com", 65535)
    assert STRICT.target("http://[::1]:8/", field="url").host == "::1"
    assert STRICT.target("http://bücher.example/", field="url").host == "xn--bcher-kva.example"


async def test_every_resolved_address_must_be_allowed() -> None:
    resolver = Resolver(mixed_test=[["93.184.216.34", "10.0.0.5"]], public_test=[["93.184.216.34", "2606:4700::1"]])
    policy = OutboundPolicy.build(resolver=resolver)
    await refused(policy, "http://mixed.test/v1")
    assert await policy.addresses("public.test", 80) == ["93.184.216.34", "2606:4700::1"]
    missing = await refused(policy, "http://nowhere.test/v1")
    assert missing.reason == "url_unresolvable"


async def test_listed_networks_open_private_addresses_only() -> None:
    resolver = Resolver(vllm_internal=[["10.4.0.9"]], ollama_box=[["10.4.0.9", "fe80::1"]])
    policy = OutboundPolicy.build(networks="10.4.0.0/16, 127.0.0.1/32", resolver=resolver)
    await policy.check("http://vllm.internal:8000/v1", field="base_url")
    await policy.check("http://127.0.0.1:11434/v1", field="base_url")
    await refused(policy, "http://10.5.0.1:8000/v1")
    await refused(policy, "http://127.0.0.2:11434/v1")
    await refused(policy, "http://ollama.box:11434/v1")  # one link-local answer is enough to refuse
    with pytest.raises(ValueError, match="not-a-network"):
        OutboundPolicy.build(networks="10.0.0.0/8,not-a-network")


async def test_the_configured_origin_is_an_exception_for_its_scheme_host_and_port_only() -> None:
    policy = OutboundPolicy.build(origins=["http://127.0.0.1:8000/v1", "not a url"])
    assert policy.allow_origins == frozenset({("http", "127.0.0.1", 8000)})
    await policy.check("http://127.0.0.1:8000/other/path", field="base_url")
    for url in ("http://127.0.0.1:8001/v1", "https://127.0.0.1:8000/v1", "http://localhost:8000/v1"):
        await refused(policy, url)
    assert policy.exempt("127.0.0.1", 8000) and not policy.exempt("127.0.0.1", 8001)


EMBED = {"model": "m", "input": ["x"]}


async def test_connections_are_checked_again_when_they_are_made(server: ScriptedUpstream) -> None:
    # The name passes when the URL is taken in, then resolves to loopback (DNS rebinding).
    resolver = Resolver(rebind_test=[["93.184.216.34"], ["127.0.0.1"]])
    policy = OutboundPolicy.build(resolver=resolver)
    url = f"http://rebind.test:{server.port}/v1/embeddings"
    await policy.check(url, field="base_url")
    before = len(server.requests)
    async with httpx.AsyncClient(transport=GuardedTransport(policy)) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post(url, json=EMBED)
    assert refused_by_policy(caught.value) and resolver.calls == ["rebind.test", "rebind.test"]
    assert len(server.requests) == before


async def test_an_allowed_connection_goes_to_the_checked_address(server: ScriptedUpstream) -> None:
    resolver = Resolver(models_test=[["127.0.0.1"]])
    policy = OutboundPolicy.build(networks="127.0.0.0/8", resolver=resolver)
    async with httpx.AsyncClient(transport=GuardedTransport(policy)) as client:
        first = await client.post(f"http://models.test:{server.port}/v1/embeddings", json=EMBED)
        second = await client.post(f"http://models.test:{server.port}/v1/embeddings", json=EMBED)
    assert (first.status_code, second.status_code) == (200, 200) and len(first.json()["data"]) == 1
    assert server.requests[-1].headers["host"] == f"models.test:{server.port}"
    assert resolver.calls == ["models.test"]  # the kept-alive connection is not looked up again


async def test_the_transport_refuses_what_the_policy_refuses(server: ScriptedUpstream) -> None:
    before = len(server.requests)
    async with httpx.AsyncClient(transport=GuardedTransport(STRICT)) as client:
        for url in (f"http://127.0.0.1:{server.port}/v1/embeddings", "http://169.254.169.254/latest/meta-data/"):
            with pytest.raises(httpx.ConnectError) as caught:
                await client.post(url, json=EMBED)
            assert refused_by_policy(caught.value)
    assert len(server.requests) == before
    assert not refused_by_policy(httpx.ConnectError("connection refused"))

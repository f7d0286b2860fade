"""Bad input at the edge, against the real launcher: every class gets a 4xx naming the field in every dialect.

Lone surrogates, non-finite numbers, deep nesting, out-of-range integers, odd path ids and NUL are refused with
400 (or 404 for an id that names nothing); oversize bodies get 413 before authentication, within a second when
declared; free-form Dify inputs are capped so a conversation list never outgrows a message; download URLs ignore
the Host header; a service that is down or speaks something else answers without the mesh's internals.
"""

from __future__ import annotations

import http.client
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.kit.testing.openai_upstream import ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.test_conversations import send
from tests.e2e.test_bad_input_fields import message_of

APP = "{app_id}"
DEEP_OBJECT = '{"a": ' * 40 + "1" + "}" * 40
DEEP_LIST = "[" * 40 + "]" * 40
# (dialect, method, path, raw JSON body or None, the field the answer must name; "" = a 404 naming nothing)
Case = tuple[str, str, str, str | None, str]
CASES: dict[str, list[Case]] = {
    "surrogate": [
        (
            "nextconsole",
            "POST",
            "/next_console/user_center/users/update",
            '{"user_nick_name": "\\ud800"}',
            "user_nick_name",
        ),
        ("dify", "POST", "/console/api/apps", '{"name": "\\ud800", "mode": "chat"}', "name"),
        ("nexent", "PUT", "/api/conversation/create", '{"title": "a\\udfffb"}', "title"),
        (
            "lbai",
            "POST",
            "/ai-api/v1/miniProgram/saveUpdate",
            '{"command_session_id": "x", "mini_program_name": "\\ud800"}',
            "mini_program_name",
        ),
        (
            "admin",
            "POST",
            "/admin/v1/users",
            '{"account": "\\ud800@x.y", "password": "pass-word-1", "company": "C"}',
            "account",
        ),
    ],
    "non-finite": [
        (
            "nextconsole",
            "POST",
            "/next_console/app_center/app_run/v2/chat/completions",
            '{"app_code": "x", "messages": [{"role": "user", "content": "hi"}], "temperature": 1e999}',
            "temperature",
        ),
        (
            "dify",
            "POST",
            f"/console/api/apps/{APP}/chat-messages",
            '{"query": "x", "inputs": {"n": 1e999}}',
            "inputs.n",
        ),
        (
            "nexent",
            "POST",
            "/api/indices/search/hybrid",
            '{"query": "x", "index_names": ["a"], "weight_accurate": -1e999}',
            "weight_accurate",
        ),
        (
            "lbai",
            "POST",
            "/ai-api/v1/chat/completions",
            '{"session_id": "s", "user_question": {"type": NaN, "content": "x"}}',
            "user_question.type",
        ),
        ("admin", "POST", "/admin/v1/api-keys", '{"user_id": Infinity, "kind": "user"}', "user_id"),
    ],
    "nesting": [
        (
            "nextconsole",
            "POST",
            "/next_console/user_center/users/update",
            f'{{"user_area": {DEEP_OBJECT}}}',
            "user_area",
        ),
        ("dify", "POST", f"/console/api/apps/{APP}/model-config", f'{{"model": {DEEP_OBJECT}}}', "model"),
        ("nexent", "POST", "/api/config/save_config", f'{{"app": {DEEP_LIST}}}', "app"),
        (
            "lbai",
            "POST",
            "/ai-api/v1/miniProgram/saveUpdate",
            f'{{"command_session_id": "x", "mini_program_setting": {DEEP_OBJECT}}}',
            "mini_program_setting",
        ),
        ("admin", "POST", "/admin/v1/users", f'{{"account": "a@b.c", "roles": {DEEP_LIST}}}', "roles"),
    ],
    "out-of-range integer": [
        (
            "nextconsole",
            "POST",
            "/next_console/resources/search_by_resource_keyword",
            '{"resource_keyword": "x", "page_num": 549755813888}',
            "page_num",
        ),
        (
            "nextconsole",
            "POST",
            "/next_console/user_center/users/get",
            '{"user_id": 99999999999999999999999}',
            "user_id",
        ),
        ("dify", "GET", "/console/api/apps?page=549755813888", None, "page"),
        ("nexent", "GET", "/api/file/storage?limit=549755813888", None, "limit"),
        ("nexent", "POST", "/api/indices/kb?embedding_dim=-549755813888", None, "embedding_dim"),
        ("lbai", "GET", "/ai-api/v1/chat/msgList?session_id=s&page_num=549755813888", None, "page_num"),
        ("lbai", "GET", "/ai-api/v1/cloudSpace/list?pageNum=99999999999999999999999", None, "pageNum"),
        ("admin", "GET", "/admin/v1/users?page=549755813888", None, "page"),
    ],
    "odd path id": [
        ("nextconsole", "POST", "/next_console/resources/object/download", '{"resource_id": "\\u00b3"}', "resource_id"),
        ("dify", "GET", "/console/api/apps/%C2%B3", None, "app_id"),
        ("nexent", "GET", "/api/conversation/%C2%B3", None, "conversation_id"),
        ("nexent", "DELETE", "/api/conversation/%C2%B3", None, "conversation_id"),
        ("nexent", "GET", "/api/tasks/%C2%B3", None, ""),
        ("lbai", "GET", "/ai-api/v1/aiTrainingGround/retry?fileId=%C2%B3", None, ""),
        ("admin", "PATCH", "/admin/v1/users/%C2%B3", '{"status": "active"}', "user_id"),
    ],
    "NUL": [
        (
            "nextconsole",
            "POST",
            "/next_console/user_center/users/update",
            '{"user_nick_name": "a\\u0000b"}',
            "user_nick_name",
        ),
        ("dify", "POST", "/console/api/apps", '{"name": "a\\u0000b", "mode": "chat"}', "name"),
        ("dify", "GET", "/console/api/apps?name=a%00b", None, "name"),
        ("nexent", "POST", "/api/conversation/rename", '{"conversation_id": 1, "name": "a\\u0000"}', "name"),
        ("nexent", "GET", "/api/conversation/1%002", None, "conversation_id"),
        ("lbai", "GET", "/ai-api/v1/miniProgram/getSetting?command_session_id=%00", None, "command_session_id"),
        (
            "admin",
            "POST",
            "/admin/v1/users",
            '{"account": "a\\u0000@b.c", "password": "pass-word-1", "company": "C"}',
            "account",
        ),
    ],
}
PARAMS = [(kind, *case) for kind, cases in CASES.items() for case in cases]


@pytest.fixture(scope="module")
def caller(mesh: MeshClient) -> Iterator[tuple[str, str]]:
    token = new_tenant(mesh, "edge")
    yield token, create_app(mesh, token)


def message(dialect: str, reply: httpx.Response) -> str:
    """The error text, checking the dialect's envelope (the admin API answers `{"detail", "reason", "field"}`)."""
    if dialect == "admin":
        body = reply.json()
        assert set(body) >= {"detail", "reason"}, body
        return f"{body['detail']} ({body.get('field', '')})"
    return message_of(dialect, reply)


@pytest.mark.parametrize(("kind", "dialect", "method", "path", "body", "field"), PARAMS)
def test_each_bad_input_class_gets_a_4xx_naming_the_field(
    mesh: MeshClient,
    caller: tuple[str, str],
    kind: str,
    dialect: str,
    method: str,
    path: str,
    body: str | None,
    field: str,
) -> None:
    token, app_id = caller
    who = mesh.admin_token() if dialect == "admin" else token
    headers = {**bearer(who), "content-type": "application/json"}
    content = None if body is None else body.encode("utf-8", "surrogatepass")
    reply = mesh.http.request(method, path.replace(APP, app_id), content=content, headers=headers)
    expected = 400 if field else 404
    assert reply.status_code == expected, (kind, path, reply.status_code, reply.text)
    text = message(dialect, reply)
    assert field in text and "internal error" not in text, (kind, field, text)


def test_a_nul_or_overlong_folder_is_refused_and_nothing_is_stored(mesh: MeshClient, caller: tuple[str, str]) -> None:
    token, _ = caller
    for folder in ("a\x00b", "f" * 1000):
        reply = mesh.http.post(
            "/api/file/storage", files={"files": ("a.txt", b"hello")}, data={"folder": folder}, headers=bearer(token)
        )
        assert reply.status_code == 400 and "folder" in reply.json()["detail"], reply.text
    listed = mesh.http.get("/api/file/storage", headers=bearer(token))
    assert listed.status_code == 200 and listed.json()["total"] == 0, listed.text


def declared_oversize(base_url: str, path: str) -> tuple[int, dict[str, Any], float]:
    """POST with `Content-Length: 200 MB` and 1 KiB of it, no credentials; (status, JSON body, seconds to answer)."""
    url = httpx.URL(base_url)
    started = time.monotonic()
    with socket.create_connection((url.host, url.port or 80), timeout=1.0) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"{" + b" " * 1023)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        payload = answer.read(int(answer.getheader("content-length") or 0))
    return answer.status, httpx.Response(200, content=payload).json(), time.monotonic() - started


@pytest.mark.parametrize(
    ("dialect", "path"),
    [
        ("nextconsole", "/next_console/user_center/users/update"),
        ("dify", "/console/api/apps"),
        ("nexent", "/api/conversation/rename"),
        ("nexent", "/api/file/storage"),
        ("lbai", "/ai-api/v1/chat/completions"),
        ("admin", "/admin/v1/users"),
    ],
)
def test_a_declared_200_mb_body_gets_413_within_a_second_before_authentication(
    mesh: MeshClient, dialect: str, path: str
) -> None:
    status, body, seconds = declared_oversize(mesh.mesh.base_url, path)
    assert status == 413 and seconds < 1.0, (status, seconds, body)
    reply = httpx.Response(413, json=body)
    assert "body" in message(dialect, reply) and "limit" in message(dialect, reply), body


@pytest.mark.parametrize(
    ("dialect", "path"),
    [
        ("nextconsole", "/next_console/user_center/users/update"),
        ("dify", "/console/api/apps"),
        ("nexent", "/api/conversation/create"),
        ("lbai", "/ai-api/v1/miniProgram/saveUpdate"),
    ],
)
def test_an_oversize_body_without_content_length_is_cut_off_at_the_limit(
    mesh: MeshClient, caller: tuple[str, str], dialect: str, path: str
) -> None:
    token, _ = caller

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(2048):
            yield b"x" * 1024
        yield b'"}'

    method = "PUT" if path.endswith("/create") else "POST"
    headers = {**bearer(token), "content-type": "application/json"}
    reply = mesh.http.request(method, path, content=chunks(), headers=headers)
    assert "content-length" not in reply.request.headers and reply.status_code == 413, reply
    assert "1 MB limit" in message(dialect, reply), reply.text


def test_huge_dify_inputs_are_refused_and_the_conversation_list_keeps_working(
    mesh: MeshClient, caller: tuple[str, str], scripted: ScriptedUpstream
) -> None:
    token, app_id = caller
    url = f"/console/api/apps/{app_id}/chat-messages"
    huge = mesh.http.post(url, json={"query": "x", "inputs": {"blob": "x" * 10_000_000}}, headers=bearer(token))
    assert huge.status_code == 413 and huge.json()["code"] == "body_too_large", huge.text[:300]
    over_cap = mesh.http.post(url, json={"query": "x", "inputs": {"blob": "x" * 100_000}}, headers=bearer(token))
    assert over_cap.status_code == 400 and over_cap.json()["params"] == "inputs", over_cap.text[:300]
    many = {f"k{i}": i for i in range(101)}
    too_many = mesh.http.post(url, json={"query": "x", "inputs": many}, headers=bearer(token))
    assert too_many.status_code == 400 and too_many.json()["params"] == "inputs", too_many.text[:300]

    kept = send(mesh, token, app_id, "largest inputs", "fine", scripted, inputs={"blob": "y" * 60_000})
    listed = mesh.http.get(f"/console/api/apps/{app_id}/chat-conversations", headers=bearer(token))
    assert listed.status_code == 200, listed.text[:300]
    assert kept["conversation_id"] in [c["id"] for c in listed.json()["data"]], listed.text[:300]
    messages = mesh.http.get(
        f"/console/api/apps/{app_id}/chat-messages",
        params={"conversation_id": kept["conversation_id"]},
        headers=bearer(token),
    )
    assert messages.status_code == 200 and messages.json()["data"][0]["inputs"] == {"blob": "y" * 60_000}


def test_download_urls_and_app_base_url_ignore_the_host_header(mesh: MeshClient, caller: tuple[str, str]) -> None:
    token, app_id = caller
    evil = {**bearer(token), "Host": "evil.example.test", "X-Forwarded-Host": "evil.example.test"}
    stored = mesh.http.post("/api/file/storage", files={"files": ("h.txt", b"hello")}, headers=evil)
    assert stored.status_code == 200, stored.text
    url = stored.json()["results"][0]["url"]
    assert url.startswith(mesh.mesh.base_url) and "evil" not in url, url
    fetched = mesh.http.get(url.removeprefix(mesh.mesh.base_url))
    assert fetched.status_code == 200 and fetched.content == b"hello"
    presigned = mesh.http.get(f"/api/file/storage/{stored.json()['results'][0]['object_name']}", headers=evil)
    assert presigned.status_code == 200 and presigned.json()["url"].startswith(mesh.mesh.base_url), presigned.text
    app = mesh.http.get(f"/console/api/apps/{app_id}", headers=evil)
    assert app.status_code == 200 and app.json()["site"]["app_base_url"] == mesh.mesh.base_url, app.text


@pytest.fixture(scope="module")
def miswired(mesh: MeshClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int]]:
    """A gateway whose chat and files addresses reach a server that speaks something else (the mesh's Redis)."""
    running = mesh.mesh
    assert running.nats is not None and running.valkey is not None
    redis = httpx.URL(running.valkey.url.replace("redis://", "http://"))
    addrs = {f"{name}_addr": f"127.0.0.1:{port}" for name, port in running.service_ports.items()}
    addrs.update({f"{name}_addr": f"{redis.host}:{redis.port}" for name in ("chat", "files")})
    settings = GatewaySettings(
        nats_url=running.nats.url,
        redis_url=running.valkey.url,
        data_dir=tmp_path_factory.mktemp("miswired-gateway"),
        secret_key=(running.data_dir / "secret_key").read_text().strip(),
        grpc_deadline_s=3.0,
        **addrs,
    )
    with TestClient(create_gateway(settings), raise_server_exceptions=False) as client:
        yield client, int(redis.port or 0)


def test_a_service_that_answers_garbage_shows_no_internal_addresses(
    mesh: MeshClient, miswired: tuple[TestClient, int]
) -> None:
    client, port = miswired
    token = new_tenant(mesh, "miswired")
    attempts = [
        ("nextconsole", "POST", "/next_console/resources/object/download", {"resource_id": 1}),
        ("dify", "GET", f"/console/api/apps/{uuid.uuid4()}/chat-conversations", None),
        ("nexent", "GET", "/api/conversation/list", None),
        ("nexent", "GET", "/api/file/storage", None),
        ("lbai", "GET", "/ai-api/v1/cloudSpace/list", None),
    ]
    for dialect, method, path, body in attempts:
        reply = client.request(method, path, json=body, headers=bearer(token))
        assert reply.status_code >= 500, (path, reply.status_code, reply.text)
        text = message(dialect, reply).lower()
        for leak in ("127.0.0.1", str(port), "ipv4", "grpc", "socket", "connect", "http2", "frame"):
            assert leak not in text, (path, leak, reply.text)
        assert reply.status_code == 503 or f"request id {reply.headers['x-request-id']}" in text, reply.text

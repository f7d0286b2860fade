"""The edge layer in-process: strict JSON, parameter ranges, body limits, generic 5xx text, in dialect envelopes.

Every refusal here happens before routing and authentication, so the app runs without its lifespan (no services).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from gateway.config import GatewaySettings
from gateway.errors import ErrorMapper, public_error
from gateway.fields import FREE_FORM_MAX_BYTES, FREE_FORM_MAX_KEYS, FreeForm
from gateway.limits import RouteTable
from gateway.main import create_app
from gateway.strict_json import check_body
from services.kit.context import request_id_var
from services.kit.errors import Internal, InvalidArgument, MeshError, ResourceExhausted, from_rpc_error

SURROGATE = '{"name": "\\ud800", "mode": "chat"}'


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = GatewaySettings(gateway_max_json_body_kb=64, gateway_max_body_mb=1)
    yield TestClient(create_app(settings), raise_server_exceptions=False)


def message(reply: Any) -> str:
    """The error text of any dialect's envelope."""
    body = reply.json()
    return str(body.get("error_message") or body.get("message") or body.get("detail") or "")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b'{"a": "\\ud800"}', "a", "surrogate"),
        (b'{"a": {"b\\udfff": 1}}', "a.b\\udfff", "surrogate"),
        (b'{"a": [1, 1e999]}', "a[1]", "finite"),
        (b'{"a": NaN}', "a", "finite"),
        (b'{"a": -Infinity}', "a", "finite"),
        (b'{"a": 9223372036854775808}', "a", "out of range"),
        (b'{"a": -99999999999999999999999999}', "a", "out of range"),
        (b'{"a": "x\\u0000y"}', "a", "NUL"),
        (b'{"cfg": ' + b"[" * 40 + b"]" * 40 + b"}", "cfg", "nested deeper than 32"),
        (b"[" * 200_000, "body", "nested deeper than 32"),
    ],
)
def test_strict_json_names_the_field(body: bytes, field: str, words: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_body(body, max_depth=32)
    assert refused.value.field == field and words in refused.value.message, refused.value


def test_strict_json_passes_ordinary_json_and_leaves_syntax_errors_to_the_route() -> None:
    check_body(b'{"a": [1, 2.5, "\xc3\xa9", {"b": null, "c": true}], "n": -9223372036854775808}', max_depth=32)
    check_body(b'{"a": ' + b"[" * 31 + b"]" * 31 + b"}", max_depth=32)
    check_body(b"{not json", max_depth=32)


def test_route_table_reads_body_classes_and_integer_parameters() -> None:
    table = RouteTable(create_app(GatewaySettings()).openapi())
    rule, _ = table.match("GET", "/ai-api/v1/chat/msgList")
    assert rule.int_params == {"page_num", "page_size"} and rule.body_class == "json"
    assert table.match("POST", "/api/file/storage")[0].body_class == "upload"
    assert table.match("POST", "/api/indices/kb/documents")[0].body_class == "documents"
    assert table.match("GET", "/api/file/storage/a/b.txt")[1] == {"object_name": "a/b.txt"}
    assert table.match("GET", "/api/tasks/indices/kb/tasks")[1] == {"index_name": "kb"}
    assert table.match("GET", "/no/such/route")[0].body_class == "json"


@pytest.mark.parametrize(
    ("path", "check"),
    [
        ("/console/api/apps", lambda b: b["status"] == 400 and b["code"] == "invalid_param" and b["params"] == "name"),
        (
            "/next_console/user_center/users/update",
            lambda b: b["error_code"] == 1002 and b["result"]["field"] == "name",
        ),
        ("/api/conversation/rename", lambda b: set(b) == {"detail"} and b["detail"].startswith("name")),
        ("/ai-api/v1/miniProgram/saveUpdate", lambda b: (b["errorCode"], b["success"]) == (400, False)),
        ("/admin/v1/users", lambda b: b["field"] == "name" and b["reason"] == "invalid_param"),
    ],
)
def test_a_surrogate_is_a_400_in_the_dialect_envelope_before_authentication(
    client: TestClient, path: str, check: Any
) -> None:
    reply = client.post(path, content=SURROGATE, headers={"content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert check(reply.json()), reply.text
    assert "surrogate" in message(reply) and reply.headers["x-request-id"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/ai-api/v1/chat/msgList?session_id=s&page_num=549755813888", "page_num"),
        ("/ai-api/v1/cloudSpace/list?pageNum=-99999999999999999999", "pageNum"),
        ("/api/indices/kb?embedding_dim=4294967296", "embedding_dim"),
        ("/api/conversation/list?x=a%00b", "x"),
        ("/api/conversation/a%00b", "conversation_id"),
    ],
)
def test_parameters_out_of_range_or_with_nul_are_refused(client: TestClient, path: str, field: str) -> None:
    method = "POST" if "embedding_dim" in path else "GET"
    reply = client.request(method, path)
    assert reply.status_code == 400, reply.text
    assert field in message(reply), reply.text


def test_a_declared_oversize_body_is_refused_unread_and_a_streamed_one_as_it_arrives(client: TestClient) -> None:
    declared = client.post("/console/api/apps", content=b"{}", headers={"content-length": str(200 * 1024 * 1024)})
    assert declared.status_code == 413 and declared.json()["code"] == "body_too_large", declared.text

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    streamed = client.post("/api/conversation/rename", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "64 KB" in streamed.json()["detail"], streamed.text


def test_internal_failures_answer_a_generic_text_with_the_request_id() -> None:
    token = request_id_var.set("req-12345678")
    try:
        leaked = public_error(Internal("connect to 10.1.2.3:50051 failed: grpc_status:13"))
        assert leaked.message == "internal error (request id req-12345678)" and leaked.reason == "internal_error"
        unknown = public_error(MeshError("Unexpected <class 'ValueError'>: at /srv/app.py"))
        assert "request id req-12345678" in unknown.message and "/srv" not in unknown.message
        too_big = public_error(ResourceExhausted("Received message larger than max (40000000 vs. 33554432)"))
        assert too_big.reason == "message_too_large" and "33554432" not in too_big.message
        kept = InvalidArgument("name is required", field="name")
        assert public_error(kept) is kept
    finally:
        request_id_var.reset(token)


def test_a_transport_failure_decoded_from_grpc_renders_without_its_text() -> None:
    class Failed(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.INTERNAL

        def details(self) -> str:
            return "failed to connect to all addresses; last error: 10.0.0.7:50051"

        def trailing_metadata(self) -> tuple[()]:
            return ()

    mapper = ErrorMapper()
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}
    reply = mapper.render(Request(scope), from_rpc_error(Failed()))
    assert reply.status_code == 500 and b"10.0.0.7" not in reply.body and b"request id" in reply.body


def test_free_form_objects_are_capped_in_size_and_keys() -> None:
    adapter = TypeAdapter(FreeForm)
    assert adapter.validate_python({"k": "x" * 1000}) == {"k": "x" * 1000}
    for value, words in (
        ({"k": "x" * (FREE_FORM_MAX_BYTES + 1)}, "KiB"),
        ({str(i): i for i in range(FREE_FORM_MAX_KEYS + 1)}, "keys"),
    ):
        with pytest.raises(ValidationError) as refused:
            adapter.validate_python(value)
        assert words in str(refused.value)

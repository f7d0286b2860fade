"""The OpenAPI document describes every admin route's real 2xx response; the probes stay out of it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.config import GatewaySettings
from gateway.dialects.admin import routes
from gateway.main import create_app
from tests.unit.gateway.openapi_walk import fields, response_schema, walk

LIMITS = ["max_file_bytes", "max_image_bytes", "max_voice_bytes", "max_images_per_message", "max_files_per_upload"]
LIMITS += ["max_presign_seconds", "max_body_bytes", "file_formats", "image_formats", "voice_formats"]
# (method, path) -> the top-level fields of the 2xx JSON body, in the order the route emits them.
EXPECTED: dict[tuple[str, str], list[str]] = {
    ("POST", "/admin/v1/users"): ["user_id", "company_id", "account", "company", "nick_name", "roles"],
    ("GET", "/admin/v1/users"): ["data", "page", "limit", "total", "has_more"],
    ("PATCH", "/admin/v1/users/{user_id}"): ["user_id", "status", "tokens_not_before"],
    ("POST", "/admin/v1/api-keys"): ["key_id", "key", "kind", "user_id", "company_id", "created_at"],
    ("DELETE", "/admin/v1/api-keys/{key_id}"): ["result", "key_id"],
    ("GET", "/admin/v1/limits"): LIMITS,
    ("GET", "/admin/v1/status"): ["status", "services", "dependencies"],
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-admin"))
    return create_app(settings).openapi()


def test_every_admin_route_is_checked_here() -> None:
    found = {
        (method, route.path)
        for route in routes.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert found == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_responses_name_their_fields_in_order(document: dict[str, Any], method: str, path: str) -> None:
    assert fields(document, response_schema(document, method, path)) == EXPECTED[(method, path)]


def test_the_user_page_describes_its_users_and_status_its_maps(document: dict[str, Any]) -> None:
    users = response_schema(document, "GET", "/admin/v1/users")
    assert fields(document, users, "data")[:2] == ["user_id", "user_account"]
    status = response_schema(document, "GET", "/admin/v1/status")
    for name in ("services", "dependencies"):
        assert walk(document, status, name)["additionalProperties"] == {"type": "string"}


def test_probes_are_not_in_the_document(document: dict[str, Any]) -> None:
    assert not {"/healthz", "/readyz", "/metrics"} & set(document["paths"])

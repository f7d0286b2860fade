"""Schemathesis over the gateway's whole OpenAPI document, against the real launcher, as two users of two companies.

No answer may be a 5xx, and none may take longer than its route's timeout. `make test` runs a few generated cases
per operation (MESH_FUZZ_EXAMPLES, 5 by default, plus schemathesis' coverage cases); `make fuzz` runs many more.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from gateway.config import GatewaySettings
from tests.e2e.chat.helpers import new_tenant
from tests.e2e.conftest import MeshClient

EXAMPLES = int(os.environ.get("MESH_FUZZ_EXAMPLES", "5"))
# Fuzzed logins would trip the per-address login limit that the rest of the e2e session shares with this test.
SKIPPED = ("POST /next_console/login_by_password",)
UNARY_TIMEOUT_S = GatewaySettings().grpc_deadline_s
LLM_TIMEOUT_S = 130.0
# Routes that wait on longer than one unary call (the model, a remote image, an upload), and their limit.
SLOW_ROUTES = {
    "POST /next_console/app_center/app_run/v2/chat/completions": LLM_TIMEOUT_S,
    "POST /console/api/apps/{app_id}/chat-messages": LLM_TIMEOUT_S,
    "POST /console/api/apps/{app_id}/completion-messages": LLM_TIMEOUT_S,
    "GET /console/api/apps/{app_id}/chat-messages/{message_id}/suggested-questions": LLM_TIMEOUT_S,
    "POST /api/agent/run": LLM_TIMEOUT_S,
    "POST /api/conversation/generate_title": LLM_TIMEOUT_S,
    "POST /ai-api/v1/chat/completions": LLM_TIMEOUT_S,
    "POST /ai-api/v1/miniProgram/chat": LLM_TIMEOUT_S,
    "POST /ai-api/v1/miniProgram/create": LLM_TIMEOUT_S,
    "POST /api/model/verify_config": 70.0,
    "GET /api/model/healthcheck": 70.0,
    "GET /api/me/healthcheck": 70.0,
    "GET /api/me/model/healthcheck": 70.0,
    "GET /api/me/model/list": 70.0,
    "GET /api/proxy/image": 35.0,
    "POST /api/file/preprocess": LLM_TIMEOUT_S,
    "POST /api/indices/{index_name}/documents": 60.0,
}
MARGIN_S = 5.0
turns = itertools.count()


@pytest.fixture(scope="module")
def fuzz_tenants(mesh: MeshClient) -> list[str]:
    """Login tokens of two users, each in a company of their own."""
    return [new_tenant(mesh, "fuzz-a"), new_tenant(mesh, "fuzz-b")]


@pytest.fixture(scope="module")
def gateway_schema(mesh: MeshClient) -> Any:
    config = SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": EXAMPLES, "database": "none", "with-security-parameters": False},
            "phases": {"stateful": {"enabled": False}},
            "operations": [{"include-name": name, "enabled": False} for name in SKIPPED],
        }
    )
    return schemathesis.openapi.from_url(f"{mesh.mesh.base_url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("gateway_schema")


@pytest.mark.e2e
@pytest.mark.timeout(max(300, EXAMPLES * 150))
@schema.parametrize()
def test_no_server_errors_and_no_answer_slower_than_its_route(
    case: Any, mesh: MeshClient, fuzz_tenants: list[str]
) -> None:
    if f"{case.method} {case.path}" in SKIPPED:
        return
    token = fuzz_tenants[next(turns) % 2]
    limit = SLOW_ROUTES.get(f"{case.method} {case.path}", UNARY_TIMEOUT_S) + MARGIN_S
    started = time.monotonic()
    response = case.call(base_url=mesh.mesh.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=limit)
    took = time.monotonic() - started
    assert response.status_code < 500, (case.as_curl_command(), response.status_code, response.text[:500])
    assert took < limit, (case.as_curl_command(), took)

"""Backpressure: past MESH_GATEWAY_MAX_STREAMS a new stream gets 429 with Retry-After at once; the slot comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import UPSTREAM_KEY, UPSTREAM_MODEL, MeshClient, start_mesh

pytestmark = pytest.mark.e2e
RUN = "/next_console/app_center/app_run/v2/chat/completions"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MeshClient, ScriptedUpstream]]:
    """A mesh whose gateway relays one stream at a time, with an upstream of its own."""
    with ScriptedUpstream(models=(UPSTREAM_MODEL,), api_key=UPSTREAM_KEY) as upstream:
        running = start_mesh(Path(tmp_path_factory.mktemp("limited")), upstream, {"MESH_GATEWAY_MAX_STREAMS": "1"})
        try:
            with httpx.Client(base_url=running.base_url, timeout=60.0) as http:
                yield MeshClient(mesh=running, http=http), upstream
        finally:
            running.stop()


def test_past_the_stream_limit_a_new_stream_is_refused_at_once_and_served_again_after(
    limited: tuple[MeshClient, ScriptedUpstream],
) -> None:
    mesh, upstream = limited
    token = new_tenant(mesh, "limit")
    body = {"app_code": create_app(mesh, token), "messages": [{"role": "user", "content": "hi"}], "stream": True}
    upstream.push(Script(chunks=[f"p{i} " for i in range(20)], delay_s=0.2))  # open for about 4 s
    with mesh.http.stream("POST", RUN, json=body, headers=bearer(token)) as first:
        assert first.status_code == 200  # headers arrive with the first token: the one slot is taken
        refused = mesh.http.post(RUN, json=body, headers=bearer(token))
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error_code"] == 429
        assert len(upstream.chat_requests()) == 1, "a refused stream never reaches the model"
        answer = "".join(line for line in first.iter_lines() if line.startswith("data:"))
    assert all(f"p{i} " in answer for i in range(20)), "the stream in progress was not slowed or cut"
    again = mesh.http.post(RUN, json=body, headers=bearer(token))  # the slot came back when that stream ended
    assert again.status_code == 200, again.text
    assert "Hello" in again.text

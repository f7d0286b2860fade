"""Helpers for chat e2e tests: tenants with tokens, apps, and an SSE reader."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson

from tests.e2e.conftest import MeshClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_tenant(mesh: MeshClient, label: str) -> str:
    """A fresh user in a fresh company; returns its login token."""
    suffix = uuid.uuid4().hex[:8]
    account = f"{label}-{suffix}@chat.test"
    mesh.create_user(account, "chat-pass-123", f"{label} Co {suffix}")
    return mesh.login(account, "chat-pass-123")


def create_app(mesh: MeshClient, token: str, *, mode: str = "chat", pre_prompt: str = "", **config: Any) -> str:
    """A Dify app with a saved model config; returns its id."""
    created = mesh.http.post(
        "/console/api/apps",
        json={"name": f"app-{uuid.uuid4().hex[:6]}", "mode": mode, "icon": "🤖", "icon_background": "#FFEAD5"},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.text
    app_id = str(created.json()["id"])
    model_config = {
        "pre_prompt": pre_prompt,
        "model": {
            "provider": "openai_api_compatible",
            "name": "mesh-e2e-model",
            "mode": "chat",
            "completion_params": {},
        },
        "user_input_form": [],
        **config,
    }
    saved = mesh.http.post(f"/console/api/apps/{app_id}/model-config", json=model_config, headers=bearer(token))
    assert saved.status_code == 200, saved.text
    return app_id


def sse_events(response: httpx.Response) -> list[dict[str, Any] | str]:
    """Parsed `data:` frames; `event: ping` lines come back as the string 'ping'."""
    events: list[dict[str, Any] | str] = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            data = line[6:]
            events.append(data if data == "[DONE]" else orjson.loads(data))
        elif line.startswith("event: ping"):
            events.append("ping")
    return events

"""Reads an app's generation config from the apps service, cached until an apps event invalidates it."""

from __future__ import annotations

import time
from typing import Any

import orjson
import structlog
from google.protobuf import json_format
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from nats.aio.client import Client

from services.kit import grpc_client
from services.kit import nats as mesh_nats
from services.kit.context import Principal

log = structlog.get_logger(__name__)


class AppConfigReader:
    """One gRPC call per app per cache period; config_changed and deleted events evict at once."""

    def __init__(self, *, stub: apps_pb2_grpc.AppsServiceStub, ttl_s: float, timeout_s: float) -> None:
        self.stub = stub
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._cache: dict[tuple[str, int, int], tuple[float, apps_pb2.AppConfig]] = {}

    async def attach(self, nc: Client) -> None:
        """Evict cached configs when apps announces a change."""
        for verb in ("config_changed", "deleted", "updated"):
            await mesh_nats.subscribe_traced(
                nc, f"mesh.events.apps.{verb}", self._on_event, consumer="chat-app-configs"
            )

    async def _on_event(self, msg: Any) -> None:
        try:
            app_id = str(orjson.loads(msg.data).get("app_id", ""))
        except (orjson.JSONDecodeError, AttributeError):
            return
        for key in [k for k in self._cache if k[0] == app_id]:
            self._cache.pop(key, None)

    def clear(self) -> int:
        """Forget every cached config; returns how many there were."""
        count = len(self._cache)
        self._cache.clear()
        return count

    async def get(self, *, principal: Principal, app_id: str) -> apps_pb2.AppConfig:
        """The app's config as the caller may see it (NOT_FOUND for another tenant's app)."""
        key = (app_id, principal.user_id, principal.company_id)
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        config = await grpc_client.unary(
            self.stub.GetAppConfig,
            apps_pb2.GetAppConfigRequest(app_id=app_id),
            timeout_s=self.timeout_s,
            principal=principal,
        )
        if len(self._cache) > 5000:
            self._cache.clear()
        self._cache[key] = (now + self.ttl_s, config)
        return config


def model_config_dict(config: apps_pb2.AppConfig) -> dict[str, Any]:
    """The Dify-shaped model config as a plain dict."""
    return json_format.MessageToDict(config.model_config, preserving_proto_field_name=True)

"""ModelRegistryService (Nexent /api/model/*, /api/me/*, Embed); proto <-> domain only."""

from __future__ import annotations

from typing import Any

from google.protobuf import timestamp_pb2
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.common.v1 import common_pb2

from services.chat.config import ChatSettings
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.embed import embed
from services.chat.models.entries import (
    EntryChanges,
    check_endpoint,
    create_entry,
    delete_entry,
    record_status,
    require_model_admin,
    update_entry,
    validate_changes,
    validate_model_name,
)
from services.chat.models.probe import ProbeFailed, ProbeResult, ProbeTarget, list_served, probe, probe_endpoint
from services.chat.models.registry import NO_PROVIDER_MESSAGE, ModelRegistry, upstream_model_id
from services.chat.models.speech import require_voice_service, resolve_speech
from services.chat.records import ModelRecord
from services.kit.clock import as_utc
from services.kit.context import require_principal as caller
from services.kit.crypto import mask_secret
from services.kit.errors import FailedPrecondition, InvalidArgument, MeshError, Unavailable
from services.kit.proto_enums import wire_names

TYPES = wire_names(chat_pb2.ModelType, prefix="MODEL_TYPE_")
TYPE_NAMES = {value: key for key, value in TYPES.items()}
STATUSES = wire_names(chat_pb2.ConnectStatus, prefix="CONNECT_STATUS_")
STATUS_NAMES = {value: key for key, value in STATUSES.items()}
PLATFORM_KEY_MASK = "********"


def type_name(value: int, *, default: str | None) -> str | None:
    """The domain name of a ModelType; UNSPECIFIED means the default, an unknown number is bad input."""
    if value == chat_pb2.MODEL_TYPE_UNSPECIFIED:
        return default
    if value not in TYPE_NAMES:
        raise InvalidArgument(f"unknown model_type {value}", field="model_type", reason="invalid_model_type")
    return TYPE_NAMES[value]


def status_name(value: int) -> str | None:
    """The domain name of a ConnectStatus; UNSPECIFIED leaves it unset."""
    if value == chat_pb2.CONNECT_STATUS_UNSPECIFIED:
        return None
    if value not in STATUS_NAMES:
        raise InvalidArgument(f"unknown connect_status {value}", field="connect_status")
    return STATUS_NAMES[value]


def _timestamp(value: Any) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(as_utc(value))
    return stamp


def health_message(result: ProbeResult) -> chat_pb2.HealthResult:
    return chat_pb2.HealthResult(
        connected=result.connected,
        desc=result.message,
        connect_status=STATUSES[result.connect_status],
        latency_ms=result.latency_ms,
    )


class ModelRegistryServicer(chat_pb2_grpc.ModelRegistryServiceServicer):
    """Per-company model entries, their live checks, the platform upstream's own models, and embeddings."""

    def __init__(self, *, registry: ModelRegistry, upstream: UpstreamClients, settings: ChatSettings) -> None:
        self.registry = registry
        self.upstream = upstream
        self.settings = settings

    def _entry(self, record: ModelRecord) -> chat_pb2.ModelEntry:
        """An entry as callers see it: the api key masked, the platform's hidden entirely."""
        key = self.registry.secret(record)
        return chat_pb2.ModelEntry(
            model_id=record.id,
            model_name=record.model_name,
            model_repo=record.model_repo,
            display_name=record.display_name,
            model_type=TYPES.get(record.model_type, chat_pb2.MODEL_TYPE_UNSPECIFIED),
            provider=record.provider,
            base_url=record.base_url,
            api_key=(PLATFORM_KEY_MASK if key else "") if record.is_platform else mask_secret(key),
            max_tokens=record.max_tokens,
            embedding_dim=record.embedding_dim,
            connect_status=STATUSES.get(record.connect_status, chat_pb2.CONNECT_STATUS_NOT_DETECTED),
            is_default=record.is_default,
            created_at=_timestamp(record.created_at),
            updated_at=_timestamp(record.updated_at),
            is_platform=record.is_platform,
        )

    def _timeout(self, requested: int, context: Any) -> float:
        """The check's timeout: what the caller asked, at most chat_verify_timeout_s, within the RPC deadline."""
        limit = self.settings.chat_verify_timeout_s
        timeout = min(float(requested), limit) if requested > 0 else limit
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            timeout = min(timeout, max(remaining - 0.5, 0.2))
        return timeout

    async def CreateModel(self, request: chat_pb2.CreateModelRequest, context: Any) -> chat_pb2.ModelEntry:
        model = request.model
        changes = EntryChanges(
            display_name=model.display_name or None,
            model_repo=model.model_repo or None,
            model_type=type_name(model.model_type, default=None),
            base_url=model.base_url or None,
            api_key=model.api_key or None,
            max_tokens=model.max_tokens,
            embedding_dim=model.embedding_dim,
            connect_status=status_name(model.connect_status),
            is_default=model.is_default,
        )
        record = await create_entry(
            registry=self.registry, principal=caller(), model_name=model.model_name, changes=changes
        )
        self.registry.invalidate()
        return self._entry(record)

    async def UpdateModel(self, request: chat_pb2.UpdateModelRequest, context: Any) -> chat_pb2.ModelEntry:
        def given(name: str) -> Any:
            return getattr(request, name) if request.HasField(name) else None

        changes = EntryChanges(
            display_name=given("display_name"),
            model_repo=given("model_repo"),
            model_type=type_name(request.model_type, default=None) if request.HasField("model_type") else None,
            base_url=given("base_url"),
            api_key=given("api_key"),
            max_tokens=given("max_tokens"),
            embedding_dim=given("embedding_dim"),
            connect_status=status_name(request.connect_status) if request.HasField("connect_status") else None,
            is_default=given("is_default"),
        )
        record = await update_entry(
            registry=self.registry, principal=caller(), model_name=request.model_name, changes=changes
        )
        self.registry.invalidate()
        return self._entry(record)

    async def DeleteModel(self, request: chat_pb2.DeleteModelRequest, context: Any) -> common_pb2.Empty:
        await delete_entry(registry=self.registry, principal=caller(), model_name=request.model_name)
        self.registry.invalidate()
        return common_pb2.Empty()

    async def ListModels(self, request: chat_pb2.ListModelsRequest, context: Any) -> chat_pb2.ListModelsResponse:
        model_type = type_name(request.model_type, default="") or ""
        records = await self.registry.list_entries(principal=caller(), model_type=model_type)
        return chat_pb2.ListModelsResponse(models=[self._entry(r) for r in records])

    async def GetModel(self, request: chat_pb2.GetModelRequest, context: Any) -> chat_pb2.ModelEntry:
        name = validate_model_name(request.model_name)
        return self._entry(await self.registry.find(principal=caller(), model_name=name))

    async def CheckModelHealth(self, request: chat_pb2.CheckModelHealthRequest, context: Any) -> chat_pb2.HealthResult:
        name = validate_model_name(request.model_name)
        record = await self.registry.find(principal=caller(), model_name=name)
        timeout = self._timeout(request.timeout_seconds, context)
        try:
            base_url, api_key = self.registry.endpoint(record)
        except MeshError as error:
            result = ProbeResult(False, error.message, 0)
        else:
            target = ProbeTarget(upstream_model_id(record), record.model_type, base_url, api_key, record.embedding_dim)
            result = await probe(target=target, timeout_s=timeout, policy=self.settings.model_endpoint_policy())
        await record_status(registry=self.registry, record=record, connect_status=result.connect_status)
        return health_message(result)

    async def VerifyModelConfig(
        self, request: chat_pb2.VerifyModelConfigRequest, context: Any
    ) -> chat_pb2.VerifyModelConfigResponse:
        require_model_admin(caller())
        name = validate_model_name(request.model_name)
        clean = validate_changes(
            EntryChanges(
                model_type=type_name(request.model_type, default="llm"),
                base_url=request.base_url,
                api_key=request.api_key,
                max_tokens=request.max_tokens,
                embedding_dim=request.embedding_dim,
            )
        )
        base_url, api_key = clean.base_url or "", clean.api_key or ""
        await check_endpoint(registry=self.registry, base_url=base_url)
        if not base_url:
            base_url = self.settings.openai_base_url.strip().rstrip("/")
            api_key = api_key or self.settings.openai_api_key
            if not base_url:
                raise InvalidArgument(
                    "base_url is required: no default provider (OPENAI_BASE_URL) is configured", field="base_url"
                )
        target = ProbeTarget(name, clean.model_type or "llm", base_url, api_key, clean.embedding_dim or 0)
        timeout = self._timeout(request.timeout_seconds, context)
        result = await probe(target=target, timeout_s=timeout, policy=self.settings.model_endpoint_policy())
        return chat_pb2.VerifyModelConfigResponse(
            connectivity=result.connected,
            message=result.message,
            connect_status=STATUSES[result.connect_status],
            latency_ms=result.latency_ms,
        )

    def _default_upstream(self) -> tuple[str, str]:
        return self.settings.openai_base_url.strip().rstrip("/"), self.settings.openai_api_key

    async def ListUpstreamModels(
        self, request: chat_pb2.ListUpstreamModelsRequest, context: Any
    ) -> chat_pb2.ListUpstreamModelsResponse:
        caller()
        base_url, api_key = self._default_upstream()
        if not base_url:
            raise FailedPrecondition(NO_PROVIDER_MESSAGE, reason="model_not_configured")
        try:
            served = await list_served(
                base_url=base_url,
                api_key=api_key,
                timeout_s=self._timeout(request.timeout_seconds, context),
                policy=self.settings.model_endpoint_policy(),
            )
        except ProbeFailed as error:
            raise Unavailable(
                f"the default upstream cannot list its models: {error}", reason="upstream_unavailable"
            ) from None
        wanted = request.type.strip().lower()
        return chat_pb2.ListUpstreamModelsResponse(
            models=[
                chat_pb2.UpstreamModel(id=m.id, name=m.id, type=m.type, description=m.description)
                for m in served
                if not wanted or m.type == wanted
            ]
        )

    async def CheckUpstreamHealth(
        self, request: chat_pb2.CheckUpstreamHealthRequest, context: Any
    ) -> chat_pb2.HealthResult:
        caller()
        base_url, api_key = self._default_upstream()
        if not base_url:
            return health_message(ProbeResult(False, NO_PROVIDER_MESSAGE, 0))
        timeout = self._timeout(request.timeout_seconds, context)
        policy = self.settings.model_endpoint_policy()
        name = request.model_name.strip()
        if not name:
            return health_message(
                await probe_endpoint(base_url=base_url, api_key=api_key, timeout_s=timeout, policy=policy)
            )
        target = ProbeTarget(name, "llm", base_url, api_key)
        return health_message(await probe(target=target, timeout_s=timeout, policy=policy, require_listed=True))

    async def Embed(self, request: chat_pb2.EmbedRequest, context: Any) -> chat_pb2.EmbedResponse:
        result = await embed(
            registry=self.registry,
            upstream=self.upstream,
            principal=caller(),
            model_name=request.model_name,
            inputs=list(request.inputs),
        )
        return chat_pb2.EmbedResponse(
            embeddings=[chat_pb2.Embedding(values=vector) for vector in result.vectors],
            model_name=result.model_name,
            dim=result.dim,
            prompt_tokens=result.prompt_tokens,
        )

    async def ResolveSpeechModel(
        self, request: chat_pb2.ResolveSpeechModelRequest, context: Any
    ) -> chat_pb2.SpeechModelEndpoint:
        require_voice_service()
        found = await resolve_speech(
            registry=self.registry,
            settings=self.settings,
            principal=caller(),
            model_type=type_name(request.model_type, default="") or "",
        )
        if found is None:
            return chat_pb2.SpeechModelEndpoint(found=False)
        model_name, base_url, api_key, entry_name, operator_origin = found
        return chat_pb2.SpeechModelEndpoint(
            found=True,
            model_name=model_name,
            base_url=base_url,
            api_key=api_key,
            entry_name=entry_name,
            operator_origin=operator_origin,
        )

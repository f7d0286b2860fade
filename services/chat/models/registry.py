"""The model registry core: the platform default provider from env, lookups per company, and upstream resolution."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.config import ChatSettings
from services.chat.records import ModelRecord
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.crypto import SecretBox
from services.kit.errors import FailedPrecondition, NotFound

log = structlog.get_logger(__name__)
PLATFORM_COMPANY = 0
NO_PROVIDER_MESSAGE = "no model provider is configured: set OPENAI_BASE_URL and MESH_DEFAULT_MODEL, or register a model"
MODEL_TYPES = ("llm", "embedding", "rerank", "stt", "tts", "vlm")
CONNECT_STATUSES = ("not_detected", "detecting", "available", "unavailable")


@dataclass(frozen=True)
class ResolvedModel:
    """Everything needed to call one upstream model."""

    model_name: str
    base_url: str
    api_key: str
    max_tokens: int
    entry_id: str
    embedding_dim: int = 0
    entry_name: str = ""  # the registry's model_name (model_name above is the upstream's id)


def upstream_model_id(record: ModelRecord) -> str:
    """The id the upstream knows the model by: `repo/name` when a repo is set (Nexent's convention)."""
    return f"{record.model_repo}/{record.model_name}" if record.model_repo else record.model_name


def not_found(model_name: str) -> NotFound:
    """The one answer for a missing model, whether absent or another company's."""
    return NotFound(f"model {model_name!r} not found", reason="model_not_found", field="model_name")


LLM_CACHE_S = 5.0


class ModelRegistry:
    """Reads model entries; tenants see their company's entries plus the platform default."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], settings: ChatSettings, box: SecretBox) -> None:
        self.sessions = sessions
        self.settings = settings
        self.box = box
        self._llm_cache: dict[int, tuple[float, list[ModelRecord]]] = {}

    async def sync_platform_default(self) -> None:
        """Mirror OPENAI_BASE_URL / OPENAI_API_KEY / MESH_DEFAULT_MODEL into the platform's default entry."""
        self.invalidate()
        base_url = self.settings.openai_base_url.strip().rstrip("/")
        model = self.settings.default_model.strip()
        api_key = self.settings.openai_api_key or "none"
        try:
            async with self.sessions() as session, session.begin():
                query = sa.select(ModelRecord).where(ModelRecord.is_platform.is_(True)).order_by(ModelRecord.id)
                existing = list((await session.execute(query)).scalars())
                keep = existing[0] if existing and base_url and model else None
                for stale in existing:
                    if stale is not keep:
                        await session.delete(stale)
                if not base_url or not model:
                    log.warning("no_default_model_provider")
                    return
                now = utcnow()
                if keep is None:
                    session.add(
                        ModelRecord(
                            id=uuid.uuid4().hex,
                            company_id=PLATFORM_COMPANY,
                            user_id=0,
                            model_name=model,
                            display_name=model,
                            model_type="llm",
                            base_url=base_url,
                            api_key_encrypted=self.box.encrypt(api_key),
                            is_default=True,
                            is_platform=True,
                            connect_status="not_detected",
                            created_at=now,
                            updated_at=now,
                        )
                    )
                elif (keep.base_url, keep.model_name, self.secret(keep)) != (base_url, model, api_key):
                    # Same id across restarts; a changed provider has not been checked yet.
                    keep.base_url, keep.model_name, keep.display_name = base_url, model, model
                    keep.api_key_encrypted = self.box.encrypt(api_key)
                    keep.connect_status, keep.updated_at = "not_detected", now
        except IntegrityError:
            log.info("platform_default_synced_by_another_replica")

    def secret(self, record: ModelRecord) -> str:
        """The plain api key of an entry ('' when none or unreadable)."""
        if not record.api_key_encrypted:
            return ""
        try:
            return self.box.decrypt(record.api_key_encrypted)
        except FailedPrecondition:
            return ""

    async def platform_default(self) -> ModelRecord | None:
        """The env-configured default provider, if any."""
        async with self.sessions() as session:
            query = sa.select(ModelRecord).where(ModelRecord.is_platform.is_(True))
            return (await session.execute(query)).scalars().first()

    def endpoint(self, record: ModelRecord) -> tuple[str, str]:
        """(base_url, api_key) of an entry; an entry without base_url is served by the default upstream."""
        if record.base_url:
            return record.base_url, self.box.decrypt(record.api_key_encrypted) if record.api_key_encrypted else ""
        base_url = self.settings.openai_base_url.strip().rstrip("/")
        if not base_url:
            raise FailedPrecondition(
                f"model {record.model_name!r} has no base_url and no default provider is configured",
                reason="model_not_configured",
            )
        return base_url, self.secret(record) or self.settings.openai_api_key

    def _resolved(self, record: ModelRecord, model_name: str | None = None) -> ResolvedModel:
        base_url, api_key = self.endpoint(record)
        return ResolvedModel(
            model_name=model_name or upstream_model_id(record),
            base_url=base_url,
            api_key=api_key or "none",
            max_tokens=record.max_tokens,
            entry_id=record.id,
            embedding_dim=record.embedding_dim,
            entry_name=record.model_name,
        )

    async def list_entries(self, *, principal: Principal, model_type: str = "") -> list[ModelRecord]:
        """The platform default first, then the company's entries, oldest first."""
        async with self.sessions() as session:
            query = sa.select(ModelRecord).where(
                sa.or_(
                    sa.and_(ModelRecord.company_id == principal.company_id, ModelRecord.is_platform.is_(False)),
                    ModelRecord.is_platform.is_(True),
                )
            )
            if model_type:
                query = query.where(ModelRecord.model_type == model_type)
            records = list((await session.execute(query.order_by(ModelRecord.created_at, ModelRecord.id))).scalars())
        return sorted(records, key=lambda r: not r.is_platform)

    async def find(self, *, principal: Principal, model_name: str) -> ModelRecord:
        """The company's entry of that name, else the platform default of that name; else not found."""
        async with self.sessions() as session:
            query = sa.select(ModelRecord).where(
                ModelRecord.model_name == model_name,
                sa.or_(
                    sa.and_(ModelRecord.company_id == principal.company_id, ModelRecord.is_platform.is_(False)),
                    ModelRecord.is_platform.is_(True),
                ),
            )
            records = list((await session.execute(query)).scalars())
        if not records:
            raise not_found(model_name)
        return min(records, key=lambda r: r.is_platform)

    def invalidate(self) -> None:
        """Forget cached LLM entries (after any registry write in this process)."""
        self._llm_cache.clear()

    async def _llm_records(self, company_id: int) -> list[ModelRecord]:
        # Every generation resolves its model; a short cache keeps that off the DB on the hot path.
        now = time.monotonic()
        cached = self._llm_cache.get(company_id)
        if cached and cached[0] > now:
            return cached[1]
        async with self.sessions() as session:
            companies = [company_id, PLATFORM_COMPANY]
            query = sa.select(ModelRecord).where(ModelRecord.company_id.in_(companies), ModelRecord.model_type == "llm")
            records = list((await session.execute(query.order_by(ModelRecord.created_at))).scalars())
        if len(self._llm_cache) > 10_000:
            self._llm_cache.clear()
        self._llm_cache[company_id] = (now + LLM_CACHE_S, records)
        return records

    async def resolve_llm(self, *, principal: Principal, model_name: str = "") -> ResolvedModel:
        """The upstream for a model name (company entry, then platform), or the company/platform default."""
        records = await self._llm_records(principal.company_id)
        own = [r for r in records if r.company_id == principal.company_id and not r.is_platform]
        platform = [r for r in records if r.is_platform]
        if model_name:
            for candidates in (own, platform):
                for record in candidates:
                    if model_name in (record.model_name, upstream_model_id(record)):
                        return self._resolved(record)
            if platform:
                # The default upstream may serve more models than the one registered for it.
                return self._resolved(platform[0], model_name)
        for record in own:
            if record.is_default:
                return self._resolved(record)
        if platform:
            return self._resolved(platform[0])
        if own:
            return self._resolved(own[0])
        raise FailedPrecondition(NO_PROVIDER_MESSAGE, reason="model_not_configured")

    async def resolve_embedding(self, *, principal: Principal, model_name: str = "") -> ResolvedModel:
        """A named embedding entry of the company (or platform), or the company's default embedding entry."""
        if model_name:
            record = await self.find(principal=principal, model_name=model_name)
            if record.model_type != "embedding":
                raise FailedPrecondition(
                    f"model {model_name!r} is a {record.model_type} model, not an embedding model",
                    reason="not_an_embedding_model",
                    field="model_name",
                )
            return self._resolved(record)
        entries = await self.list_entries(principal=principal, model_type="embedding")
        own = [r for r in entries if not r.is_platform]
        chosen = next((r for r in own if r.is_default), own[0] if own else None)
        if chosen is None:
            raise FailedPrecondition(
                "no embedding model is registered for this company: create one with model_type 'embedding'",
                reason="embedding_model_not_configured",
            )
        return self._resolved(chosen)

"""The model registry core: the platform default provider from env, and resolving which upstream answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.config import ChatSettings
from services.chat.models import ModelRecord
from services.chat.store import utcnow
from services.kit.context import Principal
from services.kit.crypto import SecretBox
from services.kit.errors import FailedPrecondition

log = structlog.get_logger(__name__)
PLATFORM_COMPANY = 0
NO_PROVIDER_MESSAGE = "no model provider is configured: set OPENAI_BASE_URL and MESH_DEFAULT_MODEL, or register a model"


@dataclass(frozen=True)
class ResolvedModel:
    """Everything needed to call one upstream model."""

    model_name: str
    base_url: str
    api_key: str
    max_tokens: int
    entry_id: str


class ModelRegistry:
    """Reads model entries; tenants see their company's entries plus the platform default."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], settings: ChatSettings, box: SecretBox) -> None:
        self.sessions = sessions
        self.settings = settings
        self.box = box

    async def sync_platform_default(self) -> None:
        """Mirror OPENAI_BASE_URL / OPENAI_API_KEY / MESH_DEFAULT_MODEL into the platform's default entry."""
        base_url = self.settings.openai_base_url.strip()
        model = self.settings.default_model.strip()
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(ModelRecord).where(ModelRecord.is_platform.is_(True)))
            if not base_url or not model:
                log.warning("no_default_model_provider")
                return
            now = utcnow()
            session.add(
                ModelRecord(
                    id=uuid.uuid4().hex,
                    company_id=PLATFORM_COMPANY,
                    user_id=0,
                    model_name=model,
                    display_name=model,
                    model_type="llm",
                    base_url=base_url,
                    api_key_encrypted=self.box.encrypt(self.settings.openai_api_key or "none"),
                    is_default=True,
                    is_platform=True,
                    connect_status="not_detected",
                    created_at=now,
                    updated_at=now,
                )
            )

    async def platform_default(self) -> ModelRecord | None:
        """The env-configured default provider, if any."""
        async with self.sessions() as session:
            query = sa.select(ModelRecord).where(ModelRecord.is_platform.is_(True))
            return (await session.execute(query)).scalars().first()

    def _resolved(self, record: ModelRecord, model_name: str | None = None) -> ResolvedModel:
        return ResolvedModel(
            model_name=model_name or record.model_name,
            base_url=record.base_url,
            api_key=self.box.decrypt(record.api_key_encrypted) if record.api_key_encrypted else "none",
            max_tokens=record.max_tokens,
            entry_id=record.id,
        )

    async def resolve_llm(self, *, principal: Principal, model_name: str = "") -> ResolvedModel:
        """The upstream for a model name (company entry, then platform), or the company/platform default."""
        async with self.sessions() as session:
            companies = [principal.company_id, PLATFORM_COMPANY]
            query = sa.select(ModelRecord).where(ModelRecord.company_id.in_(companies), ModelRecord.model_type == "llm")
            records = list((await session.execute(query)).scalars())
        own = [r for r in records if r.company_id == principal.company_id]
        platform = [r for r in records if r.is_platform]
        if model_name:
            for candidates in (own, platform):
                for record in candidates:
                    if record.model_name == model_name:
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

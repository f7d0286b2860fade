"""Model entry writes: validation, create, partial update, delete and recorded connect status, per company.

Who may write: a company's models (and its default) are the company admins' to manage, as in Dify (workspace
owners and admins manage model providers) and Nexent (models belong to the tenant; its admins configure them,
its ordinary users only use them). Nexent's routes have no per-user entries, so there are none here: ordinary
users read the list and use the company's models, and every write answers PERMISSION_DENIED.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.chat.models.registry import CONNECT_STATUSES, MODEL_TYPES, ModelRegistry, not_found
from services.chat.records import ModelRecord
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.crypto import mask_secret
from services.kit.errors import AlreadyExists, InvalidArgument, PermissionDenied
from services.kit.outbound import OutboundPolicy

MAX_NAME = 128
MAX_URL = 1024
MAX_KEY = 4096
MAX_TOKENS = 10_000_000
MAX_DIM = 65_536
# Changing where or how a model is reached makes its last check meaningless.
_RECHECK_FIELDS = ("model_type", "base_url", "api_key", "model_repo")


@dataclass
class EntryChanges:
    """Fields to set on an entry; None leaves a field as it is (on create, None takes the default)."""

    display_name: str | None = None
    model_repo: str | None = None
    model_type: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    max_tokens: int | None = None
    embedding_dim: int | None = None
    connect_status: str | None = None
    is_default: bool | None = None


def validate_model_name(value: str) -> str:
    """A non-empty name of at most 128 printable characters."""
    name = value.strip()
    if not name:
        raise InvalidArgument("model_name must not be empty", field="model_name", reason="invalid_model_name")
    if len(name) > MAX_NAME or not name.isprintable():
        raise InvalidArgument(
            f"model_name must be at most {MAX_NAME} printable characters",
            field="model_name",
            reason="invalid_model_name",
        )
    return name


def validate_base_url(value: str) -> str:
    """An absolute http(s) URL without credentials and with a port in 1-65535, or '' for the default upstream.

    Only its form is checked here; where it leads is checked by check_endpoint, and again at every connection.
    """
    url = value.strip()
    if not url:
        return ""
    if len(url) > MAX_URL:
        raise InvalidArgument(f"base_url must be at most {MAX_URL} characters", field="base_url")
    OutboundPolicy().target(url, field="base_url", reason="invalid_base_url")
    return url.rstrip("/")


async def check_endpoint(*, registry: ModelRegistry, base_url: str) -> None:
    """Refuse a base_url whose host leads where model endpoints may not go (see services.kit.outbound)."""
    if base_url:
        policy = registry.settings.model_endpoint_policy()
        await policy.check(base_url, field="base_url", reason="base_url_not_allowed")


def require_model_admin(principal: Principal) -> None:
    """Company admins alone manage the company's models."""
    if not principal.is_admin:
        raise PermissionDenied("only company admins may manage the company's models", reason="model_admin_required")


def validate_changes(changes: EntryChanges) -> EntryChanges:
    """The changes with every given field checked and normalised; bad input names its field."""
    clean = EntryChanges(**{f.name: getattr(changes, f.name) for f in fields(changes)})
    for name in ("display_name", "model_repo"):
        value = getattr(clean, name)
        if value is not None:
            value = value.strip()
            if len(value) > MAX_NAME or not value.isprintable():
                raise InvalidArgument(f"{name} must be at most {MAX_NAME} printable characters", field=name)
            setattr(clean, name, value)
    if clean.model_type is not None and clean.model_type not in MODEL_TYPES:
        raise InvalidArgument(
            f"model_type must be one of {', '.join(MODEL_TYPES)}", field="model_type", reason="invalid_model_type"
        )
    if clean.connect_status is not None and clean.connect_status not in CONNECT_STATUSES:
        raise InvalidArgument(f"connect_status must be one of {', '.join(CONNECT_STATUSES)}", field="connect_status")
    if clean.base_url is not None:
        clean.base_url = validate_base_url(clean.base_url)
    if clean.api_key is not None:
        clean.api_key = clean.api_key.strip()
        if len(clean.api_key) > MAX_KEY:
            raise InvalidArgument(f"api_key must be at most {MAX_KEY} characters", field="api_key")
    for name, limit in (("max_tokens", MAX_TOKENS), ("embedding_dim", MAX_DIM)):
        value = getattr(clean, name)
        if value is not None and not 0 <= value <= limit:
            raise InvalidArgument(f"{name} must be between 0 and {limit}", field=name)
    return clean


def _require_endpoint(*, registry: ModelRegistry, base_url: str) -> None:
    if not base_url and not registry.settings.openai_base_url.strip():
        raise InvalidArgument(
            "base_url is required: no default provider (OPENAI_BASE_URL) is configured", field="base_url"
        )


async def _own_entry(*, registry: ModelRegistry, principal: Principal, model_name: str) -> ModelRecord:
    record = await registry.find(principal=principal, model_name=model_name)
    if record.is_platform:
        raise PermissionDenied(
            f"model {model_name!r} is the platform's default provider and cannot be changed; "
            "set OPENAI_BASE_URL, OPENAI_API_KEY and MESH_DEFAULT_MODEL instead",
            reason="platform_model_read_only",
            field="model_name",
        )
    return record


async def _clear_other_defaults(session: AsyncSession, *, record: ModelRecord) -> None:
    await session.execute(
        sa.update(ModelRecord)
        .where(
            ModelRecord.company_id == record.company_id,
            ModelRecord.model_type == record.model_type,
            ModelRecord.is_platform.is_(False),
            ModelRecord.id != record.id,
        )
        .values(is_default=False)
    )


async def create_entry(
    *, registry: ModelRegistry, principal: Principal, model_name: str, changes: EntryChanges
) -> ModelRecord:
    """Register a model for the caller's company (admins only); a name already used in the company is a conflict."""
    require_model_admin(principal)
    name = validate_model_name(model_name)
    clean = validate_changes(changes)
    _require_endpoint(registry=registry, base_url=clean.base_url or "")
    await check_endpoint(registry=registry, base_url=clean.base_url or "")
    now = utcnow()
    record = ModelRecord(
        id=uuid.uuid4().hex,
        company_id=principal.company_id,
        user_id=principal.user_id,
        model_name=name,
        model_repo=clean.model_repo or "",
        display_name=clean.display_name or name,
        model_type=clean.model_type or "llm",
        provider="openai_api_compatible",
        base_url=clean.base_url or "",
        api_key_encrypted=registry.box.encrypt(clean.api_key) if clean.api_key else "",
        max_tokens=clean.max_tokens or 0,
        embedding_dim=clean.embedding_dim or 0,
        connect_status=clean.connect_status or "not_detected",
        is_default=bool(clean.is_default),
        is_platform=False,
        created_at=now,
        updated_at=now,
    )
    conflict = AlreadyExists(
        f"model {name!r} already exists in this company", reason="model_already_exists", field="model_name"
    )
    try:
        async with registry.sessions() as session, session.begin():
            taken = await session.execute(
                sa.select(ModelRecord.id).where(
                    ModelRecord.company_id == principal.company_id,
                    ModelRecord.model_name == name,
                    ModelRecord.is_platform.is_(False),
                )
            )
            if taken.first() is not None:
                raise conflict
            session.add(record)
            await session.flush()
            if record.is_default:
                await _clear_other_defaults(session, record=record)
    except IntegrityError:
        raise conflict from None
    return record


async def update_entry(
    *, registry: ModelRegistry, principal: Principal, model_name: str, changes: EntryChanges
) -> ModelRecord:
    """Change the given fields of a company entry (admins only); the platform default is read-only."""
    require_model_admin(principal)
    name = validate_model_name(model_name)
    clean = validate_changes(changes)
    current = await _own_entry(registry=registry, principal=principal, model_name=name)
    if clean.base_url is not None:
        _require_endpoint(registry=registry, base_url=clean.base_url)
        await check_endpoint(registry=registry, base_url=clean.base_url)
    if clean.display_name == "":
        clean.display_name = name
    values: dict[str, object] = {}
    if clean.api_key is not None and clean.api_key != mask_secret(registry.secret(current)):
        # A client echoing back the masked key it was shown keeps the stored key.
        values["api_key"] = clean.api_key
    for field in fields(clean):
        value = getattr(clean, field.name)
        if field.name != "api_key" and value is not None and value != getattr(current, field.name):
            values[field.name] = value
    if any(f in values for f in _RECHECK_FIELDS) and clean.connect_status is None:
        values["connect_status"] = "not_detected"
    if "api_key" in values:
        key = str(values.pop("api_key"))
        values["api_key_encrypted"] = registry.box.encrypt(key) if key else ""
    async with registry.sessions() as session, session.begin():
        record = await session.get(ModelRecord, current.id)
        if record is None:
            raise not_found(name)
        for key, value in values.items():
            setattr(record, key, value)
        record.updated_at = utcnow()
        if record.is_default:
            await _clear_other_defaults(session, record=record)
    return record


async def delete_entry(*, registry: ModelRegistry, principal: Principal, model_name: str) -> None:
    """Remove a company entry (admins only); the platform default cannot be deleted."""
    require_model_admin(principal)
    name = validate_model_name(model_name)
    current = await _own_entry(registry=registry, principal=principal, model_name=name)
    async with registry.sessions() as session, session.begin():
        await session.execute(sa.delete(ModelRecord).where(ModelRecord.id == current.id))


async def record_status(*, registry: ModelRegistry, record: ModelRecord, connect_status: str) -> None:
    """Store the outcome of a live check on the entry it checked (the platform entry included)."""
    async with registry.sessions() as session, session.begin():
        await session.execute(
            sa.update(ModelRecord)
            .where(ModelRecord.id == record.id)
            .values(connect_status=connect_status, updated_at=utcnow())
        )
    record.connect_status = connect_status

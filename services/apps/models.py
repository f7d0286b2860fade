"""SQLAlchemy models of the apps store; every row carries the owner's user_id and company_id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class App(Base):
    """An app of any kind: a Dify console app, an lbai mini program or partner, or a Nexent agent."""

    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[int] = mapped_column(sa.Integer)
    mode: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    icon: Mapped[str] = mapped_column(sa.String(1024), default="")
    icon_type: Mapped[str] = mapped_column(sa.String(16), default="emoji")
    icon_background: Mapped[str] = mapped_column(sa.String(32), default="")
    enable_site: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    enable_api: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    api_rpm: Mapped[int] = mapped_column(sa.Integer, default=0)
    api_rph: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # The current model-config version row, and a counter bumped by every generation-relevant change.
    model_config_id: Mapped[str | None] = mapped_column(sa.String(36))
    model_config_version: Mapped[int] = mapped_column(sa.Integer, default=0)
    config_version: Mapped[int] = mapped_column(sa.BigInteger, default=1)
    # "partner:<user_id>" / "nexent:<user_id>": at most one such app per user, even under races.
    singleton_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Mini programs: the setting prompt, texts and mounted cloud-space files.
    mp_introduction: Mapped[str] = mapped_column(sa.Text, default="")
    mp_instructions: Mapped[str] = mapped_column(sa.Text, default="")
    mp_setting: Mapped[str] = mapped_column(sa.Text, default="")
    knowledge_file_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    official: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ModelConfigVersion(Base):
    """One saved model config; versions are never edited, a save adds the next one."""

    __tablename__ = "model_configs"
    __table_args__ = (sa.UniqueConstraint("app_id", "version"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    version: Mapped[int] = mapped_column(sa.Integer)
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Site(Base):
    """The public web site of an app; `code` is its access token."""

    __tablename__ = "sites"

    app_id: Mapped[str] = mapped_column(sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    icon: Mapped[str] = mapped_column(sa.String(1024), default="")
    icon_type: Mapped[str] = mapped_column(sa.String(16), default="emoji")
    icon_background: Mapped[str] = mapped_column(sa.String(32), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    default_language: Mapped[str] = mapped_column(sa.String(16), default="en-US")
    copyright: Mapped[str] = mapped_column(sa.String(255), default="")
    privacy_policy: Mapped[str] = mapped_column(sa.String(1024), default="")
    custom_disclaimer: Mapped[str] = mapped_column(sa.String(512), default="")
    customize_domain: Mapped[str] = mapped_column(sa.String(255), default="")
    customize_token_strategy: Mapped[str] = mapped_column(sa.String(16), default="not_allow")
    prompt_public: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ChatSession(Base):
    """An lbai session of one user on one app; `id` is the session_id, `command_id` the builder session."""

    __tablename__ = "chat_sessions"
    __table_args__ = (sa.UniqueConstraint("user_id", "app_id", "session_type"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    command_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    app_id: Mapped[str] = mapped_column(sa.ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    session_type: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class NexentConfig(Base):
    """The caller's Nexent app/models/data config; apiKey values are stored encrypted."""

    __tablename__ = "nexent_configs"

    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    app_id: Mapped[str] = mapped_column(sa.String(36))
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class OutboxEvent(Base):
    """An event written in the same transaction as the change it announces, deleted once on NATS."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    entity: Mapped[str] = mapped_column(sa.String(32))
    verb: Mapped[str] = mapped_column(sa.String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)

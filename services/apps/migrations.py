"""Versioned schema of the apps store; append new steps, never edit applied ones."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration


def _owner() -> list[sa.Column[int]]:
    return [sa.Column("user_id", sa.BigInteger, nullable=False), sa.Column("company_id", sa.BigInteger, nullable=False)]


def _v1_initial(op: Operations) -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "apps",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("kind", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("icon", sa.String(1024), nullable=False),
        sa.Column("icon_type", sa.String(16), nullable=False),
        sa.Column("icon_background", sa.String(32), nullable=False),
        sa.Column("enable_site", sa.Boolean, nullable=False),
        sa.Column("enable_api", sa.Boolean, nullable=False),
        sa.Column("api_rpm", sa.Integer, nullable=False, server_default="0"),
        sa.Column("api_rph", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("model_config_id", sa.String(36)),
        sa.Column("model_config_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("config_version", sa.BigInteger, nullable=False, server_default="1"),
        sa.Column("singleton_key", sa.String(64), unique=True),
        sa.Column("mp_introduction", sa.Text, nullable=False),
        sa.Column("mp_instructions", sa.Text, nullable=False),
        sa.Column("mp_setting", sa.Text, nullable=False),
        sa.Column("knowledge_file_ids", sa.JSON, nullable=False),
        sa.Column("official", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_index("ix_apps_owner", "apps", ["company_id", "user_id", "kind", "created_at"])
    op.create_index("ix_apps_official", "apps", ["company_id", "official", "kind"])
    op.create_table(
        "model_configs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("app_id", sa.String(36), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
        *_owner(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.UniqueConstraint("app_id", "version", name="uq_model_configs_app_version"),
    )
    op.create_table(
        "sites",
        sa.Column("app_id", sa.String(36), sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        *_owner(),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("icon", sa.String(1024), nullable=False),
        sa.Column("icon_type", sa.String(16), nullable=False),
        sa.Column("icon_background", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("default_language", sa.String(16), nullable=False),
        sa.Column("copyright", sa.String(255), nullable=False),
        sa.Column("privacy_policy", sa.String(1024), nullable=False),
        sa.Column("custom_disclaimer", sa.String(512), nullable=False),
        sa.Column("customize_domain", sa.String(255), nullable=False),
        sa.Column("customize_token_strategy", sa.String(16), nullable=False),
        sa.Column("prompt_public", sa.Boolean, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("command_id", sa.String(36), unique=True),
        sa.Column("app_id", sa.String(36), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("company_id", sa.BigInteger, nullable=False),
        sa.Column("session_type", sa.Integer, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.UniqueConstraint("user_id", "app_id", "session_type", name="uq_chat_sessions_user_app_type"),
    )
    op.create_table(
        "nexent_configs",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("company_id", sa.BigInteger, nullable=False),
        sa.Column("app_id", sa.String(36), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("verb", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False, index=True),
    )


MIGRATIONS = [Migration(1, "apps, model configs, sites, chat sessions, nexent configs, outbox", _v1_initial)]

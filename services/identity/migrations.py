"""Versioned schema of the identity store; append new steps, never edit applied ones."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration


def _v1_initial(op: Operations) -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id"), nullable=False, index=True),
        sa.Column("account", sa.String(255), nullable=False, unique=True),
        sa.Column("email", sa.String(255), unique=True),
        sa.Column("phone", sa.String(32), unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False, server_default=""),
        sa.Column("nick_name", sa.String(64), nullable=False, server_default=""),
        sa.Column("avatar", sa.String(1024), nullable=False, server_default=""),
        sa.Column("gender", sa.String(16), nullable=False, server_default=""),
        sa.Column("age", sa.Integer, nullable=False, server_default="0"),
        sa.Column("area", sa.String(128), nullable=False, server_default=""),
        sa.Column("position", sa.String(128), nullable=False, server_default=""),
        sa.Column("department", sa.String(128), nullable=False, server_default=""),
        sa.Column("department_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("status", sa.Integer, nullable=False, server_default="1"),
        sa.Column("source", sa.String(32), nullable=False, server_default="admin"),
        sa.Column("account_type", sa.String(32), nullable=False, server_default=""),
        sa.Column("invite_code", sa.String(32), nullable=False, server_default=""),
        sa.Column("resource_limit", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("wx_avatar", sa.String(1024), nullable=False, server_default=""),
        sa.Column("wx_nickname", sa.String(64), nullable=False, server_default=""),
        sa.Column("point_balance", sa.Float, nullable=False, server_default="0"),
        sa.Column("expire_at", ts),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("last_login_at", ts),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id"), nullable=False, index=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("revoked_at", ts),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(32), primary_key=True),
        sa.Column("private_key_encrypted", sa.Text, nullable=False),
        sa.Column("public_key_pem", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", ts, nullable=False),
    )


def _v2_token_revocation(op: Operations) -> None:
    # The gateway lists recent revocations by time, at start and every few seconds.
    op.add_column("users", sa.Column("tokens_not_before", sa.BigInteger, nullable=False, server_default="0"))
    op.create_index("ix_users_tokens_not_before", "users", ["tokens_not_before"])
    op.create_index("ix_api_keys_revoked_at", "api_keys", ["revoked_at"])


MIGRATIONS = [
    Migration(1, "users, companies, api keys, signing keys", _v1_initial),
    Migration(2, "per-user token cutoff; revocation indexes", _v2_token_revocation),
]

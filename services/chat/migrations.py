"""Versioned schema of the chat store; append new steps, never edit applied ones."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration

TS = sa.DateTime(timezone=True)


def _v1_initial(op: Operations) -> None:
    op.create_table(
        "model_entries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("company_id", sa.Integer, nullable=False, index=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_repo", sa.String(128), nullable=False, server_default=""),
        sa.Column("display_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("model_type", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False, server_default="openai_api_compatible"),
        sa.Column("base_url", sa.String(1024), nullable=False),
        sa.Column("api_key_encrypted", sa.Text, nullable=False, server_default=""),
        sa.Column("max_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("embedding_dim", sa.Integer, nullable=False, server_default="0"),
        sa.Column("connect_status", sa.String(32), nullable=False, server_default="not_detected"),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_platform", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("company_id", "model_name", name="uq_model_company_name"),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("company_id", sa.Integer, nullable=False, index=True),
        sa.Column("app_id", sa.String(36), nullable=False, server_default="", index=True),
        sa.Column("mode", sa.String(16), nullable=False, server_default="chat"),
        sa.Column("origin", sa.String(16), nullable=False, server_default="dify"),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="normal"),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("model_config", sa.JSON, nullable=False),
        sa.Column("end_user", sa.String(64), nullable=False, server_default=""),
        sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(36),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("company_id", sa.Integer, nullable=False, index=True),
        sa.Column("app_id", sa.String(36), nullable=False, server_default="", index=True),
        sa.Column("task_id", sa.String(36), nullable=False, index=True),
        sa.Column("parent_message_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("query", sa.Text, nullable=False, server_default=""),
        sa.Column("answer", sa.Text, nullable=False, server_default=""),
        sa.Column("reasoning", sa.Text, nullable=False, server_default=""),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="generating"),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("model", sa.String(128), nullable=False, server_default=""),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("latency_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("first_token_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("text_type", sa.String(16), nullable=False, server_default=""),
        sa.Column("end_user", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "feedbacks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "message_id", sa.String(36), sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("conversation_id", sa.String(36), nullable=False, index=True),
        sa.Column("app_id", sa.String(36), nullable=False, server_default="", index=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("company_id", sa.Integer, nullable=False),
        sa.Column("rating", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False, server_default=""),
        sa.Column("from_source", sa.String(16), nullable=False, server_default="user"),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("message_id", "user_id", name="uq_feedback_message_user"),
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("app_id", sa.String(36), nullable=False, index=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("company_id", sa.Integer, nullable=False, index=True),
        sa.Column("message_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("hit_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
    )


def _v2_message_time_indexes(op: Operations) -> None:
    op.create_index("ix_messages_app_created", "messages", ["app_id", "created_at"])
    op.create_index("ix_messages_conversation_created", "messages", ["conversation_id", "created_at"])


def _v3_mcp_servers(op: Operations) -> None:
    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.Integer, nullable=False, index=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("headers_encrypted", sa.Text, nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("tools", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="available"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("company_id", "name", name="uq_mcp_company_name"),
    )


MIGRATIONS = [
    Migration(1, "model registry, conversations, messages, feedback, annotations", _v1_initial),
    Migration(2, "indexes for statistics by app and time, and history pages by conversation", _v2_message_time_indexes),
    Migration(3, "MCP servers registered by company admins for their agents", _v3_mcp_servers),
]

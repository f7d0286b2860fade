"""SQLAlchemy models of the chat store: model registry, conversations, messages, feedback, annotations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ModelRecord(Base):
    """A registered upstream model; company_id 0 with is_platform marks the env-configured default provider."""

    __tablename__ = "model_entries"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    user_id: Mapped[int] = mapped_column(sa.Integer)
    model_name: Mapped[str] = mapped_column(sa.String(128))
    model_repo: Mapped[str] = mapped_column(sa.String(128), default="")
    display_name: Mapped[str] = mapped_column(sa.String(128), default="")
    model_type: Mapped[str] = mapped_column(sa.String(16))
    provider: Mapped[str] = mapped_column(sa.String(64), default="openai_api_compatible")
    base_url: Mapped[str] = mapped_column(sa.String(1024))
    api_key_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    max_tokens: Mapped[int] = mapped_column(sa.Integer, default=0)
    embedding_dim: Mapped[int] = mapped_column(sa.Integer, default=0)
    connect_status: Mapped[str] = mapped_column(sa.String(32), default="not_detected")
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_platform: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ConversationRecord(Base):
    """A conversation, whichever dialect made it (origin) — Dify, NextConsole session, Nexent or lbai."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, unique=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    company_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    app_id: Mapped[str] = mapped_column(sa.String(36), index=True, default="")
    mode: Mapped[str] = mapped_column(sa.String(16), default="chat")
    origin: Mapped[str] = mapped_column(sa.String(16), default="dify")
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="normal")
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    model_config: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    end_user: Mapped[str] = mapped_column(sa.String(64), default="")
    message_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class MessageRecord(Base):
    """One exchange: the query and its answer, written at start (generating) and once at the end."""

    __tablename__ = "messages"
    # Statistics read an app's messages by time; history pages read a conversation's newest first.
    __table_args__ = (
        sa.Index("ix_messages_app_created", "app_id", "created_at"),
        sa.Index("ix_messages_conversation_created", "conversation_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    company_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    app_id: Mapped[str] = mapped_column(sa.String(36), index=True, default="")
    task_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    parent_message_id: Mapped[str] = mapped_column(sa.String(36), default="")
    query: Mapped[str] = mapped_column(sa.Text, default="")
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    reasoning: Mapped[str] = mapped_column(sa.Text, default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # files, thoughts, units, resources
    status: Mapped[str] = mapped_column(sa.String(16), default="generating")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    model: Mapped[str] = mapped_column(sa.String(128), default="")
    prompt_tokens: Mapped[int] = mapped_column(sa.Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(sa.Integer, default=0)
    latency_s: Mapped[float] = mapped_column(sa.Float, default=0.0)
    first_token_s: Mapped[float] = mapped_column(sa.Float, default=0.0)
    text_type: Mapped[str] = mapped_column(sa.String(16), default="")
    end_user: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class FeedbackRecord(Base):
    """A like or dislike on a message, one per message and user."""

    __tablename__ = "feedbacks"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    app_id: Mapped[str] = mapped_column(sa.String(36), index=True, default="")
    user_id: Mapped[int] = mapped_column(sa.Integer)
    company_id: Mapped[int] = mapped_column(sa.Integer)
    rating: Mapped[str] = mapped_column(sa.String(16))
    content: Mapped[str] = mapped_column(sa.Text, default="")
    from_source: Mapped[str] = mapped_column(sa.String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    __table_args__ = (sa.UniqueConstraint("message_id", "user_id", name="uq_feedback_message_user"),)


class AnnotationRecord(Base):
    """A curated question/answer pair for an app (Dify annotations)."""

    __tablename__ = "annotations"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    user_id: Mapped[int] = mapped_column(sa.Integer)
    company_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    message_id: Mapped[str] = mapped_column(sa.String(36), default="")
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str] = mapped_column(sa.Text)
    hit_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class McpServerRecord(Base):
    """An MCP server a company admin registered; its tools are offered to the company's agents."""

    __tablename__ = "mcp_servers"
    __table_args__ = (sa.UniqueConstraint("company_id", "name", name="uq_mcp_company_name"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    user_id: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(64))
    url: Mapped[str] = mapped_column(sa.String(2048))
    headers_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    tools: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)  # the last listing: name, description
    status: Mapped[str] = mapped_column(sa.String(16), default="available")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

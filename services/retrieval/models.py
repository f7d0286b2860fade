"""SQLAlchemy models of the retrieval store: indices, their documents (sources) and ingestion tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class IndexRow(Base):
    """A knowledge index; `id` is also the engine's key. scope_user is 0 for company indices, else the owner."""

    __tablename__ = "indices"
    __table_args__ = (sa.UniqueConstraint("company_id", "scope_user", "name"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    scope_user: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    name: Mapped[str] = mapped_column(sa.String(128))
    app_id: Mapped[str] = mapped_column(sa.String(64), default="")
    embedding_model: Mapped[str] = mapped_column(sa.String(255))
    embedding_dim: Mapped[int] = mapped_column(sa.Integer)
    query_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    query_ms_total: Mapped[float] = mapped_column(sa.Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class DocumentRow(Base):
    """One source in one index, keyed for idempotency by (index, source) and the content's sha256."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("index_id", "source_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    index_id: Mapped[str] = mapped_column(sa.ForeignKey("indices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    source_id: Mapped[str] = mapped_column(sa.String(1024))
    object_id: Mapped[str] = mapped_column(sa.String(32), default="")
    file_name: Mapped[str] = mapped_column(sa.String(512), default="")
    file_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    source_type: Mapped[str] = mapped_column(sa.String(16), default="")
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    stage: Mapped[str] = mapped_column(sa.String(16), default="")  # "indexed", then "expanded" for training
    chunks_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    qa_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    task_id: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class TaskRow(Base):
    """An ingestion task; the id is the one files (or this service) minted when it was queued."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.String(16))  # "ingest" or "training"
    index_name: Mapped[str] = mapped_column(sa.String(128))
    source: Mapped[str] = mapped_column(sa.String(2048))
    source_type: Mapped[str] = mapped_column(sa.String(16))
    chunking_strategy: Mapped[str] = mapped_column(sa.String(16))
    additional_params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    object_id: Mapped[str] = mapped_column(sa.String(32), default="")
    file_name: Mapped[str] = mapped_column(sa.String(512), default="")
    status: Mapped[int] = mapped_column(sa.Integer)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    chunks_indexed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    results: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

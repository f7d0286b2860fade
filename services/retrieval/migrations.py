"""Versioned schema of the retrieval store; append new steps, never edit applied ones."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration


def _owner() -> list[sa.Column[int]]:
    return [sa.Column("user_id", sa.BigInteger, nullable=False), sa.Column("company_id", sa.BigInteger, nullable=False)]


def _v1_initial(op: Operations) -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "indices",
        sa.Column("id", sa.String(32), primary_key=True),
        *_owner(),
        sa.Column("scope_user", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("embedding_model", sa.String(255), nullable=False),
        sa.Column("embedding_dim", sa.Integer, nullable=False),
        sa.Column("query_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("query_ms_total", sa.Float, nullable=False, server_default="0"),
        sa.Column("created_at", ts, nullable=False),
        sa.UniqueConstraint("company_id", "scope_user", "name", name="uq_indices_tenant_name"),
    )
    op.create_index("ix_indices_app", "indices", ["company_id", "app_id"])
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("index_id", sa.String(32), sa.ForeignKey("indices.id", ondelete="CASCADE"), nullable=False),
        *_owner(),
        sa.Column("source_id", sa.String(1024), nullable=False),
        sa.Column("object_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("file_name", sa.String(512), nullable=False, server_default=""),
        sa.Column("file_size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("source_type", sa.String(16), nullable=False, server_default=""),
        sa.Column("sha256", sa.String(64), nullable=False, server_default=""),
        sa.Column("stage", sa.String(16), nullable=False, server_default=""),
        sa.Column("chunks_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("qa_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("task_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.UniqueConstraint("index_id", "source_id", name="uq_documents_index_source"),
    )
    op.create_index("ix_documents_object", "documents", ["company_id", "object_id"])
    op.create_index("ix_documents_source", "documents", ["company_id", "source_id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        *_owner(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("index_name", sa.String(128), nullable=False),
        sa.Column("source", sa.String(2048), nullable=False),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("chunking_strategy", sa.String(16), nullable=False),
        sa.Column("additional_params", sa.JSON, nullable=False),
        sa.Column("object_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("file_name", sa.String(512), nullable=False, server_default=""),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("chunks_indexed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_index("ix_tasks_owner", "tasks", ["company_id", "user_id", "created_at"])
    op.create_index("ix_tasks_index", "tasks", ["company_id", "index_name", "created_at"])


MIGRATIONS = [Migration(1, "indices, documents, tasks", _v1_initial)]

"""Versioned schema of the files store; append new steps, never edit applied ones."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration


def _v1_initial(op: Operations) -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "objects",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("company_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("key", sa.String(128), nullable=False, unique=True),
        sa.Column("object_name", sa.String(512), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("folder", sa.String(128), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False, server_default=""),
        sa.Column("format", sa.String(16), nullable=False, server_default=""),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("sha256", sa.String(64), nullable=False, server_default=""),
        sa.Column("cloud_space", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("parse_status", sa.String(16), nullable=False, server_default="none"),
        sa.Column("ingest_task_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("ingest_index_name", sa.String(255), nullable=False, server_default=""),
        sa.Column("transcribe_task_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("deleted_at", ts),
        sa.UniqueConstraint("company_id", "user_id", "object_name", name="uq_objects_owner_name"),
    )
    op.create_index("ix_objects_owner_listing", "objects", ["company_id", "user_id", "cloud_space", "kind", "id"])


def _v2_transcripts(op: Operations) -> None:
    # A voice object's transcript lives with it: the status, length and failure reason are listed with the
    # object; the text itself is read only by ExtractText (a deferred column).
    op.add_column("objects", sa.Column("transcript_status", sa.String(16), nullable=False, server_default="none"))
    op.add_column("objects", sa.Column("transcript_text", sa.Text, nullable=False, server_default=""))
    op.add_column("objects", sa.Column("transcript_language", sa.String(16), nullable=False, server_default=""))
    op.add_column("objects", sa.Column("transcript_error", sa.String(1024), nullable=False, server_default=""))
    op.add_column("objects", sa.Column("duration_ms", sa.BigInteger, nullable=False, server_default="0"))
    # An ingest intent that waits for the transcript keeps its chunking strategy until it is published.
    op.add_column("objects", sa.Column("ingest_chunking", sa.String(32), nullable=False, server_default=""))


MIGRATIONS = [Migration(1, "objects", _v1_initial), Migration(2, "voice transcripts", _v2_transcripts)]

"""Versioned schema of the meetings store; append new steps, never edit applied ones."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration


def _v1_initial(op: Operations) -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("company_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("auto_organize", sa.Boolean, nullable=False),
        sa.Column("state", sa.SmallInteger, nullable=False),
        sa.Column("transcript_state", sa.SmallInteger, nullable=False),
        sa.Column("minutes_state", sa.SmallInteger, nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("duration_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("transcript", sa.Text, nullable=False),
        sa.Column("minutes", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("close_reason", sa.String(16), nullable=False, server_default=""),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("last_activity_at", ts, nullable=False),
        sa.Column("closed_at", ts),
    )
    op.create_index("ix_meetings_owner", "meetings", ["company_id", "user_id", "created_at"])
    # The idle sweep looks for open meetings by their last upload.
    op.create_index("ix_meetings_idle", "meetings", ["state", "last_activity_at"])
    op.create_table(
        "meeting_chunks",
        sa.Column("meeting_id", sa.String(20), sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("file_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("segments", sa.JSON, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("duration_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("transcribed_at", ts),
        sa.UniqueConstraint("meeting_id", "file_id", name="uq_meeting_chunks_file"),
    )
    op.create_table(
        "meeting_outbox",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False, index=True),
    )


MIGRATIONS = [Migration(1, "meetings, meeting chunks, outbox", _v1_initial)]

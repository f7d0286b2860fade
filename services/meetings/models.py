"""SQLAlchemy models of the meetings store: meetings, their ordered voice chunks, and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class State(enum.IntEnum):
    """A meeting's (or one of its documents') state; the numbers are the contract's MeetingState."""

    NONE = 0  # a document nobody asked for (minutes without auto_organize)
    IN_PROGRESS = 1
    ORGANIZING = 2
    COMPLETED = 3
    FAILED = 4


class ChunkStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    GAP = "gap"  # could not be transcribed; `error` says why


class Meeting(Base):
    """One meeting. `state` is the whole meeting's; transcript and minutes each have their own."""

    __tablename__ = "meetings"

    id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    name: Mapped[str] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(16))  # "" = Chinese and English
    auto_organize: Mapped[bool] = mapped_column(sa.Boolean)
    state: Mapped[int] = mapped_column(sa.SmallInteger)
    transcript_state: Mapped[int] = mapped_column(sa.SmallInteger)
    minutes_state: Mapped[int] = mapped_column(sa.SmallInteger)
    chunk_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    transcript: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    close_reason: Mapped[str] = mapped_column(sa.String(16), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # The creation or the last upload: the idle timeout counts from here.
    last_activity_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Chunk(Base):
    """One voice file of a meeting, at its place in speaking order, with its transcription once done."""

    __tablename__ = "meeting_chunks"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "file_id", name="uq_meeting_chunks_file"),)

    meeting_id: Mapped[str] = mapped_column(
        sa.String(20), sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    file_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(8))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # [[start_ms, end_ms, text], ...] relative to the chunk's own start.
    segments: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    language: Mapped[str] = mapped_column(sa.String(16), default="")
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    transcribed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class OutboxMessage(Base):
    """A job or event written in the transaction that caused it; published (Nats-Msg-Id = id), then deleted."""

    __tablename__ = "meeting_outbox"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

"""SQLAlchemy models of the voice store: cached transcripts, TTS jobs and queued transcription tasks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"


class Base(DeclarativeBase):
    pass


class TranscriptRow(Base):
    """A voice object's transcript, per requested language ("" = detected); object ids never change content."""

    __tablename__ = "transcripts"

    object_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    requested_language: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    engine: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(16))
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger)
    segments: Mapped[str] = mapped_column(sa.Text)  # JSON [[text, start_ms, end_ms], ...]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class TtsJobRow(Base):
    """A TTS job; (company, user, request_key) is unique so identical requests find the same job."""

    __tablename__ = "tts_jobs"
    __table_args__ = (sa.UniqueConstraint("company_id", "user_id", "request_key", name="uq_tts_jobs_request"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    request_key: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    voice: Mapped[str] = mapped_column(sa.String(128))
    encoding: Mapped[str] = mapped_column(sa.String(16))
    language: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    object_id: Mapped[str] = mapped_column(sa.String(32), default="")
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class TranscribeTaskRow(Base):
    """A transcription task files queued for an uploaded voice file (lbai addVoice voiceType 2)."""

    __tablename__ = "transcribe_tasks"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    object_id: Mapped[str] = mapped_column(sa.String(32))
    company_id: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16))
    error: Mapped[str] = mapped_column(sa.Text, default="")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

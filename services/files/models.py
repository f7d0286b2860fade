"""SQLAlchemy model of the files store: one row per stored object."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class StoredObject(Base):
    """An object's metadata. `key` is generated storage; `name` is the client's name, only ever displayed.

    parse_status: "none", "transcribing" (an ingest intent waits for the voice transcript), "queued" (the
    ingestion task is published).
    state: "pending" while bytes stream in, "ready" once committed, "deleting" (a tombstone: never served
    again) until its bytes, event and row are gone.
    """

    __tablename__ = "objects"
    __table_args__ = (sa.UniqueConstraint("company_id", "user_id", "object_name", name="uq_objects_owner_name"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    company_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    object_name: Mapped[str] = mapped_column(sa.String(512))
    name: Mapped[str] = mapped_column(sa.String(255))
    folder: Mapped[str] = mapped_column(sa.String(128))
    kind: Mapped[int] = mapped_column(sa.SmallInteger)
    content_type: Mapped[str] = mapped_column(sa.String(128), default="")
    format: Mapped[str] = mapped_column(sa.String(16), default="")
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    cloud_space: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    parse_status: Mapped[str] = mapped_column(sa.String(16), default="none")
    ingest_task_id: Mapped[str] = mapped_column(sa.String(32), default="")
    ingest_index_name: Mapped[str] = mapped_column(sa.String(255), default="")
    transcribe_task_id: Mapped[str] = mapped_column(sa.String(32), default="")
    # Voice only: "none", "queued" (a transcription task waits), "done" or "failed".
    transcript_status: Mapped[str] = mapped_column(sa.String(16), default="none")
    # Deferred: listings never load a transcript; ExtractText does.
    transcript_text: Mapped[str] = mapped_column(sa.Text, default="", deferred=True)
    transcript_language: Mapped[str] = mapped_column(sa.String(16), default="")
    transcript_error: Mapped[str] = mapped_column(sa.String(1024), default="")
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ingest_chunking: Mapped[str] = mapped_column(sa.String(32), default="")
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


# Object kinds, numbered as lbai's file_type and the contract's ObjectKind.
KIND_AUTO, KIND_FILE, KIND_IMAGE, KIND_VOICE = 0, 1, 2, 3

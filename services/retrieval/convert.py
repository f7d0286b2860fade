"""Domain rows to proto messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from meshconsole.retrieval.v1 import retrieval_pb2

from services.kit.clock import as_utc
from services.retrieval.engine.base import ChunkDoc, EngineStats
from services.retrieval.models import TaskRow
from services.retrieval.search import Hit


def timestamp(value: datetime | float) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    if isinstance(value, datetime):
        out.FromDatetime(as_utc(value))
    else:
        out.FromNanoseconds(int(value * 1e9))
    return out


def human_size(size: int) -> str:
    """Sizes the way Elasticsearch prints them ("12.3kb")."""
    value = float(size)
    for unit in ("b", "kb", "mb", "gb"):
        if value < 1024 or unit == "gb":
            return f"{int(value)}{unit}" if unit == "b" else f"{value:.1f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


def stats(value: EngineStats, *, sources: int) -> retrieval_pb2.IndexStats:
    return retrieval_pb2.IndexStats(
        docs=value.docs, size_bytes=value.size_bytes, size=human_size(value.size_bytes), sources=sources
    )


def struct(value: dict[str, object]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    json_format.ParseDict(value, out)
    return out


def chunk(doc: ChunkDoc) -> retrieval_pb2.Chunk:
    return retrieval_pb2.Chunk(
        id=doc.id, title=doc.title, content=doc.content, position=doc.position, create_time=timestamp(doc.created_at)
    )


def task(row: TaskRow, *, include_results: bool = False) -> retrieval_pb2.Task:
    out = retrieval_pb2.Task(
        id=row.id,
        status=row.status,
        error=row.error,
        attempts=row.attempts,
        chunks_indexed=row.chunks_indexed,  # type: ignore[arg-type]
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        source=retrieval_pb2.TaskSource(
            source=row.source,
            source_type=row.source_type,
            chunking_strategy=row.chunking_strategy,
            index_name=row.index_name,
            additional_params=struct(dict(row.additional_params or {})),
        ),
    )
    if include_results:
        out.results.CopyFrom(struct(dict(row.results or {})))
    return out


def hit(value: Hit) -> retrieval_pb2.SearchHit:
    out = retrieval_pb2.SearchHit(
        id=value.chunk.id,
        title=value.chunk.title,
        content=value.chunk.content,
        score=value.score,
        index=value.index.name,
        source_id=value.chunk.source_id,
        filename=value.chunk.filename,
        source_type=value.chunk.source_type,
        position=value.chunk.position,
        metadata=struct({**value.chunk.metadata, "kind": value.chunk.kind}),
    )
    if value.accurate is not None and value.semantic is not None:
        out.score_details.CopyFrom(retrieval_pb2.ScoreDetails(accurate=value.accurate, semantic=value.semantic))
    return out


def training_item(row: TaskRow) -> retrieval_pb2.TrainingItem:
    return retrieval_pb2.TrainingItem(
        file_id=row.id,
        object_id=row.object_id,
        file_name=row.file_name,
        status=row.status,
        error=row.error,  # type: ignore[arg-type]
        created_at=timestamp(row.created_at),
    )

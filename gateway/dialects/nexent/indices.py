"""Nexent knowledge-index routes (/api/indices): create, delete, list, info, documents, the three searches, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from meshconsole.common.v1 import common_pb2
from meshconsole.retrieval.v1 import retrieval_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients
from gateway.dialects.nexent.schemas import (
    DocumentsDeleted,
    IndexCreated,
    Indexed,
    IndexInfo,
    IndexList,
    IndicesHealth,
    SearchResults,
    Status,
)
from gateway.limits import DOCUMENTS, body_class

router = APIRouter(prefix="/api/indices")


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: StrictStr = Field(min_length=1, max_length=4000)
    index_names: list[StrictStr] = Field(min_length=1, max_length=50)
    top_k: int = Field(default=5, ge=1, le=200)


class HybridBody(SearchBody):
    weight_accurate: float = Field(default=0.3, ge=0.0, le=1.0)
    fusion: str = Field(default="normalize", pattern="^(normalize|rrf)$")


class Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    filename: StrictStr = ""
    title: StrictStr = ""
    languages: list[StrictStr] = Field(default_factory=list)
    author: StrictStr = ""
    date: StrictStr = ""
    file_size: int = 0
    creation_date: StrictStr = ""


class ResultBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: Metadata = Field(default_factory=Metadata)
    source: StrictStr = Field(min_length=1, max_length=1024)
    text: StrictStr
    source_type: StrictStr = ""


class DocumentsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: StrictStr = ""
    results: list[ResultBody] = Field(min_length=1, max_length=1000)
    chunking_strategy: StrictStr = ""


class DeleteDocumentsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path_or_url: StrictStr = Field(min_length=1, max_length=2048)


@router.get("/health", response_model=IndicesHealth)
async def health(principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """Whether the search backend answers, and how many indices exist."""
    reply = await clients.call(clients.retrieval.GetHealth, common_pb2.Empty())
    return {
        "status": reply.status,
        "elasticsearch": "connected" if reply.connected else "disconnected",
        "backend": reply.backend,
        "indices_count": reply.indices_count,
    }


@router.get("", response_model=IndexList, response_model_exclude_unset=True)
async def list_indices(
    principal: CurrentPrincipal,
    clients: Clients,
    pattern: str = Query(default="*", max_length=256),
    include_stats: bool = Query(default=False),
) -> dict[str, Any]:
    """The company's index names (and stats with include_stats)."""
    reply = await clients.call(
        clients.retrieval.ListIndices, retrieval_pb2.ListIndicesRequest(pattern=pattern, include_stats=include_stats)
    )
    body: dict[str, Any] = {"indices": [i.name for i in reply.indices], "count": len(reply.indices)}
    if include_stats:
        body["indices_info"] = [
            {"name": i.name, "stats": {"docs": i.stats.docs, "size": i.stats.size}} for i in reply.indices
        ]
    return body


@router.post("/search/accurate", response_model=SearchResults, response_model_exclude_unset=True)
async def search_accurate(principal: CurrentPrincipal, clients: Clients, body: SearchBody) -> dict[str, Any]:
    """BM25 over the named indices."""
    return await _search(clients, body, retrieval_pb2.SEARCH_MODE_ACCURATE)


@router.post("/search/semantic", response_model=SearchResults, response_model_exclude_unset=True)
async def search_semantic(principal: CurrentPrincipal, clients: Clients, body: SearchBody) -> dict[str, Any]:
    """Cosine kNN over the named indices."""
    return await _search(clients, body, retrieval_pb2.SEARCH_MODE_SEMANTIC)


@router.post("/search/hybrid", response_model=SearchResults, response_model_exclude_unset=True)
async def search_hybrid(principal: CurrentPrincipal, clients: Clients, body: HybridBody) -> dict[str, Any]:
    """Both, normalised and fused with weight_accurate (or reciprocal rank fusion with fusion=rrf)."""
    return await _search(clients, body, retrieval_pb2.SEARCH_MODE_HYBRID)


async def _search(clients: ServiceClients, body: SearchBody, mode: int) -> dict[str, Any]:
    search = retrieval_pb2.SearchRequest(
        mode=mode,
        index_names=body.index_names,
        query=body.query,
        top_k=body.top_k,  # type: ignore[arg-type]
    )
    if isinstance(body, HybridBody):
        search.weight_accurate = body.weight_accurate
        search.fusion = retrieval_pb2.FUSION_RRF if body.fusion == "rrf" else retrieval_pb2.FUSION_NORMALIZE
    reply = await clients.call(clients.retrieval.Search, search)
    results = []
    for hit in reply.results:
        item: dict[str, Any] = {
            "id": hit.id,
            "title": hit.title,
            "content": hit.content,
            "score": hit.score,
            "index": hit.index,
            "path_or_url": hit.source_id,
            "filename": hit.filename,
        }
        if mode == retrieval_pb2.SEARCH_MODE_HYBRID:
            item["score_details"] = {"accurate": hit.score_details.accurate, "semantic": hit.score_details.semantic}
        results.append(item)
    return {"results": results, "total": reply.total, "query_time_ms": round(reply.query_time_ms, 3)}


@router.post("/{index_name}", response_model=IndexCreated)
async def create_index(
    principal: CurrentPrincipal,
    clients: Clients,
    index_name: str,
    embedding_dim: int | None = Query(default=None, ge=1),
) -> dict[str, Any]:
    """Create an index (embedding_dim defaults to the embedding model's)."""
    reply = await clients.call(
        clients.retrieval.CreateIndex,
        retrieval_pb2.CreateIndexRequest(index_name=index_name, embedding_dim=embedding_dim or 0),
    )
    message = f"Index {index_name} created successfully" if reply.created else f"Index {index_name} already exists"
    return {"status": "success", "message": message, "embedding_dim": reply.embedding_dim}


@router.delete("/{index_name}", response_model=Status)
async def delete_index(principal: CurrentPrincipal, clients: Clients, index_name: str) -> dict[str, Any]:
    """Delete an index with its chunks and tasks."""
    await clients.call(clients.retrieval.DeleteIndex, retrieval_pb2.DeleteIndexRequest(index_name=index_name))
    return {"status": "success", "message": f"Index {index_name} deleted successfully"}


@router.get("/{index_name}/info", response_model=IndexInfo, response_model_exclude_unset=True)
async def index_info(
    principal: CurrentPrincipal,
    clients: Clients,
    index_name: str,
    include_files: bool = Query(default=True),
    include_chunks: bool = Query(default=False),
) -> dict[str, Any]:
    """Stats, search performance, fields, and the files with their status (and chunks)."""
    info = await clients.call(
        clients.retrieval.GetIndexInfo,
        retrieval_pb2.GetIndexInfoRequest(
            index_name=index_name, include_files=include_files, include_chunks=include_chunks
        ),
    )
    body: dict[str, Any] = {
        "base_info": {
            "docs": info.base_info.docs,
            "size": info.base_info.size,
            "embedding_dim": info.embedding_dim,
            "embedding_model": info.embedding_model,
        },
        "search_performance": {"query_time": round(info.query_time_ms, 3), "hits": info.hits},
        "fields": {name: {"type": kind} for name, kind in info.fields.items()},
    }
    if include_files:
        body["files"] = [_file(f, include_chunks) for f in info.files]
    return body


def _file(item: retrieval_pb2.IndexedFile, include_chunks: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path_or_url": item.path_or_url,
        "file": item.file,
        "file_size": item.file_size,
        "create_time": item.create_time.ToDatetime().isoformat() + "Z",
        "status": item.status,
        "chunks_count": item.chunks_count,
    }
    if include_chunks:
        out["chunks"] = [
            {
                "id": c.id,
                "title": c.title,
                "content": c.content,
                "create_time": c.create_time.ToDatetime().isoformat() + "Z",
            }
            for c in item.chunks
        ]
    return out


@router.post("/{index_name}/documents", response_model=Indexed, openapi_extra=body_class(DOCUMENTS))
async def index_documents(
    principal: CurrentPrincipal, clients: Clients, index_name: str, body: DocumentsBody
) -> dict[str, Any]:
    """Chunk, embed and index parsed results given directly (created on first use)."""
    results = []
    for item in body.results:
        meta = item.metadata
        results.append(
            retrieval_pb2.DocumentResult(
                source=item.source,
                text=item.text,
                source_type=item.source_type,
                metadata=retrieval_pb2.DocumentMetadata(
                    filename=meta.filename,
                    title=meta.title,
                    languages=meta.languages,
                    author=meta.author,
                    date=meta.date,
                    file_size=meta.file_size,
                    creation_date=meta.creation_date,
                ),
            )
        )
    reply = await clients.call(
        clients.retrieval.IndexDocuments,
        retrieval_pb2.IndexDocumentsRequest(
            index_name=index_name, task_id=body.task_id, results=results, chunking_strategy=body.chunking_strategy
        ),
        timeout_s=300.0,
    )
    return {
        "success": True,
        "message": f"Indexed {reply.total_indexed} chunks from {reply.total_submitted} documents",
        "total_indexed": reply.total_indexed,
        "total_submitted": reply.total_submitted,
    }


@router.delete("/{index_name}/documents", response_model=DocumentsDeleted)
async def delete_documents(
    principal: CurrentPrincipal,
    clients: Clients,
    index_name: str,
    body: Annotated[DeleteDocumentsBody | None, Body()] = None,
    path_or_url: str = Query(default="", max_length=2048),
) -> dict[str, Any]:
    """Remove one source's chunks (path_or_url in the body, or as a query parameter)."""
    target = body.path_or_url if body is not None else path_or_url
    reply = await clients.call(
        clients.retrieval.DeleteDocuments,
        retrieval_pb2.DeleteDocumentsRequest(index_name=index_name, path_or_url=target),
    )
    return {"status": "success", "deleted_count": reply.deleted_count}

"""Retrieval-augmented generation: which knowledge an app uses, searching it, and the context it adds."""

from __future__ import annotations

from typing import Any

import structlog
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError

log = structlog.get_logger(__name__)
RESOURCE_INDEX = "_mesh_resources"
CONTEXT_HEADER = (
    "Use the following context to answer. If it does not contain the answer, say so instead of guessing.\n"
    "<context>\n{context}\n</context>"
)


def knowledge_plan(config: dict[str, Any], knowledge_file_ids: list[str]) -> tuple[list[str], list[str], int]:
    """(index names, restrict-to source ids, top_k) that an app's config asks to search."""
    dataset_configs = config.get("dataset_configs") or {}
    datasets = ((dataset_configs.get("datasets") or {}).get("datasets")) or []
    names = [
        str(d["dataset"]["id"])
        for d in datasets
        if isinstance(d, dict)
        and isinstance(d.get("dataset"), dict)
        and d["dataset"].get("id")
        and d["dataset"].get("enabled", True)
    ]
    top_k = int(dataset_configs.get("top_k") or 4)
    if knowledge_file_ids:
        return [*names, RESOURCE_INDEX], list(knowledge_file_ids), top_k
    return names, [], top_k


class KnowledgeReader:
    """Searches the retrieval service for the context of one turn."""

    def __init__(self, *, stub: retrieval_pb2_grpc.RetrievalServiceStub, timeout_s: float) -> None:
        self.stub = stub
        self.timeout_s = timeout_s

    async def retrieve(
        self, *, principal: Principal, index_names: list[str], source_ids: list[str], query: str, top_k: int
    ) -> list[dict[str, Any]]:
        """Hybrid search; a retrieval failure leaves the turn without context rather than failing it."""
        request = retrieval_pb2.SearchRequest(
            mode=retrieval_pb2.SEARCH_MODE_HYBRID,
            index_names=index_names,
            query=query,
            top_k=top_k,
            source_ids=source_ids,
        )
        try:
            reply = await grpc_client.unary(self.stub.Search, request, timeout_s=self.timeout_s, principal=principal)
        except MeshError as error:
            log.warning("knowledge_search_failed", reason=error.reason, indices=index_names)
            return []
        return [
            {
                "position": position,
                "dataset_id": hit.index,
                "dataset_name": hit.index,
                "document_id": hit.source_id,
                "document_name": hit.filename or hit.title,
                "segment_id": hit.id,
                "score": hit.score,
                "content": hit.content,
                "title": hit.title or hit.filename,
                "source_type": hit.source_type or "file",
                "score_details": {"accurate": hit.score_details.accurate, "semantic": hit.score_details.semantic},
            }
            for position, hit in enumerate(reply.results, start=1)
        ]


def context_prompt(resources: list[dict[str, Any]]) -> str:
    """The system-prompt block that carries the retrieved chunks."""
    parts = [f"[{r['position']}] {r['title']}\n{r['content']}" for r in resources]
    return CONTEXT_HEADER.format(context="\n\n".join(parts))

"""Retrieval-augmented generation: which knowledge an app uses, searching it, and the context it adds.

Files mounted on a mini program go whole into every turn (lbai: 被勾选的文档内容将全量带入到每次对话中), read as
parsed text from retrieval, so a file needs no training first; only what does not fit the window is searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc

from services.chat.generation.prompt import estimate_tokens
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError

log = structlog.get_logger(__name__)
RESOURCE_INDEX = "_mesh_resources"
CONTEXT_HEADER = (
    "Use the following context to answer. If it does not contain the answer, say so instead of guessing.\n"
    "<context>\n{context}\n</context>"
)
MOUNTED_HEADER = "Documents mounted on this assistant; use them when they help.\n<documents>\n{documents}\n</documents>"
MAX_MOUNTED = 100  # GetParsedText's limit per call


@dataclass(frozen=True)
class MountedText:
    """The parsed text of one mounted file."""

    file_id: str
    name: str
    text: str
    truncated: bool


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

    async def mounted(self, *, principal: Principal, file_ids: list[str], max_chars: int) -> list[MountedText]:
        """The parsed text of each mounted file that has one; unreadable or deleted files are skipped."""
        request = retrieval_pb2.GetParsedTextRequest(object_ids=file_ids[:MAX_MOUNTED], max_chars=max_chars)
        try:
            reply = await grpc_client.unary(
                self.stub.GetParsedText, request, timeout_s=self.timeout_s, principal=principal
            )
        except MeshError as error:
            log.warning("mounted_text_failed", reason=error.reason, files=len(file_ids))
            return []
        texts = []
        for parsed in reply.texts:
            if parsed.error:
                log.info("mounted_file_without_text", file_id=parsed.object_id, error=parsed.error)
            elif parsed.text.strip():
                texts.append(MountedText(parsed.object_id, parsed.file_name, parsed.text, parsed.truncated))
        return texts


def mounted_prompt(texts: list[MountedText], *, max_tokens: int) -> tuple[str, bool]:
    """The system-prompt block with the mounted documents cut to max_tokens, and whether any text was left out."""
    parts: list[str] = []
    budget, cut = max_tokens, False
    for doc in texts:
        cost = estimate_tokens(doc.text)
        text = doc.text
        if cost > budget:
            text, cut = text[: max(0, len(text) * budget // cost)], True
        cut = cut or doc.truncated
        if text.strip():
            parts.append(f"<document name={doc.name or doc.file_id!r}>\n{text}\n</document>")
            budget -= estimate_tokens(text)
    return (MOUNTED_HEADER.format(documents="\n".join(parts)) if parts else ""), cut


def context_prompt(resources: list[dict[str, Any]]) -> str:
    """The system-prompt block that carries the retrieved chunks."""
    parts = [f"[{r['position']}] {r['title']}\n{r['content']}" for r in resources]
    return CONTEXT_HEADER.format(context="\n\n".join(parts))

"""The caller's resource library (NextConsole): hybrid search grouped by resource, or a name and keyword match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kit.clock import as_utc
from services.kit.context import Principal
from services.kit.errors import InvalidArgument
from services.retrieval.engine.tokenize import normalize
from services.retrieval.names import RESOURCES_INDEX
from services.retrieval.search import MAX_TOP_K, Searcher
from services.retrieval.store import RetrievalStore


@dataclass(frozen=True)
class ResourceMatch:
    resource_id: str
    name: str
    size: int
    snippet: str
    score: float
    author_id: int
    created_at: datetime

    @property
    def format(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""


class ResourceLibrary:
    """Searches the caller's _mesh_resources index."""

    def __init__(self, *, store: RetrievalStore, searcher: Searcher) -> None:
        self.store = store
        self.searcher = searcher

    async def search(
        self, *, principal: Principal, keyword: str, rag_enhance: bool, page: int, size: int
    ) -> tuple[list[ResourceMatch], int]:
        """A page of matching resources, best first, and the total."""
        keyword = keyword.strip()
        if not keyword:
            raise InvalidArgument("resource_keyword is required", field="resource_keyword")
        if page < 1 or not 1 <= size <= 200:
            raise InvalidArgument("page_num must be at least 1 and page_size between 1 and 200", field="page_size")
        index = await self.store.find_index(principal=principal, name=RESOURCES_INDEX)
        if index is None:
            return [], 0
        documents = {d.source_id: d for d in await self.store.documents(index_id=index.id) if d.stage}
        found: dict[str, ResourceMatch] = {}

        def add(source_id: str, snippet: str, score: float) -> None:
            doc = documents.get(source_id)
            if doc is None or source_id in found:
                return
            found[source_id] = ResourceMatch(
                doc.object_id or doc.source_id,
                doc.file_name,
                doc.file_size,
                snippet,
                score,
                doc.user_id,
                as_utc(doc.created_at),
            )

        mode = "hybrid" if rag_enhance else "accurate"
        if not rag_enhance:
            needle = normalize(keyword)
            for doc in documents.values():
                if needle in normalize(doc.file_name):
                    add(doc.source_id, "", 1.0)
        hits, _ = await self.searcher.search(
            principal=principal,
            index_names=[RESOURCES_INDEX],
            query=keyword,
            mode=mode,
            top_k=MAX_TOP_K,
            allow_reserved=True,
        )
        for hit in hits:
            if hit.score > 0:
                add(hit.chunk.source_id, hit.chunk.content[:300], hit.score)
        ordered = list(found.values())
        start = (page - 1) * size
        return ordered[start : start + size], len(ordered)

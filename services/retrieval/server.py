"""gRPC servicer for retrieval: translates proto messages to domain calls and back, nothing more."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from meshconsole.common.v1 import common_pb2
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc

from services.kit.context import require_principal
from services.kit.errors import FailedPrecondition, InvalidArgument
from services.retrieval import convert
from services.retrieval.indexing import SourceText
from services.retrieval.peers import Peers
from services.retrieval.resources import ResourceLibrary
from services.retrieval.search import Searcher
from services.retrieval.service import IndexService
from services.retrieval.tasks import TaskService, TaskSpec

_MODES = {
    retrieval_pb2.SEARCH_MODE_UNSPECIFIED: "hybrid",
    retrieval_pb2.SEARCH_MODE_ACCURATE: "accurate",
    retrieval_pb2.SEARCH_MODE_SEMANTIC: "semantic",
    retrieval_pb2.SEARCH_MODE_HYBRID: "hybrid",
}


_caller = require_principal


def _page(page: common_pb2.PageRequest, default_limit: int) -> tuple[int, int]:
    return page.page or 1, page.limit or default_limit


def _spec(source: retrieval_pb2.TaskSource) -> TaskSpec:
    params = json_format.MessageToDict(source.additional_params) if source.HasField("additional_params") else {}
    return TaskSpec(source.source, source.source_type, source.chunking_strategy, source.index_name, params)


class RetrievalServicer(retrieval_pb2_grpc.RetrievalServiceServicer):
    """Thin adapter over the index, search, task and resource services."""

    def __init__(
        self,
        *,
        indices: IndexService,
        searcher: Searcher,
        tasks: TaskService,
        resources: ResourceLibrary,
        backend: str,
        peers: Peers | None = None,
    ) -> None:
        self.indices, self.searcher, self.tasks, self.resources = indices, searcher, tasks, resources
        self.backend = backend
        self.peers = peers

    async def CreateIndex(self, request: Any, context: Any) -> retrieval_pb2.CreateIndexResponse:
        row, created = await self.indices.create_index(
            principal=_caller(),
            name=request.index_name,
            dim=request.embedding_dim,
            model=request.embedding_model,
            app_id=request.app_id,
        )
        return retrieval_pb2.CreateIndexResponse(index_name=row.name, embedding_dim=row.embedding_dim, created=created)

    async def DeleteIndex(self, request: Any, context: Any) -> common_pb2.Empty:
        await self.indices.delete_index(principal=_caller(), name=request.index_name)
        return common_pb2.Empty()

    async def ListIndices(self, request: Any, context: Any) -> retrieval_pb2.ListIndicesResponse:
        rows = await self.indices.list_indices(principal=_caller(), pattern=request.pattern)
        out = retrieval_pb2.ListIndicesResponse()
        for row, stats, sources in rows:
            summary = out.indices.add(name=row.name, embedding_dim=row.embedding_dim)
            if request.include_stats and stats is not None:
                summary.stats.CopyFrom(convert.stats(stats, sources=sources))
        return out

    async def GetIndexInfo(self, request: Any, context: Any) -> retrieval_pb2.IndexInfo:
        view = await self.indices.info(
            principal=_caller(),
            name=request.index_name,
            include_files=request.include_files,
            include_chunks=request.include_chunks,
        )
        index = view.index
        out = retrieval_pb2.IndexInfo(
            index_name=index.name,
            base_info=convert.stats(view.stats, sources=view.sources),
            query_time_ms=index.query_ms_total / index.query_count if index.query_count else 0.0,
            hits=index.query_count,
            embedding_dim=index.embedding_dim,
            embedding_model=index.embedding_model,
            fields={
                "id": "keyword",
                "source_id": "keyword",
                "title": "text",
                "content": "text",
                "tokens": "text",
                "filename": "keyword",
                "vector": "dense_vector",
            },
        )
        for item in view.files:
            doc = item.document
            out.files.add(
                path_or_url=doc.source_id,
                file=doc.file_name,
                file_size=doc.file_size,
                create_time=convert.timestamp(doc.created_at),
                status=item.status,
                chunks=[convert.chunk(c) for c in item.chunks],
                chunks_count=doc.chunks_count + doc.qa_count,
            )
        return out

    async def GetHealth(self, request: Any, context: Any) -> retrieval_pb2.HealthResponse:
        connected, count = await self.indices.health()
        return retrieval_pb2.HealthResponse(
            status="healthy" if connected else "unhealthy",
            backend=self.backend,
            connected=connected,
            indices_count=count,
        )

    async def IndexDocuments(self, request: Any, context: Any) -> retrieval_pb2.IndexDocumentsResponse:
        results = [
            SourceText(
                source_id=r.source,
                text=r.text,
                file_name=r.metadata.filename,
                title=r.metadata.title,
                source_type=r.source_type,
                file_size=r.metadata.file_size,
                metadata={k: v for k, v in json_format.MessageToDict(r.metadata).items() if k != "extra"},
            )
            for r in request.results
        ]
        total = await self.indices.index_documents(
            principal=_caller(),
            name=request.index_name,
            results=results,
            strategy=request.chunking_strategy,
            task_id=request.task_id,
        )
        return retrieval_pb2.IndexDocumentsResponse(total_indexed=total, total_submitted=len(results))

    async def DeleteDocuments(self, request: Any, context: Any) -> retrieval_pb2.DeleteDocumentsResponse:
        count = await self.indices.delete_documents(
            principal=_caller(), name=request.index_name, path_or_url=request.path_or_url
        )
        return retrieval_pb2.DeleteDocumentsResponse(deleted_count=count)

    async def DeleteBySource(self, request: Any, context: Any) -> retrieval_pb2.DeleteBySourceResponse:
        principal = _caller()
        count = await self.indices.delete_by_source(
            company_id=principal.company_id,
            source_ids=list(request.source_ids),
            user_id=None if principal.is_company_wide else principal.user_id,
        )
        return retrieval_pb2.DeleteBySourceResponse(deleted_count=count)

    async def GetParsedText(self, request: Any, context: Any) -> retrieval_pb2.GetParsedTextResponse:
        ids = list(dict.fromkeys(request.object_ids))
        if not ids or len(ids) > 100:
            raise InvalidArgument("object_ids must name 1 to 100 objects", field="object_ids")
        if self.peers is None:
            raise FailedPrecondition("files is not reachable", reason="files_unavailable")
        texts = await self.peers.parsed_texts(principal=_caller(), object_ids=ids, max_chars=request.max_chars)
        by_id = {t[0]: t for t in texts}
        return retrieval_pb2.GetParsedTextResponse(
            texts=[
                retrieval_pb2.ParsedText(
                    object_id=i, file_name=by_id[i][1], text=by_id[i][2], truncated=by_id[i][3], error=by_id[i][4]
                )
                for i in request.object_ids
            ]
        )

    async def Search(self, request: Any, context: Any) -> retrieval_pb2.SearchResponse:
        if request.mode not in _MODES:
            raise InvalidArgument("unknown search mode", field="mode")
        hits, ms = await self.searcher.search(
            principal=_caller(),
            index_names=list(request.index_names),
            query=request.query,
            mode=_MODES[request.mode],
            top_k=request.top_k or 5,
            weight_accurate=request.weight_accurate if request.HasField("weight_accurate") else 0.3,
            fusion="rrf" if request.fusion == retrieval_pb2.FUSION_RRF else "normalize",
            score_threshold=request.score_threshold if request.HasField("score_threshold") else None,
            source_ids=list(request.source_ids) or None,
        )
        return retrieval_pb2.SearchResponse(results=[convert.hit(h) for h in hits], total=len(hits), query_time_ms=ms)

    async def CreateTask(self, request: Any, context: Any) -> retrieval_pb2.Task:
        principal = _caller()
        (task_id,) = await self.tasks.create(principal=principal, specs=[_spec(request.source)])
        return convert.task(await self.tasks.get(principal=principal, task_id=task_id))

    async def CreateTasks(self, request: Any, context: Any) -> retrieval_pb2.CreateTasksResponse:
        ids = await self.tasks.create(principal=_caller(), specs=[_spec(s) for s in request.sources], batch=True)
        return retrieval_pb2.CreateTasksResponse(task_ids=ids)

    async def GetTask(self, request: Any, context: Any) -> retrieval_pb2.Task:
        row = await self.tasks.get(principal=_caller(), task_id=request.task_id)
        return convert.task(row, include_results=request.include_results)

    async def ListTasks(self, request: Any, context: Any) -> retrieval_pb2.ListTasksResponse:
        page, limit = _page(request.page, 100)
        rows, total = await self.tasks.list_tasks(
            principal=_caller(), index_name=request.index_name, status=request.status, page=page, limit=limit
        )
        info = common_pb2.PageInfo(page=page, limit=limit, total=total, has_more=page * limit < total)
        return retrieval_pb2.ListTasksResponse(tasks=[convert.task(r) for r in rows], page=info)

    async def ListIndexTasks(self, request: Any, context: Any) -> retrieval_pb2.ListIndexTasksResponse:
        rows = await self.tasks.index_tasks(
            principal=_caller(), index_name=request.index_name, active_only=request.active_only
        )
        files = [
            retrieval_pb2.SourceStatus(path_or_url=r.object_id or r.source, status=r.status, task_id=r.id)  # type: ignore[arg-type]
            for r in rows
        ]
        return retrieval_pb2.ListIndexTasksResponse(index_name=request.index_name, files=files)

    async def SearchResources(self, request: Any, context: Any) -> retrieval_pb2.SearchResourcesResponse:
        page, size = _page(request.page, 50)
        matches, total = await self.resources.search(
            principal=_caller(),
            keyword=request.resource_keyword,
            rag_enhance=request.rag_enhance if request.HasField("rag_enhance") else True,
            page=page,
            size=size,
        )
        data = [
            retrieval_pb2.ResourceHit(
                resource_id=m.resource_id,
                resource_name=m.name,
                resource_format=m.format,
                resource_size=m.size,
                snippet=m.snippet,
                score=m.score,
                author_id=m.author_id,
                create_time=convert.timestamp(m.created_at),
            )
            for m in matches
        ]
        authors = list(dict.fromkeys(m.author_id for m in matches))
        return retrieval_pb2.SearchResourcesResponse(data=data, author_ids=authors, total=total)

    async def RebuildResources(self, request: Any, context: Any) -> retrieval_pb2.RebuildResourcesResponse:
        count = await self.tasks.rebuild_resources(principal=_caller(), resource_ids=list(request.resource_ids))
        return retrieval_pb2.RebuildResourcesResponse(build_cnt=count)

    async def AddTraining(self, request: Any, context: Any) -> retrieval_pb2.TrainingItem:
        row = await self.tasks.add_training(
            principal=_caller(), object_id=request.object_id, file_name=request.file_name
        )
        return convert.training_item(row)

    async def ListTraining(self, request: Any, context: Any) -> retrieval_pb2.ListTrainingResponse:
        page, limit = _page(request.page, 10)
        rows, total = await self.tasks.list_training(
            principal=_caller(),
            results_only=request.view == retrieval_pb2.TRAINING_VIEW_RESULTS,
            page=page,
            limit=limit,
        )
        info = common_pb2.PageInfo(page=page, limit=limit, total=total, has_more=page * limit < total)
        return retrieval_pb2.ListTrainingResponse(items=[convert.training_item(r) for r in rows], page=info)

    async def RetryTraining(self, request: Any, context: Any) -> retrieval_pb2.TrainingItem:
        return convert.training_item(await self.tasks.retry_training(principal=_caller(), task_id=request.file_id))

"""Builtin tools: knowledge search over the run's indices, reading a mounted file, fetching a web page.

Each tool acts for the caller's principal, so retrieval and files apply their own tenancy to every call; the tools
also refuse what the run was not given (an index or file the agent is not configured with), whatever the model asks.
"""

from __future__ import annotations

import contextlib
from typing import Any

from meshconsole.files.v1 import files_pb2, files_pb2_grpc
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc

from services.chat.agents.toolbox import Tool, ToolFailure, ToolResult, schema
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError, NotFound

MAX_READ_CHARS = 200_000  # what a tool asks files for; the run's output budget cuts it further
RESOURCES_INDEX = "_mesh_resources"  # each user's resource library in retrieval (lbai cloud space)
MOUNTED_LABEL = "mounted_files"  # what the model and the citations call a mini program's mounted files


def _hit_resource(hit: Any, *, mounted: bool = False) -> dict[str, Any]:
    """A retrieval hit in the shape of a RetrieverResource (Dify retriever_resources, Nexent searches)."""
    return {
        "dataset_id": hit.index,
        "dataset_name": MOUNTED_LABEL if mounted else hit.index,
        "document_id": hit.source_id,
        "document_name": hit.filename or hit.title,
        "segment_id": hit.id,
        "score": hit.score,
        "content": hit.content,
        "title": hit.title or hit.filename,
        "source_type": hit.source_type or "file",
        "score_details": {"accurate": hit.score_details.accurate, "semantic": hit.score_details.semantic},
    }


def _hits_text(resources: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        f"[{n}] {r['title']} ({r['dataset_name']}, score {r['score']:.3f})\n{r['content']}"
        for n, r in enumerate(resources, start=1)
    )


def knowledge_tool(
    *,
    stub: retrieval_pb2_grpc.RetrievalServiceStub,
    principal: Principal,
    indices: list[str],
    top_k: int,
    timeout_s: float,
    mounted: list[str] | None = None,
) -> Tool:
    """Hybrid search over the agent's knowledge bases and the files its mini program mounts; hits come back numbered.

    Mounted files are searched in the caller's own resource library (retrieval scopes `_mesh_resources` to the
    caller's user), restricted to the mounted ids: a file someone else mounted is never reached through this tool.
    """
    mounted = list(mounted or [])
    offered = [*indices, *([MOUNTED_LABEL] if mounted else [])]

    async def search(query: str, names: list[str], source_ids: list[str]) -> list[dict[str, Any]]:
        request = retrieval_pb2.SearchRequest(
            mode=retrieval_pb2.SEARCH_MODE_HYBRID, index_names=names, query=query, top_k=top_k, source_ids=source_ids
        )
        reply = await grpc_client.unary(stub.Search, request, timeout_s=timeout_s, principal=principal)
        return [_hit_resource(hit, mounted=bool(source_ids)) for hit in reply.results]

    async def run(args: dict[str, Any]) -> ToolResult:
        query = str(args.get("query") or "").strip()
        if not query:
            raise ToolFailure("query must not be empty")
        asked = args.get("index_names") or args.get("knowledge_base")
        names = [str(n) for n in (asked if isinstance(asked, list) else [asked] if asked else offered)]
        refused = [n for n in names if n not in offered]
        if refused:
            choices = ", ".join(offered)
            raise ToolFailure(f"knowledge base {refused[0]!r} is not available to this agent; use: {choices}")
        named = [n for n in names if n != MOUNTED_LABEL]
        resources: list[dict[str, Any]] = []
        if named:
            try:
                resources.extend(await search(query, named, []))
            except NotFound:
                raise ToolFailure(f"knowledge base {', '.join(named)} does not exist") from None
        if MOUNTED_LABEL in names:
            with contextlib.suppress(NotFound):  # no resource library yet: none of the caller's files is indexed
                resources.extend(await search(query, [RESOURCES_INDEX], mounted))
        resources = sorted(resources, key=lambda r: -float(r["score"]))[:top_k]
        scope = ", ".join(names)
        if not resources:
            return ToolResult(f"no passage of {scope} matches {query!r}")
        return ToolResult(_hits_text(resources), resources=resources)

    return Tool(
        name="knowledge_search",
        description=f"Search the knowledge bases ({', '.join(offered)}) for passages about a question.",
        parameters=schema(
            {
                "query": {"type": "string", "description": "what to look for"},
                "index_names": {"type": "array", "items": {"type": "string", "enum": offered}},
            },
            ["query"],
        ),
        handler=run,
    )


async def _extract(
    stub: files_pb2_grpc.FilesServiceStub,
    request: files_pb2.ExtractTextRequest,
    *,
    principal: Principal,
    timeout_s: float,
) -> str:
    """The text files extracts for one object or URL; its error event becomes the tool's failure."""
    pieces: list[str] = []
    events = grpc_client.server_stream(
        stub.ExtractText, request, timeout_s=timeout_s, idle_timeout_s=timeout_s, principal=principal
    )
    async for event in events:
        kind = event.WhichOneof("event")
        if kind == "text":
            pieces.append(event.text.text)
        elif kind == "error":
            raise ToolFailure(f"{event.error.message or event.error.reason}")
    return "".join(pieces)


async def _object_id(
    stub: files_pb2_grpc.FilesServiceStub, file_id: str, *, principal: Principal, timeout_s: float
) -> str:
    """The object id files extracts by: Nexent's minio_files name objects by object_name, which files resolves
    for the caller (another user's name is not found)."""
    if file_id.isdigit():
        return file_id
    request = files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(object_name=file_id))
    info = await grpc_client.unary(stub.GetObject, request, timeout_s=timeout_s, principal=principal)
    return str(info.id)


def read_file_tool(
    *, stub: files_pb2_grpc.FilesServiceStub, principal: Principal, files: dict[str, str], timeout_s: float
) -> Tool:
    """The text of a file the conversation mounts (by id); other ids are refused."""
    listing = ", ".join(f"{file_id} ({name})" if name else file_id for file_id, name in files.items())

    async def run(args: dict[str, Any]) -> ToolResult:
        file_id = str(args.get("file_id") or "").strip()
        if file_id not in files:
            by_name = [i for i, name in files.items() if name and name == file_id]
            if not by_name:
                raise ToolFailure(f"file {file_id!r} is not attached to this conversation; the files are: {listing}")
            file_id = by_name[0]
        try:
            object_id = await _object_id(stub, file_id, principal=principal, timeout_s=timeout_s)
            request = files_pb2.ExtractTextRequest(object_ids=[object_id], max_chars=MAX_READ_CHARS)
            text = await _extract(stub, request, principal=principal, timeout_s=timeout_s)
        except NotFound:
            raise ToolFailure(f"file {file_id} no longer exists") from None
        return ToolResult(text or f"file {file_id} has no readable text")

    return Tool(
        name="read_file",
        description=f"Read the text of a file attached to this conversation. Files: {listing}.",
        parameters=schema({"file_id": {"type": "string", "enum": list(files)}}, ["file_id"]),
        handler=run,
    )


def web_fetch_tool(*, stub: files_pb2_grpc.FilesServiceStub, principal: Principal, timeout_s: float) -> Tool:
    """A web page as readable text, fetched by the files service's SSRF-safe fetcher."""

    async def run(args: dict[str, Any]) -> ToolResult:
        url = str(args.get("url") or "").strip()
        if not url:
            raise ToolFailure("url must not be empty")
        try:
            text = await _extract(
                stub,
                files_pb2.ExtractTextRequest(urls=[url], max_chars=MAX_READ_CHARS),
                principal=principal,
                timeout_s=timeout_s,
            )
        except MeshError as error:
            raise ToolFailure(f"could not fetch {url}: {error.message}") from None
        except ToolFailure as failure:  # files' own answer for this URL (refused by the policy, not a page, …)
            raise ToolFailure(f"could not fetch {url}: {failure}") from None
        return ToolResult(text or f"{url} has no readable text")

    return Tool(
        name="web_fetch",
        description="Fetch a public web page (http or https) and return its readable text.",
        parameters=schema({"url": {"type": "string", "description": "the page's address"}}, ["url"]),
        handler=run,
    )

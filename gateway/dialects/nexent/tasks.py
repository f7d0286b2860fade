"""Nexent data-processing task routes (/api/tasks): create, batch, status, details, lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from google.protobuf import json_format
from meshconsole.common.v1 import common_pb2
from meshconsole.retrieval.v1 import retrieval_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nexent.schemas import IndexTasks, TaskCreated, TaskList, TasksCreated, TaskView
from gateway.fields import FreeForm
from services.kit.errors import InvalidArgument

router = APIRouter(prefix="/api/tasks")


class TaskBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: StrictStr = Field(min_length=1, max_length=2048)
    source_type: StrictStr = Field(default="file", max_length=64)
    chunking_strategy: StrictStr = Field(default="basic", max_length=64)
    index_name: StrictStr = Field(min_length=1, max_length=256)
    additional_params: FreeForm = Field(default_factory=dict)


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sources: list[TaskBody] = Field(min_length=1, max_length=100)


def _source(body: TaskBody) -> retrieval_pb2.TaskSource:
    source = retrieval_pb2.TaskSource(
        source=body.source,
        source_type=body.source_type,
        chunking_strategy=body.chunking_strategy,
        index_name=body.index_name,
    )
    json_format.ParseDict(body.additional_params, source.additional_params)
    return source


def status_name(status: int) -> str:
    """Nexent's status names: WAIT_FOR_PROCESSING, PROCESSING, FORWARDING, COMPLETED, FAILED…"""
    return retrieval_pb2.TaskStatus.Name(status).removeprefix("TASK_STATUS_")  # type: ignore[arg-type]


def task_view(task: retrieval_pb2.Task, *, results: bool = False) -> dict[str, Any]:
    """The seed's task object (plus where it came from)."""
    view: dict[str, Any] = {
        "id": task.id,
        "status": status_name(task.status),
        "created_at": task.created_at.ToDatetime().isoformat() + "Z",
        "updated_at": task.updated_at.ToDatetime().isoformat() + "Z",
        "error": task.error,
        "source": task.source.source,
        "index_name": task.source.index_name,
    }
    if results:
        view["results"] = json_format.MessageToDict(task.results)
    return view


@router.post("", response_model=TaskCreated)
async def create_task(principal: CurrentPrincipal, clients: Clients, body: TaskBody) -> dict[str, Any]:
    """Queue one source for parsing and indexing."""
    task = await clients.call(clients.retrieval.CreateTask, retrieval_pb2.CreateTaskRequest(source=_source(body)))
    return {"task_id": task.id}


@router.post("/batch", response_model=TasksCreated)
async def create_batch(principal: CurrentPrincipal, clients: Clients, body: BatchBody) -> dict[str, Any]:
    """Queue several sources; all are validated before any is queued."""
    reply = await clients.call(
        clients.retrieval.CreateTasks, retrieval_pb2.CreateTasksRequest(sources=[_source(s) for s in body.sources])
    )
    return {"task_ids": list(reply.task_ids)}


@router.get("", response_model=TaskList, response_model_exclude_unset=True)
async def list_tasks(
    principal: CurrentPrincipal,
    clients: Clients,
    index_name: str = Query(default="", max_length=256),
    status: str = Query(default="", max_length=32),
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    """The caller's tasks, newest first."""
    value = 0
    if status:
        key = "TASK_STATUS_" + status.upper()
        if key not in retrieval_pb2.TaskStatus.keys():
            raise InvalidArgument("unknown task status", field="status")
        value = retrieval_pb2.TaskStatus.Value(key)
    reply = await clients.call(
        clients.retrieval.ListTasks,
        retrieval_pb2.ListTasksRequest(
            index_name=index_name,
            status=value,
            page=common_pb2.PageRequest(page=1, limit=limit),  # type: ignore[arg-type]
        ),
    )
    return {"tasks": [task_view(t) for t in reply.tasks]}


@router.get("/indices/{index_name}/tasks", response_model=IndexTasks)
async def index_tasks(principal: CurrentPrincipal, clients: Clients, index_name: str) -> dict[str, Any]:
    """The active tasks of one index, one entry per source."""
    reply = await clients.call(
        clients.retrieval.ListIndexTasks, retrieval_pb2.ListIndexTasksRequest(index_name=index_name, active_only=True)
    )
    files = [{"path_or_url": f.path_or_url, "status": status_name(f.status), "task_id": f.task_id} for f in reply.files]
    return {"index_name": reply.index_name, "files": files}


@router.get("/{task_id}", response_model=TaskView, response_model_exclude_unset=True)
async def get_task(principal: CurrentPrincipal, clients: Clients, task_id: str) -> dict[str, Any]:
    """One task's status."""
    task = await clients.call(clients.retrieval.GetTask, retrieval_pb2.GetTaskRequest(task_id=task_id))
    return task_view(task)


@router.get("/{task_id}/details", response_model=TaskView, response_model_exclude_unset=True)
async def task_details(principal: CurrentPrincipal, clients: Clients, task_id: str) -> dict[str, Any]:
    """One task's status and results."""
    task = await clients.call(
        clients.retrieval.GetTask, retrieval_pb2.GetTaskRequest(task_id=task_id, include_results=True)
    )
    return task_view(task, results=True)

"""Index names: validation, the reserved internal indices, and task statuses."""

from __future__ import annotations

import re

from meshconsole.retrieval.v1 import retrieval_pb2

from services.kit.context import Principal
from services.kit.errors import InvalidArgument, NotFound

RESOURCES_INDEX = "_mesh_resources"  # the caller's resource library (NextConsole resources, lbai cloud space)
TRAINING_INDEX = "_mesh_training"  # the caller's lbai training ground
RESERVED = (RESOURCES_INDEX, TRAINING_INDEX)
MAX_NAME = 128
_NAME = re.compile(r"^[a-z0-9_-]{1,128}$")

WAITING = retrieval_pb2.TASK_STATUS_WAIT_FOR_PROCESSING
PROCESSING = retrieval_pb2.TASK_STATUS_PROCESSING
FORWARDING = retrieval_pb2.TASK_STATUS_FORWARDING
COMPLETED = retrieval_pb2.TASK_STATUS_COMPLETED
FAILED = retrieval_pb2.TASK_STATUS_FAILED
ACTIVE = (WAITING, PROCESSING, retrieval_pb2.TASK_STATUS_WAIT_FOR_FORWARDING, FORWARDING)


def status_name(status: int) -> str:
    """ "COMPLETED", "WAIT_FOR_PROCESSING", … (Nexent's names)."""
    return retrieval_pb2.TaskStatus.Name(status).removeprefix("TASK_STATUS_")  # type: ignore[arg-type]


def is_reserved(name: str) -> bool:
    return name in RESERVED


def check_name(name: str, *, allow_reserved: bool = False) -> str:
    """A valid public index name, or INVALID_ARGUMENT naming index_name (reserved ones only for internal callers)."""
    if is_reserved(name):
        if allow_reserved:
            return name
        raise InvalidArgument("index names starting with _mesh_ are reserved", field="index_name")
    if not _NAME.match(name or ""):
        raise InvalidArgument(
            "index_name must be 1-128 characters of lowercase letters, digits, '-' and '_'",
            reason="invalid_index_name",
            field="index_name",
        )
    return name


def scope_user(principal: Principal, name: str) -> int:
    """Company indices are shared by the company (0); reserved ones belong to one user."""
    return principal.user_id if is_reserved(name) else 0


def index_not_found(name: str) -> NotFound:
    return NotFound(f"index {name} not found", reason="index_not_found", field="index_name")

"""One error hierarchy for the mesh, mapped to rich gRPC status and back (the gateway maps it to HTTP)."""

from __future__ import annotations

from typing import Any, ClassVar

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "meshconsole"
_DETAILS_KEY = "grpc-status-details-bin"


class MeshError(Exception):
    """A failure with a gRPC code, a machine reason (e.g. app_not_found) and, for bad input, a field."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.UNKNOWN
    default_reason: ClassVar[str] = "internal_error"

    def __init_subclass__(cls, *, code: grpc.StatusCode | None = None, default_reason: str | None = None) -> None:
        super().__init_subclass__()
        if code is not None:
            cls.code = code
        if default_reason is not None:
            cls.default_reason = default_reason

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        field: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.field = field
        self.metadata = dict(metadata or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r}, field={self.field!r})"


class InvalidArgument(MeshError, code=grpc.StatusCode.INVALID_ARGUMENT, default_reason="invalid_param"):
    """Bad input; names the field."""


class NotFound(MeshError, code=grpc.StatusCode.NOT_FOUND, default_reason="not_found"):
    """Missing, or another tenant's."""


class AlreadyExists(MeshError, code=grpc.StatusCode.ALREADY_EXISTS, default_reason="already_exists"):
    """A name or id that is taken."""


class PermissionDenied(MeshError, code=grpc.StatusCode.PERMISSION_DENIED, default_reason="forbidden"):
    """Authenticated, but not allowed."""


class Unauthenticated(MeshError, code=grpc.StatusCode.UNAUTHENTICATED, default_reason="unauthorized"):
    """No valid credentials."""


class FailedPrecondition(MeshError, code=grpc.StatusCode.FAILED_PRECONDITION, default_reason="failed_precondition"):
    """Valid input the current state refuses."""


class ResourceExhausted(MeshError, code=grpc.StatusCode.RESOURCE_EXHAUSTED, default_reason="too_many_requests"):
    """A rate limit or quota."""


class Unavailable(MeshError, code=grpc.StatusCode.UNAVAILABLE, default_reason="service_unavailable"):
    """A dependency is down; worth a retry."""


class DeadlineExceeded(MeshError, code=grpc.StatusCode.DEADLINE_EXCEEDED, default_reason="deadline_exceeded"):
    """Took longer than allowed."""


class Internal(MeshError, code=grpc.StatusCode.INTERNAL, default_reason="internal_error"):
    """A defect of ours."""


_BY_CODE: dict[grpc.StatusCode, type[MeshError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        Unauthenticated,
        FailedPrecondition,
        ResourceExhausted,
        Unavailable,
        DeadlineExceeded,
        Internal,
    )
}


def to_rich_status(error: MeshError) -> grpc.Status:
    """Encode a MeshError as a google.rpc.Status with ErrorInfo (and BadRequest for a field)."""
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)
    details = [_pack(info)]
    if error.field:
        violation = error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.message)
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[violation])))
    status = status_pb2.Status(code=error.code.value[0], message=error.message, details=details)
    return rpc_status.to_status(status)


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def from_rpc_error(error: grpc.RpcError) -> MeshError:
    """Decode a failed call back into the MeshError the service raised."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = (error.details() if hasattr(error, "details") else None) or str(code)
    reason: str | None = None
    field: str | None = None
    metadata: dict[str, str] = {}
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key != _DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                if bad.field_violations:
                    field = bad.field_violations[0].field
    cls = _BY_CODE.get(code, Internal)
    if code == grpc.StatusCode.CANCELLED:
        cls = Unavailable
        reason = reason or "cancelled"
    return cls(message, reason=reason, field=field, metadata=metadata)


def error_for_code(code: int, message: str, *, reason: str) -> MeshError:
    """The MeshError for a numeric gRPC status code (as carried inside stream error events)."""
    status = next((s for s in grpc.StatusCode if s.value[0] == code), grpc.StatusCode.INTERNAL)
    return _BY_CODE.get(status, Internal)(message, reason=reason)

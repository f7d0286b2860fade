"""structlog logs with the request id, trace id, service and user bound from context: console or JSON lines."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog
from opentelemetry import trace

from services.kit.context import principal_var, request_id_var


def _add_request_context(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    request_id = request_id_var.get()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    principal = principal_var.get()
    if principal is not None and "user_id" not in event_dict:
        event_dict["user_id"] = principal.user_id
    return event_dict


def _add_trace_context(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """trace_id and span_id of the current span, so a log line leads to its trace."""
    span = trace.get_current_span().get_span_context()
    if span.is_valid and "trace_id" not in event_dict:
        event_dict["trace_id"] = format(span.trace_id, "032x")
        event_dict["span_id"] = format(span.span_id, "016x")
    return event_dict


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


def wants_json(log_format: str, *, stream: Any = None) -> bool:
    """JSON when asked, or with `auto` when the output is not a terminal (a file, a pipe, a log collector)."""
    if log_format in ("json", "console"):
        return log_format == "json"
    stream = stream or sys.stdout
    return not (hasattr(stream, "isatty") and stream.isatty())


def configure_logging(*, service: str, level: str = "INFO", log_format: str = "auto") -> None:
    """Route stdlib and structlog records to stdout: coloured lines on a terminal, else one JSON object per line."""
    log_level = logging.getLevelName(level.upper())
    if not isinstance(log_level, int):
        log_level = logging.INFO
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_request_context,
        _add_trace_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    as_json = wants_json(log_format)
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), sort_keys=False)
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            # The console renderer prints exceptions itself, readably.
            *([structlog.processors.format_exc_info] if as_json else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(log_level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Third-party libraries log through stdlib; render them the same way.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(log_level, logging.INFO) if log_level < logging.INFO else log_level)
    for noisy in ("uvicorn.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

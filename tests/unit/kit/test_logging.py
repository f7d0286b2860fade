"""Log output: console lines for people on a terminal, JSON lines otherwise or when asked, with trace ids."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from services.kit.logging import configure_logging, wants_json


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging binds the captured stdout; later tests must not write to it once it is closed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_means_console_on_a_terminal_and_json_elsewhere() -> None:
    assert not wants_json("auto", stream=_Terminal())
    assert wants_json("auto", stream=io.StringIO())
    assert wants_json("json", stream=_Terminal())
    assert not wants_json("console", stream=io.StringIO())


def test_json_lines_carry_the_service_and_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="unit", log_format="json")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        structlog.get_logger("t").info("inside", answer=42)
        logging.getLogger("third.party").warning("stdlib too")
    line, stdlib_line = (orjson.loads(x) for x in capsys.readouterr().out.splitlines())
    context = span.get_span_context()
    assert line["event"] == "inside" and line["answer"] == 42 and line["service"] == "unit"
    assert line["trace_id"] == format(context.trace_id, "032x") and line["span_id"] == format(context.span_id, "016x")
    assert stdlib_line["event"] == "stdlib too" and stdlib_line["trace_id"] == line["trace_id"]


def test_console_lines_are_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="unit", log_format="console")
    structlog.get_logger("t").info("gateway_started", port=8080)
    out = capsys.readouterr().out
    assert "gateway_started" in out and "port=8080" in out and not out.lstrip().startswith("{")

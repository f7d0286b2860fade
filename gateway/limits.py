"""Edge limits, checked before a route or authentication runs: body size per route class, strict JSON, parameters.

Each operation of the OpenAPI document belongs to a body class: BODY_CLASS in its `openapi_extra`, else upload for
a multipart body, else JSON:
a declared Content-Length over the class limit answers 413 at once, without reading a byte of the body; a body
without one is counted as it arrives. A JSON body is read (up to its limit) and checked by gateway.strict_json
before the route sees it; an upload is streamed through and stopped at its limit. Query and path parameters are
checked here too: integers must fit 32 bits (every proto integer they reach does), strings must be storable.
Every refusal is rendered in the caller's dialect by the ErrorMapper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.config import GatewaySettings
from gateway.errors import ErrorMapper
from gateway.strict_json import INT32_MAX, INT32_MIN, check_body, printable, text_problem
from services.kit.errors import InvalidArgument, MeshError, ResourceExhausted

BODY_CLASS = "x-mesh-body-class"
JSON, UPLOAD, DOCUMENTS = "json", "upload", "documents"
# Multipart framing around the files themselves (boundaries, part headers, small text fields).
MULTIPART_SLACK = 1024 * 1024
MAX_PATH_PARAM_CHARS = 2048
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def body_class(name: str) -> dict[str, Any]:
    """The openapi_extra marking a route's body class (UPLOAD or DOCUMENTS; JSON needs no marking)."""
    return {BODY_CLASS: name}


@dataclass(frozen=True)
class RouteRule:
    """What the edge checks for one operation: its body class and its integer query/path parameters."""

    body_class: str = JSON
    int_params: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Operation:
    method: str
    pattern: re.Pattern[str]
    # A path parameter declared {name:path} shows in the document as {name}: the last one may span slashes.
    spanning: re.Pattern[str]
    literal_chars: int
    rule: RouteRule


def _is_int(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer":
        return True
    return any(_is_int(option) for option in schema.get("anyOf", []) + schema.get("oneOf", []))


def _pattern(path: str, *, spanning: bool) -> re.Pattern[str]:
    parts = re.split(r"{([^}/]+)}", path)  # literal, name, literal, name, …, literal
    names = parts[1::2]
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        else:
            last = spanning and part == names[-1]
            regex += f"(?P<{part}>{'.+' if last else '[^/]+'})"
    return re.compile(regex)


def _operation(path: str, method: str, spec: dict[str, Any]) -> _Operation:
    ints = frozenset(
        str(param["name"])
        for param in spec.get("parameters", [])
        if param.get("in") in ("query", "path") and _is_int(param.get("schema", {}))
    )
    content = spec.get("requestBody", {}).get("content", {})
    kind = spec.get(BODY_CLASS) or (UPLOAD if "multipart/form-data" in content else JSON)
    return _Operation(
        method=method.upper(),
        pattern=_pattern(path, spanning=False),
        spanning=_pattern(path, spanning=True),
        literal_chars=len(re.sub(r"{[^}/]+}", "", path)),
        rule=RouteRule(body_class=str(kind), int_params=ints),
    )


class RouteTable:
    """The edge rule of every documented operation, read from the OpenAPI document (routes left out of it get
    the default rule)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.operations = [
            _operation(path, method, spec)
            for path, methods in document.get("paths", {}).items()
            for method, spec in methods.items()
            if isinstance(spec, dict)
        ]
        # The most literal template wins, as it does in routing (/api/tasks/indices/{x}/tasks over /api/tasks/{id}).
        self.operations.sort(key=lambda op: op.literal_chars, reverse=True)

    def match(self, method: str, path: str) -> tuple[RouteRule, dict[str, str]]:
        """The rule for this request and its path parameters; the default rule when nothing is documented."""
        for attribute in ("pattern", "spanning"):
            for operation in self.operations:
                found = getattr(operation, attribute).fullmatch(path)
                if found and operation.method == method:
                    return operation.rule, found.groupdict()
        return RouteRule(), {}


def body_too_large(limit: int) -> ResourceExhausted:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return ResourceExhausted(f"request body exceeds the {size} limit", reason="body_too_large", field="body")


def check_params(scope: Scope, rule: RouteRule, path_params: dict[str, str]) -> None:
    """Refuse path and query values that cannot be stored, and integers outside 32 bits, naming the parameter."""
    for name, value in path_params.items():
        if problem := text_problem(value):
            raise InvalidArgument(f"{name} {problem}", field=name)
        if len(value) > MAX_PATH_PARAM_CHARS:
            raise InvalidArgument(f"{name} is longer than {MAX_PATH_PARAM_CHARS} characters", field=name)
        _check_int(name, value, rule)
    for name, value in QueryParams(scope.get("query_string", b"")).multi_items():
        shown = printable(name)
        if problem := text_problem(name + value):
            raise InvalidArgument(f"{shown} {problem}", field=shown)
        _check_int(name, value, rule)


def _check_int(name: str, value: str, rule: RouteRule) -> None:
    if name not in rule.int_params or not _INTEGER.fullmatch(value):
        return
    digits = value.strip().lstrip("+-")
    if len(digits) > 10 or not INT32_MIN <= int(value) <= INT32_MAX:
        raise InvalidArgument(f"{name} is out of range (32-bit integers only)", field=name)


def _is_json(headers: Headers) -> bool:
    # FastAPI parses a body as JSON when it has no content type or a JSON one.
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return not kind or kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


class EdgeLimits:
    """ASGI middleware applying the limits above; the dialect's envelope for every refusal."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        openapi: Callable[[], dict[str, Any]],
        mapper: ErrorMapper,
        settings: GatewaySettings,
    ) -> None:
        self.app = app
        self.openapi = openapi
        self.mapper = mapper
        self.max_depth = settings.gateway_max_json_depth
        self.limits = {
            JSON: settings.gateway_max_json_body_kb * 1024,
            DOCUMENTS: settings.gateway_max_documents_body_mb * 1024 * 1024,
            UPLOAD: settings.gateway_max_body_mb * 1024 * 1024 + MULTIPART_SLACK,
        }
        self._table: RouteTable | None = None

    def match(self, scope: Scope) -> tuple[RouteRule, dict[str, str]]:
        if self._table is None:
            self._table = RouteTable(self.openapi())  # on first use: every route is included by then
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return self._table.match(scope["method"], path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule, path_params = self.match(scope)
        limit = self.limits.get(rule.body_class, self.limits[JSON])
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        try:
            check_params(scope, rule, path_params)
            number = declared is not None and declared.isascii() and declared.isdigit()
            if declared is not None and (not number or int(declared) > limit):
                if number:
                    raise body_too_large(limit)
                raise InvalidArgument("Content-Length must be a number of bytes", field="body")
        except MeshError as error:
            await self.refuse(scope, send, error)
            return
        if declared == "0" or (declared is None and "transfer-encoding" not in headers):
            await self.app(scope, receive, send)
        elif rule.body_class == UPLOAD:
            await self.streamed(scope, receive, send, limit)
        else:
            await self.buffered(scope, receive, send, limit, check=_is_json(headers))

    async def refuse(self, scope: Scope, send: Send, error: MeshError) -> None:
        response = self.mapper.render(Request(scope), error)
        await response(scope, _no_body, send)

    async def buffered(self, scope: Scope, receive: Receive, send: Send, limit: int, *, check: bool) -> None:
        """Read the whole body (refusing it past limit), check it as strict JSON, then hand it to the route."""
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self.refuse(scope, send, body_too_large(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if check and body:
            try:
                check_body(body, max_depth=self.max_depth)
            except MeshError as error:
                await self.refuse(scope, send, error)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: disconnects, which streaming responses watch for
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def streamed(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass an upload through as it arrives; past limit, stop reading and answer 413 whatever the route does."""
        received = 0
        exceeded: MeshError | None = None
        answered = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                exceeded = body_too_large(limit)
                raise exceeded
            return message

        async def guarded(message: Message) -> None:
            nonlocal answered
            if exceeded is None:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await self.refuse(scope, send, exceeded)

        try:
            await self.app(scope, counted, guarded)
        except MeshError:
            if exceeded is None:
                raise
            if not answered:
                await self.refuse(scope, send, exceeded)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}

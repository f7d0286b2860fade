"""The gateway's OpenAPI document: FastAPI's, plus the bearer scheme on every operation that authenticates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from gateway.auth import current_credential

BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A login JWT (NextConsole login_by_password), a minted token, or a user-/cpn- API key.",
}


def _authenticates(dependant: Any) -> bool:
    return any(sub.call is current_credential or _authenticates(sub) for sub in dependant.dependencies)


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside routers that newer FastAPI keeps as included-router entries."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from api_routes(included.routes)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document for app's routes, with `security: [{bearer: []}]` wherever a route needs a credential."""
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    schema.setdefault("components", {})["securitySchemes"] = {"bearer": BEARER}
    for route in api_routes(app.router.routes):
        if not (route.include_in_schema and _authenticates(route.dependant)):
            continue
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                operation["security"] = [{"bearer": []}]
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve build_openapi's document at /openapi.json (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Entry point: `python -m gateway` serves the gateway with uvicorn."""

from __future__ import annotations

from typing import Any

import uvicorn

from gateway.config import GatewaySettings
from gateway.main import create_app
from gateway.sockets import install_log_redaction
from services.kit.logging import configure_logging
from services.kit.tracing import configure_tracing


def main() -> None:
    settings = GatewaySettings()
    configure_logging(service="gateway", level=settings.log_level, log_format=settings.log_format)
    configure_tracing("gateway")  # exports over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    # uvicorn logs WebSocket paths with their query, where browsers put their token.
    install_log_redaction()
    # Several workers need the app as a factory each worker builds for itself.
    app: Any = create_app(settings) if settings.gateway_workers <= 1 else "gateway.main:create_app"
    uvicorn.run(
        app,
        factory=settings.gateway_workers > 1,
        workers=settings.gateway_workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


if __name__ == "__main__":
    main()

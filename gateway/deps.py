"""FastAPI dependencies every dialect shares: the typed service clients and the gateway's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.clients import ServiceClients
from gateway.config import GatewaySettings


def service_clients(request: Request) -> ServiceClients:
    """The process's one ServiceClients, opened in the app's lifespan."""
    clients: ServiceClients = request.app.state.clients
    return clients


def gateway_settings(request: Request) -> GatewaySettings:
    """The settings the app was created with."""
    settings: GatewaySettings = request.app.state.settings
    return settings


Clients = Annotated[ServiceClients, Depends(service_clients)]
Settings = Annotated[GatewaySettings, Depends(gateway_settings)]

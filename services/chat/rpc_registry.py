"""Model registry RPCs (Nexent /api/model/*, /api/me/*, Embed); proto <-> domain only."""

from __future__ import annotations

from services.chat.registry import ModelRegistry


class RegistryRpcs:
    """Mixin of ChatServicer for the model registry."""

    registry: ModelRegistry

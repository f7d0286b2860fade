"""The voice service's lookup of a company's default STT / TTS entry, key included (answered to voice alone)."""

from __future__ import annotations

from services.chat.config import ChatSettings
from services.chat.models.registry import ModelRegistry, upstream_model_id
from services.kit import mesh_tokens
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, PermissionDenied
from services.kit.outbound import OutboundRefused

SPEECH_TYPES = ("stt", "tts")


def require_voice_service() -> None:
    """Keys leave chat only for a credential the voice service signed itself, never for a forwarded one."""
    credential = mesh_tokens.credential_var.get()
    if credential is None or credential.kind != mesh_tokens.SERVICE or credential.caller != "voice":
        raise PermissionDenied("only the voice service resolves speech models", reason="speech_model_voice_only")


async def resolve_speech(
    *, registry: ModelRegistry, settings: ChatSettings, principal: Principal, model_type: str
) -> tuple[str, str, str, str, bool] | None:
    """(upstream model id, base_url, api key, entry name, operator origin) of the company's entry, or None."""
    if model_type not in SPEECH_TYPES:
        raise InvalidArgument("model_type must be STT or TTS", field="model_type", reason="invalid_model_type")
    entries = await registry.list_entries(principal=principal, model_type=model_type)
    own = [r for r in entries if not r.is_platform]
    chosen = next((r for r in own if r.is_default), own[0] if own else None)
    if chosen is None:
        return None
    base_url, api_key = registry.endpoint(chosen)
    policy = settings.model_endpoint_policy()
    try:
        exempt = policy.target(base_url, field="base_url").origin in policy.allow_origins
    except OutboundRefused:
        exempt = False
    return upstream_model_id(chosen), base_url, api_key or "none", chosen.model_name, exempt

"""Dify console shapes: app, model_config and site objects as Dify marshals them, plus id and mode parsing."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf import json_format, struct_pb2
from meshconsole.apps.v1 import apps_pb2

from services.kit.errors import InvalidArgument

MODES: dict[str, int] = {
    "chat": apps_pb2.APP_MODE_CHAT,
    "completion": apps_pb2.APP_MODE_COMPLETION,
    "agent-chat": apps_pb2.APP_MODE_AGENT_CHAT,
    "advanced-chat": apps_pb2.APP_MODE_ADVANCED_CHAT,
    "workflow": apps_pb2.APP_MODE_WORKFLOW,
}
MODE_NAMES = {number: name for name, number in MODES.items()}


def uuid_param(value: str, *, field: str) -> str:
    """A UUID path or query parameter; anything else is a 400 naming the field (Dify routes are uuid-typed)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidArgument(f"{field} must be a UUID", field=field) from None


def mode_param(value: str) -> int:
    """The AppMode of a Dify mode string; any other mode is refused."""
    try:
        return MODES[value]
    except KeyError:
        raise InvalidArgument(f"mode must be one of {', '.join(MODES)}", field="mode") from None


def plain(value: Any) -> Any:
    """JSON from a Struct: numbers come back as floats, so integral ones become ints again (512.0 -> 512)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def struct_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return dict(plain(json_format.MessageToDict(message)))


def to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def model_config(app: apps_pb2.App) -> dict[str, Any] | None:
    """Dify's model_config object (the current version), or null before any was saved."""
    if not app.HasField("model_config"):
        return None
    version = app.model_config
    created = version.created_at.seconds
    return {**struct_dict(version.config), "created_at": created, "updated_at": created}


def site(row: apps_pb2.Site, *, base_url: str) -> dict[str, Any]:
    """Dify's site object; access_token is the site code, app_base_url where the web app is served."""
    return {
        "app_id": row.app_id,
        "access_token": row.access_token,
        "code": row.code,
        "title": row.title,
        "icon_type": row.icon_type,
        "icon": row.icon,
        "icon_background": row.icon_background,
        "icon_url": None,
        "description": row.description,
        "default_language": row.default_language,
        "chat_color_theme": None,
        "chat_color_theme_inverted": False,
        "customize_domain": row.customize_domain,
        "copyright": row.copyright,
        "privacy_policy": row.privacy_policy,
        "custom_disclaimer": row.custom_disclaimer,
        "customize_token_strategy": row.customize_token_strategy,
        "prompt_public": row.prompt_public,
        "app_base_url": base_url,
        "show_workflow_steps": True,
        "use_icon_as_answer_icon": False,
        "created_at": row.created_at.seconds,
        "updated_at": row.updated_at.seconds,
    }


def _common(app: apps_pb2.App) -> dict[str, Any]:
    return {
        "id": app.id,
        "name": app.name,
        "description": app.description,
        "mode": MODE_NAMES.get(app.mode, "chat"),
        "icon_type": app.icon_type,
        "icon": app.icon,
        "icon_background": app.icon_background,
        "icon_url": None,
    }


def app_detail(app: apps_pb2.App, *, base_url: str) -> dict[str, Any]:
    """Dify's app detail (app_detail_fields_with_site)."""
    return {
        **_common(app),
        "enable_site": app.enable_site,
        "enable_api": app.enable_api,
        "api_rpm": app.api_rpm,
        "api_rph": app.api_rph,
        "is_demo": app.is_demo,
        "model_config": model_config(app),
        "workflow": None,
        "site": site(app.site, base_url=base_url) if app.HasField("site") else None,
        "use_icon_as_answer_icon": False,
        "created_at": app.created_at.seconds,
        "updated_at": app.updated_at.seconds,
    }


def app_partial(app: apps_pb2.App) -> dict[str, Any]:
    """One item of Dify's app list (app_partial_fields): model_config carries only model and pre_prompt."""
    config = model_config(app)
    return {
        **_common(app),
        "max_active_requests": None,
        "model_config": {"model": config.get("model"), "pre_prompt": config.get("pre_prompt", "")} if config else None,
        "workflow": None,
        "use_icon_as_answer_icon": False,
        "created_at": app.created_at.seconds,
        "updated_at": app.updated_at.seconds,
        "tags": [],
    }

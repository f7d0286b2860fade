"""Builders of new app, site and session rows with the defaults every kind of app starts from."""

from __future__ import annotations

import secrets
import string

from services.apps.fields import Kind, SessionType
from services.apps.models import App, ChatSession, Site
from services.apps.store import new_id
from services.kit.clock import utcnow
from services.kit.context import Principal

_CODE_ALPHABET = string.ascii_letters + string.digits


def new_site_code() -> str:
    """A public access token for an app's web site (16 letters and digits, as Dify's)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))


def build_app(
    principal: Principal,
    *,
    kind: Kind,
    mode: str,
    name: str,
    description: str = "",
    icon: str = "",
    icon_type: str = "emoji",
    icon_background: str = "",
    singleton_key: str | None = None,
    official: bool = False,
) -> App:
    """A new app owned by the caller; Dify's defaults: web site and API enabled."""
    now = utcnow()
    return App(
        id=new_id(),
        user_id=principal.user_id,
        company_id=principal.company_id,
        kind=int(kind),
        mode=mode,
        name=name,
        description=description,
        icon=icon,
        icon_type=icon_type,
        icon_background=icon_background,
        enable_site=True,
        enable_api=True,
        api_rpm=0,
        api_rph=0,
        is_demo=False,
        model_config_id=None,
        model_config_version=0,
        config_version=1,
        singleton_key=singleton_key,
        mp_introduction="",
        mp_instructions="",
        mp_setting="",
        knowledge_file_ids=[],
        official=official,
        created_at=now,
        updated_at=now,
    )


def build_site(app: App) -> Site:
    """The web site of a new app, titled and iconed like the app."""
    return Site(
        app_id=app.id,
        user_id=app.user_id,
        company_id=app.company_id,
        code=new_site_code(),
        title=app.name,
        icon=app.icon,
        icon_type=app.icon_type,
        icon_background=app.icon_background,
        description=app.description,
        default_language="en-US",
        copyright="",
        privacy_policy="",
        custom_disclaimer="",
        customize_domain="",
        customize_token_strategy="not_allow",
        prompt_public=False,
        created_at=app.created_at,
        updated_at=app.created_at,
    )


def build_session(app: App, session_type: SessionType, *, with_command: bool = False) -> ChatSession:
    """A session of the app's owner; a created mini program also gets its builder (command) session id."""
    return ChatSession(
        id=new_id(),
        command_id=new_id() if with_command else None,
        app_id=app.id,
        user_id=app.user_id,
        company_id=app.company_id,
        session_type=int(session_type),
        created_at=app.created_at,
    )

"""Apps domain rules: Dify console apps, model-config versions, sites, and the generation view chat reads.

Limits: name 1-255 characters, description up to 400 (Dify's), icon up to 1024, icon_background up to 32;
pages are 1-based with limit 1-100. Every change that matters to generation bumps the app's config_version and
publishes mesh.events.apps.config_changed; deleting publishes mesh.events.apps.deleted with the session ids
that chat should drop.
"""

from __future__ import annotations

import copy
from typing import Any

from services.apps import fields
from services.apps.cache import ConfigCache, ConfigView
from services.apps.fields import Kind
from services.apps.model_config import default_model_config, normalize_model_config
from services.apps.models import App, ModelConfigVersion, Site
from services.apps.outbox import EventOutbox
from services.apps.records import build_app, build_site, new_site_code
from services.apps.session_store import SessionStore
from services.apps.store import AppRecord, AppStore
from services.kit.clock import as_utc, utcnow
from services.kit.context import Principal
from services.kit.errors import InvalidArgument

PAGE_LIMIT_MAX = 100
_SITE_TEXT_LIMITS = {
    "title": fields.NAME_MAX,
    "icon": fields.ICON_MAX,
    "icon_background": fields.ICON_BACKGROUND_MAX,
    "description": fields.DESCRIPTION_MAX,
    "default_language": 16,
    "copyright": 255,
    "privacy_policy": 1024,
    "custom_disclaimer": 512,
    "customize_domain": 255,
}


def check_page(page: int, limit: int) -> tuple[int, int]:
    """A 1-based page and a limit of 1-100 (0 means the defaults 1 and 20)."""
    page, limit = page or 1, limit or 20
    if page < 1:
        raise InvalidArgument("page must be at least 1", field="page")
    if not 1 <= limit <= PAGE_LIMIT_MAX:
        raise InvalidArgument(f"limit must be between 1 and {PAGE_LIMIT_MAX}", field="limit")
    return page, limit


class AppsService:
    """Use cases behind the Dify console app routes and GetAppConfig."""

    def __init__(self, *, store: AppStore, sessions: SessionStore, cache: ConfigCache, outbox: EventOutbox) -> None:
        self.store = store
        self.sessions = sessions
        self.cache = cache
        self.outbox = outbox

    async def _announce(self, app_id: str) -> None:
        """Drop the cached view at once and publish what the commit queued (the relay retries failures)."""
        self.cache.drop(app_id)
        await self.outbox.flush()

    def _appearance(
        self,
        *,
        name: str | None,
        description: str | None,
        icon: str | None,
        icon_type: str | None,
        icon_background: str | None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if name is not None:
            out["name"] = fields.text(name, field="name", max_len=fields.NAME_MAX, required=True)
        if description is not None:
            out["description"] = fields.text(description, field="description", max_len=fields.DESCRIPTION_MAX)
        if icon is not None:
            out["icon"] = fields.text(icon, field="icon", max_len=fields.ICON_MAX)
        if icon_type is not None:
            out["icon_type"] = fields.icon_type(icon_type)
        if icon_background is not None:
            out["icon_background"] = fields.text(
                icon_background, field="icon_background", max_len=fields.ICON_BACKGROUND_MAX
            )
        return out

    async def create_app(
        self,
        *,
        principal: Principal,
        name: str,
        description: str,
        mode: str,
        icon: str,
        icon_type: str,
        icon_background: str,
        model_config: dict[str, Any] | None = None,
    ) -> AppRecord:
        """A new console app with its site and model config version 1 (the mode's default unless given)."""
        mode = fields.mode(mode)
        look = self._appearance(
            name=name, description=description, icon=icon, icon_type=icon_type, icon_background=icon_background
        )
        config = normalize_model_config(model_config) if model_config is not None else default_model_config(mode)
        app = build_app(principal, kind=Kind.STANDARD, mode=mode, **look)
        return await self.store.create_app(app=app, config=config, site=build_site(app))

    async def get_app(self, *, principal: Principal, app_id: str) -> AppRecord:
        """One of the caller's apps, with its current model config and site."""
        return await self.store.get_app(principal=principal, app_id=fields.parse_uuid(app_id, field="app_id"))

    async def list_apps(
        self, *, principal: Principal, page: int, limit: int, name: str = "", mode: str = "", kind: Kind = Kind.STANDARD
    ) -> tuple[list[AppRecord], int, int, int]:
        """A page of the caller's apps of one kind (console apps by default), filtered by name and mode."""
        page, limit = check_page(page, limit)
        if mode:
            fields.mode(mode)
        records, total = await self.store.list_apps(
            principal=principal, kind=kind, mode=mode, name=name.strip()[: fields.NAME_MAX], page=page, limit=limit
        )
        return records, total, page, limit

    async def delete_app(self, *, principal: Principal, app_id: str) -> list[str]:
        """Delete the app and its dependent rows; returns the lbai session ids chat should drop."""
        app_id = fields.parse_uuid(app_id, field="app_id")
        _, session_ids, _ = await self.store.delete_app(principal=principal, app_id=app_id)
        await self._announce(app_id)
        return session_ids

    async def copy_app(
        self,
        *,
        principal: Principal,
        app_id: str,
        name: str,
        description: str | None,
        mode: str,
        icon: str | None,
        icon_type: str | None,
        icon_background: str | None,
    ) -> AppRecord:
        """A new app with the given name, icon and mode and a deep copy of the source's current model config."""
        source = await self.get_app(principal=principal, app_id=app_id)
        src = source.app
        look = self._appearance(
            name=name.strip() or f"{src.name} copy"[: fields.NAME_MAX],
            description=src.description if description is None else description,
            icon=src.icon if icon is None else icon,
            icon_type=src.icon_type if icon_type is None else icon_type,
            icon_background=src.icon_background if icon_background is None else icon_background,
        )
        new_mode = fields.mode(mode) if mode else src.mode
        config = copy.deepcopy(source.config.config) if source.config else default_model_config(new_mode)
        app = build_app(principal, kind=Kind(src.kind), mode=new_mode, **look)
        app.enable_site, app.enable_api = src.enable_site, src.enable_api
        return await self.store.create_app(app=app, config=config, site=build_site(app))

    async def update_app(
        self,
        *,
        principal: Principal,
        app_id: str,
        name: str | None = None,
        description: str | None = None,
        icon: str | None = None,
        icon_type: str | None = None,
        icon_background: str | None = None,
        enable_site: bool | None = None,
        enable_api: bool | None = None,
    ) -> AppRecord:
        """Change the given attributes only (Dify's /name, /icon, /site-enable and /api-enable)."""
        app_id = fields.parse_uuid(app_id, field="app_id")
        changes = self._appearance(
            name=name, description=description, icon=icon, icon_type=icon_type, icon_background=icon_background
        )
        if enable_site is not None:
            changes["enable_site"] = enable_site
        if enable_api is not None:
            changes["enable_api"] = enable_api
        record = await self.store.update_app(principal=principal, app_id=app_id, changes=changes)
        await self._announce(app_id)
        return record

    async def save_model_config(self, *, principal: Principal, app_id: str, config: Any) -> ModelConfigVersion:
        """Check the whole body, then store it as the app's next model-config version."""
        app_id = fields.parse_uuid(app_id, field="app_id")
        normalized = normalize_model_config(config)
        record = await self.store.save_model_config(principal=principal, app_id=app_id, config=normalized)
        await self._announce(app_id)
        assert record.config is not None
        return record.config

    async def update_site(self, *, principal: Principal, app_id: str, changes: dict[str, Any]) -> Site:
        """Change the given site attributes (title, icon, icon_background, description, ...)."""
        app_id = fields.parse_uuid(app_id, field="app_id")
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if value is None:
                continue
            if key in _SITE_TEXT_LIMITS:
                clean[key] = fields.text(value, field=key, max_len=_SITE_TEXT_LIMITS[key], required=key == "title")
            elif key == "icon_type":
                clean[key] = fields.icon_type(value)
            elif key == "customize_token_strategy":
                if value not in fields.TOKEN_STRATEGIES:
                    raise InvalidArgument(
                        f"customize_token_strategy must be one of {', '.join(fields.TOKEN_STRATEGIES)}", field=key
                    )
                clean[key] = value
            elif key == "prompt_public":
                clean[key] = bool(value)
            else:
                raise InvalidArgument(f"{key} is not a site attribute", field=key)
        return await self.store.update_site(principal=principal, app_id=app_id, changes=clean)

    async def reset_site_token(self, *, principal: Principal, app_id: str) -> Site:
        """A new public access token; the old one stops working."""
        app_id = fields.parse_uuid(app_id, field="app_id")
        return await self.store.update_site(principal=principal, app_id=app_id, changes={"code": new_site_code()})

    async def app_config(self, *, principal: Principal, app_id: str) -> ConfigView:
        """The generation view of an app the caller owns, or of a mini program shared with it or official."""
        app_id = fields.parse_uuid(app_id, field="app_id")
        view = self.cache.get(app_id)
        if view is None:
            epoch = self.cache.epoch()
            record = await self.store.get_app_unscoped(app_id=app_id)
            if record is None:
                raise fields.app_not_found()
            view = config_view(record)
            self.cache.put(view, epoch=epoch)
        if view.owner_company_id == principal.company_id and (
            view.owner_user_id == principal.user_id or principal.is_company_wide
        ):
            return view
        if view.kind == Kind.MINI_PROGRAM and view.owner_company_id == principal.company_id:
            if view.official:
                return view
            record = await self.store.get_app_unscoped(app_id=app_id)
            if record and await self.sessions.can_read(principal=principal, app=record.app):
                return view
        raise fields.app_not_found()


def config_view(record: AppRecord) -> ConfigView:
    """The cacheable generation view of a stored app."""
    app: App = record.app
    return ConfigView(
        app_id=app.id,
        kind=app.kind,
        mode=app.mode,
        name=app.name,
        config_version=app.config_version,
        model_config_version=record.config.version if record.config else 0,
        model_config=record.config.config if record.config else {},
        enable_api=app.enable_api,
        enable_site=app.enable_site,
        mini_program_setting=app.mp_setting,
        knowledge_file_ids=tuple(app.knowledge_file_ids or ()),
        owner_user_id=app.user_id,
        owner_company_id=app.company_id,
        official=app.official,
        updated_at=as_utc(app.updated_at) or utcnow(),
    )

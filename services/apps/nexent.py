"""Nexent app config (/config/save_config, /config/load_config): one per user, on the user's Nexent agent app.

The shape is Nexent's: `app{name,description,icon{type,avatarUri,customUrl}}`, `models{<slot>{name,displayName,
apiConfig{apiKey,modelUrl}}}`, `data{selectedKbNames,selectedKbModels,selectedKbSources}`; other keys are kept
as sent. Every `apiKey` is stored encrypted (SecretBox) and loaded masked; saving the mask back keeps the key.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import orjson

from services.apps.cache import ConfigCache
from services.apps.fields import Kind
from services.apps.model_config import default_model_config
from services.apps.outbox import EventOutbox
from services.apps.records import build_app
from services.apps.session_store import NexentStore
from services.apps.store import AppStore
from services.kit.clock import as_utc
from services.kit.context import Principal
from services.kit.crypto import SecretBox, mask_secret
from services.kit.errors import InvalidArgument

MAX_CONFIG_BYTES = 64 * 1024
SECRET_KEYS = frozenset({"apiKey", "api_key"})
_ENCRYPTED = "enc:"
DEFAULT_ICON = {"type": "preset", "avatarUri": "", "customUrl": ""}
DEFAULT_APP: dict[str, Any] = {"name": "Nexent", "description": "", "icon": DEFAULT_ICON}
DEFAULT_MODEL = {"name": "", "displayName": "", "apiConfig": {"apiKey": "", "modelUrl": ""}}
DATA_LISTS = ("selectedKbNames", "selectedKbModels", "selectedKbSources")
Json = dict[str, Any]


def default_config() -> Json:
    """What load returns before anything was saved."""
    return {
        "app": copy.deepcopy(DEFAULT_APP),
        "models": {"llm": copy.deepcopy(DEFAULT_MODEL)},
        "data": {key: [] for key in DATA_LISTS},
    }


def _obj(value: Any, field: str) -> Json:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be an object", field=field)
    return value


def _strings(holder: Json, keys: tuple[str, ...], where: str, *, max_len: int = 1024) -> None:
    for key in keys:
        value = holder.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidArgument(f"{where}.{key} must be a string", field=f"{where}.{key}")
        if isinstance(value, str) and len(value) > max_len:
            raise InvalidArgument(f"{where}.{key} must be at most {max_len} characters", field=f"{where}.{key}")


def check_shape(raw: Any) -> Json:
    """The config with Nexent's sections checked and missing ones filled from the defaults."""
    config = copy.deepcopy(_obj(raw, "config"))
    if len(orjson.dumps(config)) > MAX_CONFIG_BYTES:
        raise InvalidArgument(f"config must be at most {MAX_CONFIG_BYTES // 1024} KiB", field="config")
    app = {**copy.deepcopy(DEFAULT_APP), **_obj(config.get("app"), "app")}
    _strings(app, ("name", "description"), "app", max_len=4096)
    app["icon"] = {**DEFAULT_ICON, **_obj(app.get("icon"), "app.icon")}
    _strings(app["icon"], ("type", "avatarUri", "customUrl"), "app.icon", max_len=8192)
    models = _obj(config.get("models"), "models") or {"llm": copy.deepcopy(DEFAULT_MODEL)}
    for slot, model in models.items():
        entry = _obj(model, f"models.{slot}")
        _strings(entry, ("name", "displayName"), f"models.{slot}", max_len=255)
        api = _obj(entry.get("apiConfig"), f"models.{slot}.apiConfig")
        _strings(api, ("apiKey", "modelUrl"), f"models.{slot}.apiConfig")
    data = {**{key: [] for key in DATA_LISTS}, **_obj(config.get("data"), "data")}
    for key in DATA_LISTS:
        values = data[key]
        if not isinstance(values, list) or any(not isinstance(v, str) for v in values):
            raise InvalidArgument(f"data.{key} must be a list of strings", field=f"data.{key}")
    return {**config, "app": app, "models": models, "data": data}


class NexentService:
    """Saves and loads the caller's Nexent config, sealing API keys."""

    def __init__(
        self, *, store: AppStore, configs: NexentStore, box: SecretBox, cache: ConfigCache, outbox: EventOutbox
    ) -> None:
        self.store = store
        self.configs = configs
        self.box = box
        self.cache = cache
        self.outbox = outbox

    async def agent_app_id(self, *, principal: Principal) -> str:
        """The caller's Nexent agent app, created on first use."""
        app = build_app(
            principal,
            kind=Kind.NEXENT_AGENT,
            mode="agent-chat",
            name="Nexent",
            singleton_key=f"nexent:{principal.user_id}",
        )
        app = await self.store.ensure_singleton(app=app, sessions=[], config=default_model_config("agent-chat"))
        return app.id

    def _walk(self, value: Any, stored: Any, *, seal: bool, reveal: bool) -> Any:
        """Seal (save) or open (load) every apiKey; `stored` is the same path in the saved config."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                before = stored.get(key) if isinstance(stored, dict) else None
                if key in SECRET_KEYS and isinstance(item, str):
                    out[key] = self._seal(item, before) if seal else self._open(item, reveal=reveal)
                else:
                    out[key] = self._walk(item, before, seal=seal, reveal=reveal)
            return out
        if isinstance(value, list):
            return [self._walk(item, None, seal=seal, reveal=reveal) for item in value]
        return value

    def _seal(self, plain: str, before: Any) -> str:
        if not plain:
            return ""
        if isinstance(before, str) and before.startswith(_ENCRYPTED):
            old = self.box.decrypt(before.removeprefix(_ENCRYPTED))
            if plain in (old, mask_secret(old)):
                return before
        return _ENCRYPTED + self.box.encrypt(plain)

    def _open(self, sealed: str, *, reveal: bool) -> str:
        if not sealed.startswith(_ENCRYPTED):
            return sealed
        plain = self.box.decrypt(sealed.removeprefix(_ENCRYPTED))
        return plain if reveal else mask_secret(plain)

    async def save(self, *, principal: Principal, config: Any) -> tuple[Json, str, datetime | None]:
        """Store the whole config (keys sealed); returns it as load would."""
        checked = check_shape(config)
        app_id = await self.agent_app_id(principal=principal)
        existing = await self.configs.get(principal=principal)
        sealed = self._walk(checked, existing.config if existing else None, seal=True, reveal=False)
        app = checked["app"]
        name = (app.get("name") or "").strip()[:255] or "Nexent"
        description = (app.get("description") or "")[:400]
        row = await self.configs.save(
            principal=principal, app_id=app_id, config=sealed, name=name, description=description
        )
        self.cache.drop(app_id)
        await self.outbox.flush()
        return self._walk(row.config, None, seal=False, reveal=False), app_id, as_utc(row.updated_at)

    async def load(self, *, principal: Principal, include_secrets: bool) -> tuple[Json, str, datetime | None]:
        """The saved config with keys masked (or revealed for service callers), or the default one."""
        app_id = await self.agent_app_id(principal=principal)
        row = await self.configs.get(principal=principal)
        if row is None:
            return default_config(), app_id, None
        return self._walk(row.config, None, seal=False, reveal=include_secrets), app_id, as_utc(row.updated_at)

"""lbai domain rules: the AI partner session, mini programs (apps with a setting prompt and mounted files),
sharing within a company, and the chat list.

A mini program is written only through its owner's session ids (or its app id); a shared or official session
may read it. Ids are UUIDs; a malformed one, a missing one and another company's all answer not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.apps import fields
from services.apps.cache import ConfigCache
from services.apps.fields import Kind, SessionType
from services.apps.model_config import default_model_config
from services.apps.models import App, ChatSession
from services.apps.outbox import EventOutbox
from services.apps.records import build_app, build_session
from services.apps.session_store import SessionStore
from services.apps.store import AppStore
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, PermissionDenied

PARTNER_NAME = "AI伙伴"
_TEXT_LIMITS = {
    "name": fields.MP_NAME_MAX,
    "icon": fields.ICON_MAX,
    "mp_introduction": fields.MP_INTRODUCTION_MAX,
    "mp_instructions": fields.MP_INSTRUCTIONS_MAX,
    "mp_setting": fields.MP_SETTING_MAX,
}
# Column -> the lbai field name used in error messages.
_LBAI_NAMES = {
    "name": "mini_program_name",
    "icon": "mini_program_icon",
    "mp_introduction": "mini_program_introduction",
    "mp_instructions": "mini_program_instructions",
    "mp_setting": "mini_program_setting",
}


@dataclass(frozen=True)
class ProgramRef:
    """A mini program named by its app_id, session_id or command_session_id."""

    field: str
    value: str


@dataclass(frozen=True)
class Program:
    """A mini program with the caller's own session on it (None when named by app id and never opened)."""

    app: App
    session: ChatSession | None


class MiniProgramService:
    """Use cases behind the lbai /miniProgram and /chat/list routes."""

    def __init__(self, *, store: AppStore, sessions: SessionStore, cache: ConfigCache, outbox: EventOutbox) -> None:
        self.store = store
        self.sessions = sessions
        self.cache = cache
        self.outbox = outbox

    async def create(self, *, principal: Principal, nick_name: str, header_url: str, official: bool) -> Program:
        """A new mini program owned by the caller, with its chat session and its builder session."""
        if official and not principal.is_admin:
            raise PermissionDenied("only an admin may publish an official mini program", reason="admin_required")
        name = fields.text(nick_name, field="nick_name", max_len=fields.MP_NAME_MAX)
        icon = fields.text(header_url, field="header_url", max_len=fields.ICON_MAX)
        app = build_app(principal, kind=Kind.MINI_PROGRAM, mode="chat", name=name, icon=icon, official=official)
        session = build_session(app, SessionType.CREATED_MINI_PROGRAM, with_command=True)
        await self.store.create_app(app=app, config=default_model_config("chat"), site=None, sessions=[session])
        return Program(app, session)

    async def _resolve(self, principal: Principal, ref: ProgramRef, *, write: bool) -> Program:
        if ref.field == "app_id":
            app_id = fields.parse_uuid(ref.value, field="app_id")
            record = await self.store.get_app_unscoped(app_id=app_id)
            if record is None or record.app.kind != Kind.MINI_PROGRAM:
                raise fields.app_not_found()
            app = record.app
            own = app.company_id == principal.company_id and (
                app.user_id == principal.user_id or principal.is_company_wide
            )
            if not own and (write or not await self.sessions.can_read(principal=principal, app=app)):
                raise fields.app_not_found()
            mine = [
                s
                for s, a in await self.sessions.list_sessions(principal=principal, session_type=None)
                if a.id == app.id
            ]
            return Program(app, mine[0] if mine else None)
        # A malformed id answers like a missing or foreign one, so the answer tells nothing about which ids exist.
        session_id = fields.known_uuid(ref.value)
        if session_id is None:
            raise fields.session_not_found()
        session, app = await self.sessions.own_session(principal=principal, session_id=session_id)
        if app.kind != Kind.MINI_PROGRAM:
            raise fields.session_not_found()
        if write and session.session_type != SessionType.CREATED_MINI_PROGRAM:
            raise fields.session_not_found()
        return Program(app, session)

    async def setting(self, *, principal: Principal, ref: ProgramRef) -> Program:
        """The mini program's setting, readable through any of the caller's sessions on it."""
        return await self._resolve(principal, ref, write=False)

    async def update(
        self, *, principal: Principal, ref: ProgramRef, changes: dict[str, Any], file_ids: list[str] | None
    ) -> Program:
        """Partial update: columns absent from changes, and file_ids None, are left as they are."""
        program = await self._resolve(principal, ref, write=True)
        clean: dict[str, Any] = {}
        for column, value in changes.items():
            if value is not None:
                clean[column] = fields.text(value, field=_LBAI_NAMES[column], max_len=_TEXT_LIMITS[column])
        if file_ids is not None:
            clean["knowledge_file_ids"] = fields.file_ids(file_ids, field="knowledge_base.fileIds")
        if not clean:
            return program
        app = await self.sessions.update_program(principal=principal, app_id=program.app.id, changes=clean)
        self.cache.drop(app.id)
        await self.outbox.flush()
        return Program(app, program.session)

    async def mount(self, *, principal: Principal, ref: ProgramRef, file_ids: list[str]) -> Program:
        """Replace the mounted files; an empty list unmounts everything."""
        return await self.update(principal=principal, ref=ref, changes={}, file_ids=file_ids)

    async def share(self, *, principal: Principal, session_id: str) -> tuple[ChatSession, App]:
        """The caller's own session on a colleague's created mini program (one per program)."""
        # Missing, malformed and another company's ids answer alike, so the answer tells nothing about them.
        known = fields.known_uuid(session_id)
        if known is None:
            raise fields.session_not_found()
        source, app = await self.sessions.shareable(principal=principal, session_id=known)
        if app.user_id == principal.user_id:
            return source, app
        shared = SessionType.SHARED_MINI_PROGRAM
        return await self.sessions.ensure_session(principal=principal, app=app, session_type=shared), app

    async def partner(self, *, principal: Principal) -> tuple[ChatSession, App]:
        """The caller's AI partner session, created on first use."""
        app = build_app(
            principal, kind=Kind.PARTNER, mode="chat", name=PARTNER_NAME, singleton_key=f"partner:{principal.user_id}"
        )
        app = await self.store.ensure_singleton(
            app=app, sessions=[build_session(app, SessionType.PARTNER)], config=default_model_config("chat")
        )
        session = await self.sessions.ensure_session(principal=principal, app=app, session_type=SessionType.PARTNER)
        return session, app

    async def list_sessions(self, *, principal: Principal, session_type: int) -> list[tuple[ChatSession, App]]:
        """/chat/list: 0 all, 1 partner, 2 official, 3 created, 4 shared; the partner session always exists."""
        if session_type not in (0, *(int(t) for t in SessionType)):
            raise InvalidArgument("session_type must be 0, 1, 2, 3 or 4", field="session_type")
        await self.partner(principal=principal)
        if session_type in (0, SessionType.OFFICIAL_MINI_PROGRAM):
            for app in await self.sessions.official_programs(principal=principal):
                await self.sessions.ensure_session(
                    principal=principal, app=app, session_type=SessionType.OFFICIAL_MINI_PROGRAM
                )
        wanted = SessionType(session_type) if session_type else None
        return await self.sessions.list_sessions(principal=principal, session_type=wanted)

    async def get_session(self, *, principal: Principal, session_id: str) -> tuple[ChatSession, App, bool]:
        """One of the caller's sessions by session_id or command_session_id; True when it was the command id."""
        known = fields.known_uuid(session_id)
        if known is None:
            raise fields.session_not_found()
        session, app = await self.sessions.own_session(principal=principal, session_id=known)
        return session, app, session.command_id == known

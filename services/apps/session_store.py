"""lbai chat sessions and mini programs, and the per-user Nexent config rows; scoped to the caller."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.apps.fields import Kind, SessionType, app_not_found, session_not_found
from services.apps.models import App, ChatSession, NexentConfig
from services.apps.store import AppStore, changed_event, new_id
from services.kit.clock import utcnow
from services.kit.context import Principal


def _session_id_matches(session_id: str) -> sa.ColumnElement[bool]:
    return sa.or_(ChatSession.id == session_id, ChatSession.command_id == session_id)


class SessionStore:
    """Sessions always belong to one user (principal.user_id); mini programs are apps of kind MINI_PROGRAM."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], apps: AppStore) -> None:
        self._sessions = sessions
        self._apps = apps

    async def own_session(self, *, principal: Principal, session_id: str) -> tuple[ChatSession, App]:
        """The caller's session named by its session_id or command_session_id, with its app."""
        async with self._sessions() as session:
            query = (
                sa.select(ChatSession, App)
                .join(App, App.id == ChatSession.app_id)
                .where(_session_id_matches(session_id), ChatSession.user_id == principal.user_id)
                .where(ChatSession.company_id == principal.company_id)
            )
            row = (await session.execute(query)).first()
        if row is None:
            raise session_not_found()
        return row[0], row[1]

    async def list_sessions(
        self, *, principal: Principal, session_type: SessionType | None
    ) -> list[tuple[ChatSession, App]]:
        """The caller's sessions with their apps: partner first, then official, created, shared; newest first."""
        query = (
            sa.select(ChatSession, App)
            .join(App, App.id == ChatSession.app_id)
            .where(ChatSession.user_id == principal.user_id, ChatSession.company_id == principal.company_id)
            .order_by(ChatSession.session_type, ChatSession.created_at.desc(), ChatSession.id)
        )
        if session_type is not None:
            query = query.where(ChatSession.session_type == int(session_type))
        async with self._sessions() as session:
            return [(row[0], row[1]) for row in await session.execute(query)]

    async def official_programs(self, *, principal: Principal) -> list[App]:
        """Official mini programs of the caller's company that someone else owns."""
        query = sa.select(App).where(
            App.company_id == principal.company_id,
            App.kind == int(Kind.MINI_PROGRAM),
            App.official.is_(True),
            App.user_id != principal.user_id,
        )
        async with self._sessions() as session:
            return list((await session.execute(query)).scalars())

    async def ensure_session(self, *, principal: Principal, app: App, session_type: SessionType) -> ChatSession:
        """The caller's session of this type on this app, created once (a repeat returns the same row)."""
        where = (
            ChatSession.user_id == principal.user_id,
            ChatSession.app_id == app.id,
            ChatSession.session_type == int(session_type),
        )
        for _ in range(2):
            async with self._sessions() as session:
                found = (await session.execute(sa.select(ChatSession).where(*where))).scalars().first()
            if found is not None:
                return found
            row = ChatSession(
                id=new_id(),
                command_id=None,
                app_id=app.id,
                user_id=principal.user_id,
                company_id=principal.company_id,
                session_type=int(session_type),
                created_at=utcnow(),
            )
            try:
                async with self._apps.transaction() as session:
                    if await session.get(App, app.id) is None:
                        raise app_not_found()
                    session.add(row)
                return row
            except IntegrityError:
                continue
        raise RuntimeError("could not create the session")

    async def shareable(self, *, principal: Principal, session_id: str) -> tuple[ChatSession, App]:
        """A created mini program session of anyone in the caller's company; anything else is not found."""
        query = (
            sa.select(ChatSession, App)
            .join(App, App.id == ChatSession.app_id)
            .where(ChatSession.id == session_id, ChatSession.session_type == int(SessionType.CREATED_MINI_PROGRAM))
            .where(App.company_id == principal.company_id, App.kind == int(Kind.MINI_PROGRAM))
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            raise session_not_found()
        return row[0], row[1]

    async def can_read(self, *, principal: Principal, app: App) -> bool:
        """Whether the caller may use a mini program it does not own (official in its company, or shared to it)."""
        if app.kind != Kind.MINI_PROGRAM or app.company_id != principal.company_id:
            return False
        if app.official:
            return True
        query = sa.select(ChatSession.id).where(ChatSession.app_id == app.id, ChatSession.user_id == principal.user_id)
        async with self._sessions() as session:
            return (await session.execute(query.limit(1))).first() is not None

    async def update_program(self, *, principal: Principal, app_id: str, changes: dict[str, Any]) -> App:
        """Set already-validated mini program columns on an app the caller owns; announces the change."""
        async with self._apps.transaction() as session:
            app = await self._apps.locked_app(session, principal=principal, app_id=app_id, kinds=[Kind.MINI_PROGRAM])
            for column, value in changes.items():
                setattr(app, column, value)
            changed_event(session, app)
            return app


class NexentStore:
    """One Nexent config row per user."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], apps: AppStore) -> None:
        self._sessions = sessions
        self._apps = apps

    async def get(self, *, principal: Principal) -> NexentConfig | None:
        async with self._sessions() as session:
            row = await session.get(NexentConfig, principal.user_id)
        return row if row is not None and row.company_id == principal.company_id else None

    async def save(
        self, *, principal: Principal, app_id: str, config: dict[str, Any], name: str, description: str
    ) -> NexentConfig:
        """Store the config and mirror the app's name and description onto the caller's agent app."""
        async with self._apps.transaction() as session:
            app = await self._apps.locked_app(session, principal=principal, app_id=app_id, kinds=[Kind.NEXENT_AGENT])
            row = await session.get(NexentConfig, principal.user_id)
            if row is None:
                row = NexentConfig(user_id=principal.user_id, company_id=principal.company_id, app_id=app.id, config={})
                session.add(row)
            row.config, row.app_id, row.updated_at = config, app.id, utcnow()
            app.name, app.description = name, description
            changed_event(session, app)
            return row

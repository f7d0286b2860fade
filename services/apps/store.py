"""Apps persistence: apps, model-config versions, sites and the event outbox, every query scoped to the caller.

Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE) and PostgreSQL row locks on the app,
so concurrent saves queue instead of failing, and version numbers never collide.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.apps.fields import Kind, app_not_found
from services.apps.models import App, ChatSession, ModelConfigVersion, NexentConfig, OutboxEvent, Site
from services.kit.clock import utcnow
from services.kit.context import Principal


def new_id() -> str:
    return str(uuid.uuid4())


def owned_by(principal: Principal) -> sa.ColumnElement[bool]:
    """Apps the principal owns: its own, or every app of its company for a company key."""
    if principal.is_company_wide:
        return App.company_id == principal.company_id
    return sa.and_(App.user_id == principal.user_id, App.company_id == principal.company_id)


@dataclass(frozen=True)
class AppRecord:
    """An app with its current model-config version and its site (either may be missing)."""

    app: App
    config: ModelConfigVersion | None
    site: Site | None


def add_event(session: AsyncSession, *, app: App, verb: str, payload: dict[str, Any]) -> OutboxEvent:
    """Queue mesh.events.apps.<verb> in the caller's transaction; it is published after commit."""
    event = OutboxEvent(
        id=new_id(),
        user_id=app.user_id,
        company_id=app.company_id,
        entity="apps",
        verb=verb,
        payload={"app_id": app.id, "user_id": app.user_id, "company_id": app.company_id, **payload},
        created_at=utcnow(),
    )
    session.add(event)
    return event


def changed_event(session: AsyncSession, app: App) -> OutboxEvent:
    """Bump the generation-config counter and queue apps.config_changed."""
    app.config_version += 1
    app.updated_at = utcnow()
    return add_event(session, app=app, verb="config_changed", payload={"config_version": app.config_version})


class AppStore:
    """Apps, model configs, sites and the outbox."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction holding SQLite's write lock from its first statement."""
        async with self._sessions() as session, session.begin():
            await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session

    @staticmethod
    async def locked_app(
        session: AsyncSession, *, principal: Principal, app_id: str, kinds: Sequence[Kind] = ()
    ) -> App:
        """An app the principal owns, row-locked for the transaction; another tenant's is app_not_found."""
        query = sa.select(App).where(App.id == app_id, owned_by(principal)).with_for_update()
        if kinds:
            query = query.where(App.kind.in_([int(k) for k in kinds]))
        app = (await session.execute(query)).scalars().first()
        if app is None:
            raise app_not_found()
        return app

    async def create_app(
        self, *, app: App, config: dict[str, Any], site: Site | None, sessions: Sequence[ChatSession] = ()
    ) -> AppRecord:
        """Insert an app with its model config version 1, its site and its sessions, all or nothing."""
        version = ModelConfigVersion(
            id=new_id(),
            app_id=app.id,
            user_id=app.user_id,
            company_id=app.company_id,
            version=1,
            config=config,
            created_at=app.created_at,
        )
        app.model_config_id, app.model_config_version = version.id, 1
        async with self.transaction() as session:
            session.add(app)
            await session.flush()
            session.add_all([version, *([site] if site else []), *sessions])
        return AppRecord(app, version, site)

    async def ensure_singleton(self, *, app: App, sessions: Sequence[ChatSession], config: dict[str, Any]) -> App:
        """The app with app.singleton_key, created (with its sessions) when missing; safe under races."""
        for _ in range(2):
            async with self._sessions() as session:
                query = sa.select(App).where(App.singleton_key == app.singleton_key)
                found = (await session.execute(query)).scalars().first()
            if found is not None:
                return found
            try:
                return (await self.create_app(app=app, config=config, site=None, sessions=sessions)).app
            except IntegrityError:
                continue
        raise RuntimeError(f"could not create singleton app {app.singleton_key}")

    async def _record(self, session: AsyncSession, app: App) -> AppRecord:
        config = await session.get(ModelConfigVersion, app.model_config_id) if app.model_config_id else None
        return AppRecord(app, config, await session.get(Site, app.id))

    async def get_app(self, *, principal: Principal, app_id: str) -> AppRecord:
        """An app the principal owns, with its current config and site."""
        async with self._sessions() as session:
            app = (await session.execute(sa.select(App).where(App.id == app_id, owned_by(principal)))).scalars().first()
            if app is None:
                raise app_not_found()
            return await self._record(session, app)

    async def get_app_unscoped(self, *, app_id: str) -> AppRecord | None:
        """Internal: the generation view checks access itself (shared and official mini programs)."""
        async with self._sessions() as session:
            app = await session.get(App, app_id)
            return await self._record(session, app) if app else None

    async def list_apps(
        self, *, principal: Principal, kind: Kind, mode: str, name: str, page: int, limit: int
    ) -> tuple[list[AppRecord], int]:
        """A page of the principal's apps of one kind, newest first, optionally filtered by mode and name."""
        where = [owned_by(principal), App.kind == int(kind)]
        if mode:
            where.append(App.mode == mode)
        if name:
            where.append(sa.func.lower(App.name).contains(name.lower(), autoescape=True))
        async with self._sessions() as session:
            total = int((await session.execute(sa.select(sa.func.count()).select_from(App).where(*where))).scalar_one())
            query = sa.select(App).where(*where).order_by(App.created_at.desc(), App.id)
            apps = list((await session.execute(query.offset((page - 1) * limit).limit(limit))).scalars())
            config_ids = [a.model_config_id for a in apps if a.model_config_id]
            configs = {
                c.id: c
                for c in (
                    await session.execute(sa.select(ModelConfigVersion).where(ModelConfigVersion.id.in_(config_ids)))
                ).scalars()
            }
            sites = {
                s.app_id: s
                for s in (await session.execute(sa.select(Site).where(Site.app_id.in_([a.id for a in apps])))).scalars()
            }
        return [AppRecord(a, configs.get(a.model_config_id or ""), sites.get(a.id)) for a in apps], total

    async def update_app(self, *, principal: Principal, app_id: str, changes: dict[str, Any]) -> AppRecord:
        """Set already-validated columns, bump the config counter and announce the change."""
        async with self.transaction() as session:
            app = await self.locked_app(session, principal=principal, app_id=app_id)
            for column, value in changes.items():
                setattr(app, column, value)
            changed_event(session, app)
            return await self._record(session, app)

    async def save_model_config(self, *, principal: Principal, app_id: str, config: dict[str, Any]) -> AppRecord:
        """Add the next model-config version and make it current."""
        async with self.transaction() as session:
            app = await self.locked_app(session, principal=principal, app_id=app_id)
            version = ModelConfigVersion(
                id=new_id(),
                app_id=app.id,
                user_id=app.user_id,
                company_id=app.company_id,
                version=app.model_config_version + 1,
                config=config,
                created_at=utcnow(),
            )
            session.add(version)
            app.model_config_id, app.model_config_version = version.id, version.version
            changed_event(session, app)
            return AppRecord(app, version, await session.get(Site, app.id))

    async def config_versions(self, *, principal: Principal, app_id: str) -> list[ModelConfigVersion]:
        """Every saved model-config version of an app the principal owns, oldest first."""
        async with self._sessions() as session:
            query = (
                sa.select(ModelConfigVersion)
                .join(App, App.id == ModelConfigVersion.app_id)
                .where(App.id == app_id, owned_by(principal))
                .order_by(ModelConfigVersion.version)
            )
            return list((await session.execute(query)).scalars())

    async def update_site(self, *, principal: Principal, app_id: str, changes: dict[str, Any]) -> Site:
        """Set already-validated site columns (including a new access code)."""
        async with self.transaction() as session:
            app = await self.locked_app(session, principal=principal, app_id=app_id)
            site = await session.get(Site, app.id)
            if site is None:
                raise app_not_found()
            for column, value in changes.items():
                setattr(site, column, value)
            site.updated_at = utcnow()
            return site

    async def delete_app(self, *, principal: Principal, app_id: str) -> tuple[App, list[str], OutboxEvent]:
        """Delete the app and every apps row that depends on it; apps.deleted is queued in the same commit."""
        async with self.transaction() as session:
            app = await self.locked_app(session, principal=principal, app_id=app_id)
            rows = await session.execute(
                sa.select(ChatSession.id, ChatSession.command_id).where(ChatSession.app_id == app.id)
            )
            session_ids = sorted({i for pair in rows for i in pair if i})
            for table, column in (
                (ChatSession, ChatSession.app_id),
                (ModelConfigVersion, ModelConfigVersion.app_id),
                (Site, Site.app_id),
            ):
                await session.execute(sa.delete(table).where(column == app.id))
            if app.kind == Kind.NEXENT_AGENT:
                await session.execute(sa.delete(NexentConfig).where(NexentConfig.app_id == app.id))
            await session.execute(sa.delete(App).where(App.id == app.id))
            event = add_event(session, app=app, verb="deleted", payload={"kind": app.kind, "session_ids": session_ids})
        return app, session_ids, event

    async def pending_events(self, *, limit: int = 100) -> list[OutboxEvent]:
        """Internal (the outbox relay): events not yet confirmed on NATS, oldest first."""
        async with self._sessions() as session:
            query = sa.select(OutboxEvent).order_by(OutboxEvent.created_at).limit(limit)
            return list((await session.execute(query)).scalars())

    async def forget_events(self, *, ids: Sequence[str]) -> None:
        """Internal: drop events NATS has stored."""
        if ids:
            async with self._sessions() as session, session.begin():
                await session.execute(sa.delete(OutboxEvent).where(OutboxEvent.id.in_(list(ids))))

"""The apps store on SQLite and PostgreSQL: versioning, copy, tenant scoping, cascading delete and the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.apps.fields import Kind, SessionType
from services.apps.migrations import MIGRATIONS
from services.apps.model_config import default_model_config, normalize_model_config
from services.apps.records import build_app, build_session, build_site
from services.apps.session_store import NexentStore, SessionStore
from services.apps.store import AppRecord, AppStore
from services.kit.context import Principal
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.errors import NotFound

ALICE = Principal(user_id=1, company_id=10)
BOB = Principal(user_id=2, company_id=10)
EVE = Principal(user_id=3, company_id=20)
COMPANY_10_KEY = Principal(user_id=2, company_id=10, kind="company_key")
COMPANY_20_KEY = Principal(user_id=3, company_id=20, kind="company_key")


@dataclass
class Stores:
    engine: AsyncEngine
    apps: AppStore
    sessions: SessionStore
    nexent: NexentStore

    async def count(self, table: str, app_id: str) -> int:
        column = "app_id" if table != "apps" else "id"
        async with self.engine.connect() as conn:
            query = sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :id")
            return int((await conn.execute(query, {"id": app_id})).scalar_one())


@pytest_asyncio.fixture(loop_scope="session")
async def stores(database_url: str) -> AsyncIterator[Stores]:
    engine = create_engine(database_url)
    assert await migrate(engine, service="apps", migrations=MIGRATIONS) == [1]
    assert await migrate(engine, service="apps", migrations=MIGRATIONS) == []
    factory = create_session_factory(engine)
    apps = AppStore(factory)
    try:
        yield Stores(engine, apps, SessionStore(factory, apps), NexentStore(factory, apps))
    finally:
        await engine.dispose()


def _config(temperature: float, prompt: str = "") -> dict[str, object]:
    body = {"model": {"provider": "p", "name": "m", "completion_params": {"temperature": temperature}}}
    return normalize_model_config({**body, "pre_prompt": prompt})


async def _create(stores: Stores, owner: Principal, name: str = "App", kind: Kind = Kind.STANDARD) -> AppRecord:
    app = build_app(owner, kind=kind, mode="chat", name=name)
    return await stores.apps.create_app(app=app, config=default_model_config("chat"), site=build_site(app))


async def test_saving_adds_versions_and_keeps_the_old_ones(stores: Stores) -> None:
    record = await _create(stores, ALICE)
    assert record.config is not None and record.config.version == 1
    for i in range(2, 4):
        saved = await stores.apps.save_model_config(
            principal=ALICE, app_id=record.app.id, config=_config(i / 4, f"v{i}")
        )
        assert saved.config is not None and saved.config.version == i
    versions = await stores.apps.config_versions(principal=ALICE, app_id=record.app.id)
    assert [v.version for v in versions] == [1, 2, 3]
    assert [v.config["pre_prompt"] for v in versions] == ["", "v2", "v3"]
    assert versions[2].config["model"]["completion_params"]["temperature"] == 0.75
    current = await stores.apps.get_app(principal=ALICE, app_id=record.app.id)
    assert current.config is not None and current.config.id == versions[2].id
    assert current.app.model_config_version == 3
    # Creation is config_version 1; each save bumps it once.
    assert current.app.config_version == 3


async def test_concurrent_saves_get_distinct_versions(stores: Stores) -> None:
    record = await _create(stores, ALICE)
    saves = [
        stores.apps.save_model_config(principal=ALICE, app_id=record.app.id, config=_config(0.1, f"p{i}"))
        for i in range(8)
    ]
    results = await asyncio.gather(*saves)
    assert sorted(r.config.version for r in results if r.config) == list(range(2, 10))
    versions = await stores.apps.config_versions(principal=ALICE, app_id=record.app.id)
    assert [v.version for v in versions] == list(range(1, 10))
    assert (await stores.apps.get_app(principal=ALICE, app_id=record.app.id)).app.model_config_version == 9


async def test_apps_are_scoped_to_owner_or_company_key(stores: Stores) -> None:
    record = await _create(stores, ALICE, "Alice's")
    app_id = record.app.id
    assert (await stores.apps.get_app(principal=COMPANY_10_KEY, app_id=app_id)).app.name == "Alice's"
    for stranger in (BOB, EVE, COMPANY_20_KEY):
        with pytest.raises(NotFound) as caught:
            await stores.apps.get_app(principal=stranger, app_id=app_id)
        assert caught.value.reason == "app_not_found"
        with pytest.raises(NotFound):
            await stores.apps.save_model_config(principal=stranger, app_id=app_id, config=_config(1))
        with pytest.raises(NotFound):
            await stores.apps.update_app(principal=stranger, app_id=app_id, changes={"name": "stolen"})
        with pytest.raises(NotFound):
            await stores.apps.update_site(principal=stranger, app_id=app_id, changes={"title": "stolen"})
        with pytest.raises(NotFound):
            await stores.apps.delete_app(principal=stranger, app_id=app_id)
        assert await stores.apps.config_versions(principal=stranger, app_id=app_id) == []
    after = await stores.apps.get_app(principal=ALICE, app_id=app_id)
    assert (after.app.name, after.app.model_config_version) == ("Alice's", 1)
    assert after.site is not None and after.site.title == "Alice's"


async def test_listing_pages_filters_and_scopes(stores: Stores) -> None:
    for name in ("Alpha 100%", "alphabet", "Beta", "Gamma"):
        await _create(stores, ALICE, name)
    await _create(stores, BOB, "Alpha of Bob")
    await _create(stores, ALICE, "Alpha program", kind=Kind.MINI_PROGRAM)
    page, total = await stores.apps.list_apps(principal=ALICE, kind=Kind.STANDARD, mode="", name="", page=1, limit=3)
    assert total == 4 and [r.app.name for r in page] == ["Gamma", "Beta", "alphabet"]
    assert all(r.config is not None and r.site is not None for r in page)
    rest, _ = await stores.apps.list_apps(principal=ALICE, kind=Kind.STANDARD, mode="", name="", page=2, limit=3)
    assert [r.app.name for r in rest] == ["Alpha 100%"]
    found, total = await stores.apps.list_apps(
        principal=ALICE, kind=Kind.STANDARD, mode="", name="ALPHA", page=1, limit=10
    )
    assert total == 2 and {r.app.name for r in found} == {"Alpha 100%", "alphabet"}
    literal, total = await stores.apps.list_apps(
        principal=ALICE, kind=Kind.STANDARD, mode="", name="0%", page=1, limit=9
    )
    assert total == 1 and literal[0].app.name == "Alpha 100%"
    _, total = await stores.apps.list_apps(
        principal=COMPANY_10_KEY, kind=Kind.STANDARD, mode="", name="", page=1, limit=9
    )
    assert total == 5
    _, total = await stores.apps.list_apps(principal=EVE, kind=Kind.STANDARD, mode="", name="", page=1, limit=9)
    assert total == 0
    _, total = await stores.apps.list_apps(
        principal=ALICE, kind=Kind.STANDARD, mode="workflow", name="", page=1, limit=9
    )
    assert total == 0


async def test_delete_removes_every_dependent_row_and_queues_one_event(stores: Stores) -> None:
    keep = await _create(stores, ALICE, "Keep")
    program = build_app(ALICE, kind=Kind.MINI_PROGRAM, mode="chat", name="Program")
    own = build_session(program, SessionType.CREATED_MINI_PROGRAM, with_command=True)
    await stores.apps.create_app(
        app=program, config=default_model_config("chat"), site=build_site(program), sessions=[own]
    )
    await stores.apps.save_model_config(principal=ALICE, app_id=program.id, config=_config(1))
    shared = await stores.sessions.ensure_session(
        principal=BOB, app=program, session_type=SessionType.SHARED_MINI_PROGRAM
    )
    assert await stores.count("model_configs", program.id) == 2
    assert await stores.count("chat_sessions", program.id) == 2
    assert len(await stores.apps.pending_events()) == 1  # the save's config_changed
    await stores.apps.forget_events(ids=[e.id for e in await stores.apps.pending_events()])

    deleted, session_ids, event = await stores.apps.delete_app(principal=ALICE, app_id=program.id)
    assert deleted.id == program.id
    assert set(session_ids) == {own.id, own.command_id, shared.id}
    for table in ("apps", "model_configs", "sites", "chat_sessions"):
        assert await stores.count(table, program.id) == 0, table
    pending = await stores.apps.pending_events()
    assert [(e.id, e.verb) for e in pending] == [(event.id, "deleted")]
    assert pending[0].payload == {
        "app_id": program.id,
        "user_id": 1,
        "company_id": 10,
        "kind": int(Kind.MINI_PROGRAM),
        "session_ids": sorted(session_ids),
    }
    with pytest.raises(NotFound):
        await stores.sessions.own_session(principal=BOB, session_id=shared.id)
    with pytest.raises(NotFound):
        await stores.apps.get_app(principal=ALICE, app_id=program.id)
    assert await stores.count("model_configs", keep.app.id) == 1 and await stores.count("sites", keep.app.id) == 1
    await stores.apps.forget_events(ids=[event.id])
    assert await stores.apps.pending_events() == []


async def test_a_failing_write_leaves_nothing_behind(stores: Stores) -> None:
    record = await _create(stores, ALICE, "Taken")
    clash = build_app(ALICE, kind=Kind.STANDARD, mode="chat", name="Clash")
    site = build_site(clash)
    site.code = record.site.code if record.site else ""
    with pytest.raises(sa.exc.IntegrityError):
        await stores.apps.create_app(app=clash, config=default_model_config("chat"), site=site)
    assert await stores.count("apps", clash.id) == 0
    assert await stores.count("model_configs", clash.id) == 0


async def test_singletons_and_sessions_are_created_once(stores: Stores) -> None:
    def partner() -> tuple[object, ...]:
        app = build_app(ALICE, kind=Kind.PARTNER, mode="chat", name="AI", singleton_key="partner:1")
        return app, [build_session(app, SessionType.PARTNER)]

    results = []
    for _ in range(3):
        app, sessions = partner()
        results.append(await stores.apps.ensure_singleton(app=app, sessions=sessions, config={}))  # type: ignore[arg-type]
    assert len({a.id for a in results}) == 1
    made = await asyncio.gather(
        *(
            stores.sessions.ensure_session(principal=ALICE, app=results[0], session_type=SessionType.PARTNER)
            for _ in range(4)
        )
    )
    assert len({s.id for s in made}) == 1
    listed = await stores.sessions.list_sessions(principal=ALICE, session_type=SessionType.PARTNER)
    assert [s.id for s, _ in listed] == [made[0].id]
    assert await stores.sessions.list_sessions(principal=BOB, session_type=None) == []


async def test_sharing_is_limited_to_the_company(stores: Stores) -> None:
    program = build_app(ALICE, kind=Kind.MINI_PROGRAM, mode="chat", name="P")
    own = build_session(program, SessionType.CREATED_MINI_PROGRAM, with_command=True)
    await stores.apps.create_app(app=program, config={}, site=None, sessions=[own])
    session, app = await stores.sessions.shareable(principal=BOB, session_id=own.id)
    assert (session.id, app.id) == (own.id, program.id)
    with pytest.raises(NotFound):
        await stores.sessions.shareable(principal=EVE, session_id=own.id)
    with pytest.raises(NotFound):  # the command id is not a shareable session id
        await stores.sessions.shareable(principal=BOB, session_id=str(own.command_id))
    assert not await stores.sessions.can_read(principal=BOB, app=program)
    await stores.sessions.ensure_session(principal=BOB, app=program, session_type=SessionType.SHARED_MINI_PROGRAM)
    assert await stores.sessions.can_read(principal=BOB, app=program)
    assert not await stores.sessions.can_read(principal=EVE, app=program)
    with pytest.raises(NotFound):
        await stores.sessions.update_program(principal=BOB, app_id=program.id, changes={"mp_setting": "x"})


async def test_nexent_rows_belong_to_their_user(stores: Stores) -> None:
    agent = build_app(ALICE, kind=Kind.NEXENT_AGENT, mode="agent-chat", name="N", singleton_key="nexent:1")
    await stores.apps.create_app(app=agent, config={}, site=None)
    saved = await stores.nexent.save(principal=ALICE, app_id=agent.id, config={"k": 1}, name="Mine", description="d")
    assert saved.config == {"k": 1}
    assert (await stores.nexent.get(principal=ALICE)) is not None
    assert await stores.nexent.get(principal=BOB) is None
    with pytest.raises(NotFound):
        await stores.nexent.save(principal=BOB, app_id=agent.id, config={}, name="x", description="")
    assert (await stores.apps.get_app(principal=ALICE, app_id=agent.id)).app.name == "Mine"

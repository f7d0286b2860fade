"""The apps servicer in-process on port 0, on SQLite and on PostgreSQL, with real NATS events."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import grpc
import orjson
import pytest
from google.protobuf import json_format, struct_pb2
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from meshconsole.common.v1 import common_pb2
from nats.aio.client import Client as Nats

from services.apps.app import AppsProcess, build_apps
from services.apps.config import AppsSettings
from services.apps.models import OutboxEvent
from services.kit import grpc_client
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import MeshError, from_rpc_error
from services.kit.testing.credentials import credential_metadata
from services.kit.testing.servers import NatsServer

Apps = tuple[AppsProcess, grpc.aio.Channel]
ALICE = Principal(user_id=101, company_id=7)
BOB = Principal(user_id=102, company_id=7)
EVE = Principal(user_id=201, company_id=8)
GOOD_CONFIG = {"model": {"provider": "openai_api_compatible", "name": "nitro", "completion_params": {"temperature": 1}}}


class Caller:
    """The stub with one principal's metadata on every call."""

    def __init__(self, channel: grpc.aio.Channel, principal: Principal) -> None:
        self.stub = apps_pb2_grpc.AppsServiceStub(channel)
        self.md = (("x-request-id", f"req-{uuid.uuid4().hex[:8]}"), *credential_metadata(principal))

    async def __call__(self, method: str, request: Any) -> Any:
        return await getattr(self.stub, method)(request, metadata=self.md)

    async def fails(self, method: str, request: Any, code: grpc.StatusCode) -> MeshError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self(method, request)
        assert caught.value.code() == code, caught.value.details()
        return from_rpc_error(caught.value)


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


async def _events(nc: Nats, verb: str, app_id: str, *, want: int = 1) -> list[dict[str, Any]]:
    """Payloads stored on MESH_EVENTS under mesh.events.apps.<verb> for one app."""
    js = nc.jetstream()
    sub = await js.subscribe(f"mesh.events.apps.{verb}", stream="MESH_EVENTS", ordered_consumer=True)
    found: list[dict[str, Any]] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=2.0)
            except TimeoutError:
                return found
            payload = orjson.loads(msg.data)
            if payload.get("app_id") == app_id:
                found.append(payload)
                if len(found) >= want:
                    return found
    finally:
        await sub.unsubscribe()


async def _create(caller: Caller, name: str = "App", mode: int = apps_pb2.APP_MODE_CHAT) -> apps_pb2.App:
    return await caller("CreateApp", apps_pb2.CreateAppRequest(name=name, mode=mode, icon="🤖"))


async def test_create_get_update_and_list(apps: Apps) -> None:
    _, channel = apps
    alice = Caller(channel, ALICE)
    app = await _create(alice, "  Ashia  ", apps_pb2.APP_MODE_AGENT_CHAT)
    assert (app.name, app.mode, app.kind, app.user_id, app.company_id) == ("Ashia", 3, 1, 101, 7)
    assert app.enable_site and app.enable_api and app.icon == "🤖" and app.icon_type == "emoji"
    assert app.model_config.version == 1
    assert json_format.MessageToDict(app.model_config.config)["agent_mode"]["enabled"] is True
    assert len(app.site.access_token) == 16 and app.site.access_token == app.site.code and app.site.title == "Ashia"
    got = await alice("GetApp", apps_pb2.GetAppRequest(app_id=app.id.upper()))
    assert got == app
    renamed = await alice("UpdateApp", apps_pb2.UpdateAppRequest(app_id=app.id, name="Ashia-2", enable_api=False))
    assert (renamed.name, renamed.enable_api, renamed.enable_site, renamed.icon) == ("Ashia-2", False, True, "🤖")
    listed = await alice("ListApps", apps_pb2.ListAppsRequest(page=common_pb2.PageRequest(page=1, limit=1)))
    assert [a.id for a in listed.apps] == [app.id]
    assert (listed.page.total, listed.page.has_more) == (1, False)


async def test_bad_input_names_the_field(apps: Apps) -> None:
    _, channel = apps
    alice = Caller(channel, ALICE)
    bad_create = [
        (apps_pb2.CreateAppRequest(name="x"), "mode"),
        (apps_pb2.CreateAppRequest(name=" ", mode=1), "name"),
        (apps_pb2.CreateAppRequest(name="n" * 256, mode=1), "name"),
        (apps_pb2.CreateAppRequest(name="n", mode=1, description="d" * 401), "description"),
        (apps_pb2.CreateAppRequest(name="n", mode=1, icon_type="gif"), "icon_type"),
    ]
    for request, field in bad_create:
        error = await alice.fails("CreateApp", request, grpc.StatusCode.INVALID_ARGUMENT)
        assert error.field == field
    error = await alice.fails("GetApp", apps_pb2.GetAppRequest(app_id="not-a-uuid"), grpc.StatusCode.INVALID_ARGUMENT)
    assert (error.field, error.message) == ("app_id", "app_id must be a UUID")
    page = apps_pb2.ListAppsRequest(page=common_pb2.PageRequest(page=1, limit=101))
    assert (await alice.fails("ListApps", page, grpc.StatusCode.INVALID_ARGUMENT)).field == "limit"
    listed = await alice("ListApps", apps_pb2.ListAppsRequest())
    assert listed.apps == [] and listed.page.total == 0


async def test_model_config_versions_and_nothing_half_saved(apps: Apps) -> None:
    process, channel = apps
    alice = Caller(channel, ALICE)
    app = await _create(alice)
    saved = await alice("SaveModelConfig", apps_pb2.SaveModelConfigRequest(app_id=app.id, config=_struct(GOOD_CONFIG)))
    assert saved.version == 2
    bad = dict(GOOD_CONFIG, model={"provider": "p", "name": "m", "completion_params": {"temperature": 3}})
    request = apps_pb2.SaveModelConfigRequest(app_id=app.id, config=_struct(bad))
    error = await alice.fails("SaveModelConfig", request, grpc.StatusCode.INVALID_ARGUMENT)
    assert error.field == "model.completion_params.temperature"
    current = await alice("GetApp", apps_pb2.GetAppRequest(app_id=app.id))
    assert current.model_config.version == 2 and current.model_config.id == saved.id
    config = await alice("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=app.id))
    assert (config.model_config_version, config.config_version) == (2, 2)
    changed = await _events(process.nats, "config_changed", app.id)
    assert changed == [{"app_id": app.id, "user_id": 101, "company_id": 7, "config_version": 2}]


async def test_copy_is_a_deep_copy_with_a_fresh_site(apps: Apps) -> None:
    _, channel = apps
    alice = Caller(channel, ALICE)
    source = await _create(alice, "Source")
    config = dict(GOOD_CONFIG, pre_prompt="original")
    await alice("SaveModelConfig", apps_pb2.SaveModelConfigRequest(app_id=source.id, config=_struct(config)))
    copy = await alice(
        "CopyApp",
        apps_pb2.CopyAppRequest(app_id=source.id, name="Ashia-2", mode=apps_pb2.APP_MODE_COMPLETION, icon="✨"),
    )
    assert (copy.name, copy.mode, copy.icon, copy.model_config.version) == ("Ashia-2", 2, "✨", 1)
    assert copy.id != source.id and copy.site.access_token != source.site.access_token
    assert json_format.MessageToDict(copy.model_config.config)["pre_prompt"] == "original"
    changed = dict(GOOD_CONFIG, pre_prompt="changed later")
    await alice("SaveModelConfig", apps_pb2.SaveModelConfigRequest(app_id=source.id, config=_struct(changed)))
    again = await alice("GetApp", apps_pb2.GetAppRequest(app_id=copy.id))
    assert json_format.MessageToDict(again.model_config.config)["pre_prompt"] == "original"
    default_name = await alice("CopyApp", apps_pb2.CopyAppRequest(app_id=source.id))
    assert (default_name.name, default_name.mode) == ("Source copy", apps_pb2.APP_MODE_CHAT)
    eve = Caller(channel, EVE)
    await eve.fails("CopyApp", apps_pb2.CopyAppRequest(app_id=source.id, name="x"), grpc.StatusCode.NOT_FOUND)


async def test_other_tenants_get_not_found_everywhere(apps: Apps) -> None:
    _, channel = apps
    app = await _create(Caller(channel, ALICE), "Private")
    for who in (BOB, EVE):
        caller = Caller(channel, who)
        calls: list[tuple[str, Any]] = [
            ("GetApp", apps_pb2.GetAppRequest(app_id=app.id)),
            ("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=app.id)),
            ("UpdateApp", apps_pb2.UpdateAppRequest(app_id=app.id, name="mine")),
            ("SaveModelConfig", apps_pb2.SaveModelConfigRequest(app_id=app.id, config=_struct(GOOD_CONFIG))),
            ("UpdateSite", apps_pb2.UpdateSiteRequest(app_id=app.id, title="mine")),
            ("ResetSiteAccessToken", apps_pb2.ResetSiteAccessTokenRequest(app_id=app.id)),
            ("DeleteApp", apps_pb2.DeleteAppRequest(app_id=app.id)),
        ]
        for method, request in calls:
            error = await caller.fails(method, request, grpc.StatusCode.NOT_FOUND)
            assert error.reason == "app_not_found", method
        assert (await caller("ListApps", apps_pb2.ListAppsRequest())).apps == []
    still = await Caller(channel, ALICE)("GetApp", apps_pb2.GetAppRequest(app_id=app.id))
    assert (still.name, still.model_config.version, still.site.title) == ("Private", 1, "Private")


async def test_site_update_and_token_reset(apps: Apps) -> None:
    _, channel = apps
    alice = Caller(channel, ALICE)
    app = await _create(alice)
    site = await alice(
        "UpdateSite", apps_pb2.UpdateSiteRequest(app_id=app.id, title="Ashias-23", icon="grin", description="hi")
    )
    assert (site.title, site.icon, site.description, site.icon_background) == ("Ashias-23", "grin", "hi", "")
    bad = apps_pb2.UpdateSiteRequest(app_id=app.id, customize_token_strategy="sometimes")
    assert (await alice.fails("UpdateSite", bad, grpc.StatusCode.INVALID_ARGUMENT)).field == "customize_token_strategy"
    empty = apps_pb2.UpdateSiteRequest(app_id=app.id, title=" ")
    assert (await alice.fails("UpdateSite", empty, grpc.StatusCode.INVALID_ARGUMENT)).field == "title"
    reset = await alice("ResetSiteAccessToken", apps_pb2.ResetSiteAccessTokenRequest(app_id=app.id))
    assert reset.access_token != app.site.access_token and len(reset.access_token) == 16
    assert reset.title == "Ashias-23"


async def test_app_config_is_cached_and_invalidated_across_replicas(
    apps: Apps, database_url: str, tmp_path: Path, nats_server: NatsServer
) -> None:
    _, channel = apps
    settings = AppsSettings(
        data_dir=tmp_path, database_url=database_url, nats_url=nats_server.url, secret_key="another-replica"
    )
    replica = await build_apps(settings, address="127.0.0.1:0")
    await replica.server.start()
    replica_channel = grpc_client.create_channel(f"127.0.0.1:{replica.port}")
    try:
        alice, alice_on_replica = Caller(channel, ALICE), Caller(replica_channel, ALICE)
        app = await _create(alice)
        first = await alice_on_replica("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=app.id))
        hits = replica.apps.cache.hits
        again = await alice_on_replica("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=app.id))
        assert again == first and replica.apps.cache.hits == hits + 1
        new = dict(GOOD_CONFIG, pre_prompt="v2")
        await alice("SaveModelConfig", apps_pb2.SaveModelConfigRequest(app_id=app.id, config=_struct(new)))
        for _ in range(50):  # the replica learns of the change through mesh.events.apps.config_changed
            seen = await alice_on_replica("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=app.id))
            if seen.model_config_version == 2:
                break
            await asyncio.sleep(0.05)
        assert (seen.model_config_version, seen.config_version) == (2, 2)
        assert json_format.MessageToDict(seen.model_config)["pre_prompt"] == "v2"
        await alice("DeleteApp", apps_pb2.DeleteAppRequest(app_id=app.id))
        for _ in range(50):
            try:
                await alice_on_replica("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=app.id))
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the replica kept serving a deleted app")
    finally:
        await replica_channel.close()
        await replica.server.stop(1)
        for hook in replica.on_shutdown:
            await hook()


async def test_delete_cascades_and_publishes_the_event(apps: Apps) -> None:
    process, channel = apps
    alice, bob = Caller(channel, ALICE), Caller(channel, BOB)
    made = await alice("CreateMiniProgram", apps_pb2.CreateMiniProgramRequest(nick_name="Writer"))
    shared = await bob("ShareMiniProgram", apps_pb2.ShareMiniProgramRequest(session_id=made.session_id))
    await alice("DeleteApp", apps_pb2.DeleteAppRequest(app_id=made.app_id))
    for caller, session_id in ((alice, made.session_id), (alice, made.command_session_id), (bob, shared.session_id)):
        error = await caller.fails(
            "GetChatSession", apps_pb2.GetChatSessionRequest(session_id=session_id), grpc.StatusCode.NOT_FOUND
        )
        assert error.reason == "session_not_found"
    await alice.fails("GetApp", apps_pb2.GetAppRequest(app_id=made.app_id), grpc.StatusCode.NOT_FOUND)
    await alice.fails("DeleteApp", apps_pb2.DeleteAppRequest(app_id=made.app_id), grpc.StatusCode.NOT_FOUND)
    [event] = await _events(process.nats, "deleted", made.app_id)
    assert event == {
        "app_id": made.app_id,
        "user_id": 101,
        "company_id": 7,
        "kind": 2,
        "session_ids": sorted([made.session_id, made.command_session_id, shared.session_id]),
    }
    assert await process.apps.store.pending_events() == []


async def test_the_relay_publishes_events_left_in_the_outbox(apps: Apps) -> None:
    process, _ = apps
    app_id = str(uuid.uuid4())
    leftover = OutboxEvent(
        id=str(uuid.uuid4()),
        user_id=1,
        company_id=2,
        entity="apps",
        verb="deleted",
        payload={"app_id": app_id, "user_id": 1, "company_id": 2},
        created_at=utcnow(),
    )
    async with process.apps.store.transaction() as session:
        session.add(leftover)
    assert [e.id for e in await process.apps.store.pending_events()] == [leftover.id]
    events = await _events(process.nats, "deleted", app_id)
    assert events == [{"app_id": app_id, "user_id": 1, "company_id": 2}]
    for _ in range(40):
        if not await process.apps.store.pending_events():
            break
        await asyncio.sleep(0.05)
    assert await process.apps.store.pending_events() == []

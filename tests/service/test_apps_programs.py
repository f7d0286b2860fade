"""lbai mini programs, chat sessions and the Nexent config through the apps servicer, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import grpc
import sqlalchemy as sa
from google.protobuf import json_format
from meshconsole.apps.v1 import apps_pb2
from meshconsole.common.v1 import common_pb2

from services.apps.models import NexentConfig
from services.kit.context import Principal
from tests.service.test_apps_servicer import ALICE, BOB, EVE, Apps, Caller, _struct

ADMIN = Principal(user_id=100, company_id=7, roles=("admin",))
SETTING = apps_pb2.GetMiniProgramSettingRequest
REF = apps_pb2.MiniProgramRef


async def test_mini_program_lifecycle_and_partial_updates(apps: Apps) -> None:
    _, channel = apps
    alice = Caller(channel, ALICE)
    made = await alice("CreateMiniProgram", apps_pb2.CreateMiniProgramRequest(nick_name="jack2", header_url="h.png"))
    assert made.session_id != made.command_session_id
    setting = await alice("GetMiniProgramSetting", SETTING(ref=REF(command_session_id=made.command_session_id)))
    assert (setting.mini_program_name, setting.mini_program_icon, setting.mini_program_setting) == (
        "jack2",
        "h.png",
        "",
    )
    update = apps_pb2.UpdateMiniProgramRequest(
        ref=REF(command_session_id=made.command_session_id),
        mini_program_name="灵感写手",
        mini_program_setting="You write songs.",
        knowledge_base=apps_pb2.KnowledgeBase(file_ids=["f1", "f2", "f1"]),
    )
    await alice("UpdateMiniProgram", update)
    only_intro = apps_pb2.UpdateMiniProgramRequest(ref=REF(session_id=made.session_id), mini_program_introduction="AI")
    after = await alice("UpdateMiniProgram", only_intro)
    assert (after.mini_program_name, after.mini_program_setting, after.mini_program_introduction) == (
        "灵感写手",
        "You write songs.",
        "AI",
    )
    assert list(after.knowledge_file_ids) == ["f1", "f2"] and after.mini_program_icon == "h.png"
    config = await alice("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=made.app_id))
    assert (config.kind, config.mini_program_setting, list(config.knowledge_file_ids)) == (
        apps_pb2.APP_KIND_MINI_PROGRAM,
        "You write songs.",
        ["f1", "f2"],
    )
    cleared = await alice("MountFiles", apps_pb2.MountFilesRequest(ref=REF(session_id=made.session_id)))
    assert list(cleared.knowledge_file_ids) == [] and cleared.mini_program_setting == "You write songs."
    mounted = await alice("MountFiles", apps_pb2.MountFilesRequest(ref=REF(session_id=made.session_id), file_ids=["9"]))
    assert list(mounted.knowledge_file_ids) == ["9"]
    too_long = apps_pb2.UpdateMiniProgramRequest(ref=REF(session_id=made.session_id), mini_program_name="n" * 65)
    error = await alice.fails("UpdateMiniProgram", too_long, grpc.StatusCode.INVALID_ARGUMENT)
    assert error.field == "mini_program_name" and "64" in error.message
    bad_ref = apps_pb2.UpdateMiniProgramRequest(ref=REF(command_session_id="123"), mini_program_name="x")
    # A malformed id is one that does not exist: NOT_FOUND, like a missing or foreign one.
    assert (await alice.fails("UpdateMiniProgram", bad_ref, grpc.StatusCode.NOT_FOUND)).reason == "session_not_found"
    no_ref = apps_pb2.GetMiniProgramSettingRequest()
    assert (await alice.fails("GetMiniProgramSetting", no_ref, grpc.StatusCode.INVALID_ARGUMENT)).field


async def test_sharing_within_the_company_only(apps: Apps) -> None:
    _, channel = apps
    alice, bob, eve = Caller(channel, ALICE), Caller(channel, BOB), Caller(channel, EVE)
    made = await alice("CreateMiniProgram", apps_pb2.CreateMiniProgramRequest(nick_name="Shared"))
    await alice(
        "UpdateMiniProgram",
        apps_pb2.UpdateMiniProgramRequest(
            ref=REF(session_id=made.session_id),
            mini_program_setting="secret sauce",
        ),
    )
    first = await bob("ShareMiniProgram", apps_pb2.ShareMiniProgramRequest(session_id=made.session_id))
    second = await bob("ShareMiniProgram", apps_pb2.ShareMiniProgramRequest(session_id=made.session_id))
    assert first.session_id == second.session_id != made.session_id
    assert (first.session_type, first.app_id, first.nick_name) == (4, made.app_id, "Shared")
    own = await alice("ShareMiniProgram", apps_pb2.ShareMiniProgramRequest(session_id=made.session_id))
    assert own.session_id == made.session_id
    for request in (
        apps_pb2.ShareMiniProgramRequest(session_id=made.session_id),
        apps_pb2.ShareMiniProgramRequest(session_id=made.command_session_id),
    ):
        assert (await eve.fails("ShareMiniProgram", request, grpc.StatusCode.NOT_FOUND)).reason == "session_not_found"
    seen = await bob("GetMiniProgramSetting", SETTING(ref=REF(session_id=first.session_id)))
    assert seen.mini_program_setting == "secret sauce"
    config = await bob("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=made.app_id))
    assert config.mini_program_setting == "secret sauce"
    await eve.fails("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=made.app_id), grpc.StatusCode.NOT_FOUND)
    for ref in (
        REF(session_id=first.session_id),
        REF(app_id=made.app_id),
        REF(command_session_id=made.command_session_id),
    ):
        request = apps_pb2.UpdateMiniProgramRequest(ref=ref, mini_program_setting="hijacked")
        await bob.fails("UpdateMiniProgram", request, grpc.StatusCode.NOT_FOUND)
    await eve.fails("GetMiniProgramSetting", SETTING(ref=REF(app_id=made.app_id)), grpc.StatusCode.NOT_FOUND)
    kept = await alice("GetMiniProgramSetting", SETTING(ref=REF(command_session_id=made.command_session_id)))
    assert kept.mini_program_setting == "secret sauce"
    listed = await bob("ListChatSessions", apps_pb2.ListChatSessionsRequest(session_type=4))
    assert [s.session_id for s in listed.sessions] == [first.session_id]


async def test_chat_list_partner_official_created_and_shared(apps: Apps) -> None:
    _, channel = apps
    admin, alice, bob, eve = (Caller(channel, p) for p in (ADMIN, ALICE, BOB, EVE))
    denied = await alice.fails(
        "CreateMiniProgram",
        apps_pb2.CreateMiniProgramRequest(nick_name="x", official=True),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert denied.reason == "admin_required"
    official = await admin("CreateMiniProgram", apps_pb2.CreateMiniProgramRequest(nick_name="Official", official=True))
    mine = await alice("CreateMiniProgram", apps_pb2.CreateMiniProgramRequest(nick_name="Mine", header_url="m.png"))
    bobs = await bob("CreateMiniProgram", apps_pb2.CreateMiniProgramRequest(nick_name="Bob's"))
    await alice("ShareMiniProgram", apps_pb2.ShareMiniProgramRequest(session_id=bobs.session_id))
    partners = await asyncio.gather(*(alice("EnsurePartnerSession", common_pb2.Empty()) for _ in range(3)))
    assert len({p.session_id for p in partners}) == 1 and partners[0].nick_name == "AI伙伴"
    listed = (await alice("ListChatSessions", apps_pb2.ListChatSessionsRequest())).sessions
    assert [(s.session_type, s.nick_name) for s in listed] == [
        (1, "AI伙伴"),
        (2, "Official"),
        (3, "Mine"),
        (4, "Bob's"),
    ]
    assert listed[0].session_id == partners[0].session_id
    assert listed[2].command_session_id == mine.command_session_id and listed[2].header_url == "m.png"
    assert listed[1].command_session_id == listed[3].command_session_id == ""
    assert listed[1].app_id == official.app_id and listed[1].session_id != official.session_id
    only = await alice("ListChatSessions", apps_pb2.ListChatSessionsRequest(session_type=3))
    assert [s.session_id for s in only.sessions] == [mine.session_id]
    official_config = await alice("GetAppConfig", apps_pb2.GetAppConfigRequest(app_id=official.app_id))
    assert official_config.owner_user_id == ADMIN.user_id
    assert [
        (s.session_type, s.nick_name)
        for s in (await eve("ListChatSessions", apps_pb2.ListChatSessionsRequest())).sessions
    ] == [(1, "AI伙伴")]
    chat = await alice("GetChatSession", apps_pb2.GetChatSessionRequest(session_id=mine.session_id))
    command = await alice("GetChatSession", apps_pb2.GetChatSessionRequest(session_id=mine.command_session_id))
    assert (chat.role, command.role) == (apps_pb2.SESSION_ROLE_CHAT, apps_pb2.SESSION_ROLE_COMMAND)
    assert chat.session_id == command.session_id == mine.session_id
    await bob.fails(
        "GetChatSession", apps_pb2.GetChatSessionRequest(session_id=mine.session_id), grpc.StatusCode.NOT_FOUND
    )
    bad = apps_pb2.ListChatSessionsRequest(session_type=9)  # type: ignore[arg-type]
    assert (await alice.fails("ListChatSessions", bad, grpc.StatusCode.INVALID_ARGUMENT)).field == "session_type"


async def test_nexent_config_keys_are_sealed_and_masked(apps: Apps) -> None:
    process, channel = apps
    alice, bob = Caller(channel, ALICE), Caller(channel, BOB)
    fresh = await alice("LoadNexentConfig", apps_pb2.LoadNexentConfigRequest())
    assert not fresh.HasField("updated_at")
    assert json_format.MessageToDict(fresh.config)["models"]["llm"]["apiConfig"] == {"apiKey": "", "modelUrl": ""}
    body = {
        "app": {"name": "Helper", "description": "d", "icon": {"type": "custom", "avatarUri": "", "customUrl": "u"}},
        "models": {
            "llm": {
                "name": "qwen",
                "displayName": "Qwen",
                "apiConfig": {"apiKey": "sk-abcdef123456", "modelUrl": "http://m"},
            },
            "embedding": {"name": "e5", "displayName": "", "apiConfig": {"apiKey": "emb-key-987654", "modelUrl": ""}},
        },
        "data": {"selectedKbNames": ["kb1"], "selectedKbModels": [], "selectedKbSources": []},
    }
    saved = await alice("SaveNexentConfig", apps_pb2.SaveNexentConfigRequest(config=_struct(body)))
    loaded = json_format.MessageToDict((await alice("LoadNexentConfig", apps_pb2.LoadNexentConfigRequest())).config)
    assert loaded["models"]["llm"]["apiConfig"] == {"apiKey": "sk-a******3456", "modelUrl": "http://m"}
    assert loaded["models"]["embedding"]["apiConfig"]["apiKey"] == "emb-******7654"
    assert loaded["app"] == body["app"] and loaded["data"] == body["data"]
    async with process.apps.store.transaction() as session:
        row = (await session.execute(sa.select(NexentConfig).where(NexentConfig.user_id == ALICE.user_id))).scalar_one()
    assert "sk-abcdef123456" not in str(row.config) and row.config["models"]["llm"]["apiConfig"]["apiKey"].startswith(
        "enc:"
    )
    loaded["models"]["llm"]["displayName"] = "Qwen 2"  # send the masked keys back unchanged
    await alice("SaveNexentConfig", apps_pb2.SaveNexentConfigRequest(config=_struct(loaded)))
    secret = await alice("LoadNexentConfig", apps_pb2.LoadNexentConfigRequest(include_secrets=True))
    revealed = json_format.MessageToDict(secret.config)["models"]
    assert revealed["llm"]["apiConfig"]["apiKey"] == "sk-abcdef123456" and revealed["llm"]["displayName"] == "Qwen 2"
    assert revealed["embedding"]["apiConfig"]["apiKey"] == "emb-key-987654"
    agent = await alice("GetApp", apps_pb2.GetAppRequest(app_id=saved.app_id))
    assert (agent.kind, agent.name, agent.description) == (apps_pb2.APP_KIND_NEXENT_AGENT, "Helper", "d")
    other = await bob("LoadNexentConfig", apps_pb2.LoadNexentConfigRequest())
    assert other.app_id != saved.app_id and json_format.MessageToDict(other.config)["app"]["name"] == "Nexent"
    for bad, field in (
        ({"app": "x"}, "app"),
        ({"models": {"llm": {"apiConfig": {"apiKey": 5}}}}, "models.llm.apiConfig.apiKey"),
        ({"data": {"selectedKbNames": "kb"}}, "data.selectedKbNames"),
    ):
        request = apps_pb2.SaveNexentConfigRequest(config=_struct(bad))
        assert (await alice.fails("SaveNexentConfig", request, grpc.StatusCode.INVALID_ARGUMENT)).field == field
    still = json_format.MessageToDict((await alice("LoadNexentConfig", apps_pb2.LoadNexentConfigRequest())).config)
    assert still["models"]["llm"]["displayName"] == "Qwen 2"

"""lbai mini programs and the chat list end to end, in the lbai envelope: ids, settings, sharing, tenancy."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import Tenant, rows, tenant

API = "/ai-api/v1"
SETTING_FIELDS = {
    "mini_program_name",
    "mini_program_icon",
    "mini_program_introduction",
    "mini_program_instructions",
    "mini_program_setting",
}


def ok(reply: Any) -> Any:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert {k: body[k] for k in ("errorCode", "message", "success")} == {
        "errorCode": 0,
        "message": "成功",
        "success": True,
    }
    return body["data"]


def failed(reply: Any, status: int, *words: str) -> None:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert (body["data"], body["errorCode"], body["success"]) == (None, status, False)
    assert all(w in body["message"] for w in words), body["message"]


def new_program(
    mesh: MeshClient, owner: Tenant, name: str = "jack2", icon: str = "https://xxx.com/xx.jpg"
) -> dict[str, str]:
    data = ok(
        mesh.http.get(
            f"{API}/miniProgram/getsessionid", params={"nick_name": name, "header_url": icon}, headers=owner.headers
        )
    )
    assert set(data) == {"session_id", "command_session_id"}
    return dict(data)


def mounted(mesh: MeshClient, session_id: str) -> list[str]:
    """The mounted file ids as persisted by apps."""
    [(raw,)] = rows(
        mesh,
        "apps",
        "SELECT a.knowledge_file_ids FROM apps a JOIN chat_sessions s ON s.app_id = a.id WHERE s.id = ?",
        session_id,
    )
    return list(json.loads(raw))


def test_getsessionid_and_get_setting(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-new")
    ids = new_program(mesh, owner)
    assert ids["session_id"] != ids["command_session_id"]
    uuid.UUID(ids["session_id"]), uuid.UUID(ids["command_session_id"])
    reply = mesh.http.get(
        f"{API}/miniProgram/getSetting", params={"command_session_id": ids["command_session_id"]}, headers=owner.headers
    )
    assert set(reply.json()) == {"data", "errorCode", "line", "message", "success"}
    assert ok(reply) == {
        "mini_program_name": "jack2",
        "mini_program_icon": "https://xxx.com/xx.jpg",
        "mini_program_introduction": "",
        "mini_program_instructions": "",
        "mini_program_setting": "",
    }


def test_save_update_is_partial_and_sets_the_files(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-update")
    ids = new_program(mesh, owner)
    full = {
        "command_session_id": ids["command_session_id"],
        "mini_program_name": "灵感写手",
        "mini_program_icon": "https://x/a.png",
        "mini_program_introduction": "生成随机歌词和旋律的AI助手。",
        "mini_program_instructions": "使用说明",
        "mini_program_setting": "你是一位音乐领域的专家",
        "knowledge_base": {"fileIds": ["1802643330484416514"]},
    }
    assert ok(mesh.http.post(f"{API}/miniProgram/saveUpdate", json=full, headers=owner.headers)) is None
    assert mounted(mesh, ids["session_id"]) == ["1802643330484416514"]
    partial = {
        "command_session_id": ids["command_session_id"],
        "mini_program_setting": "新的设定",
        "mini_program_icon": None,
    }
    assert ok(mesh.http.post(f"{API}/miniProgram/saveUpdate", json=partial, headers=owner.headers)) is None
    setting = ok(
        mesh.http.get(
            f"{API}/miniProgram/getSetting",
            params={"command_session_id": ids["command_session_id"]},
            headers=owner.headers,
        )
    )
    expected = {k: full[k] for k in SETTING_FIELDS} | {"mini_program_setting": "新的设定"}
    assert setting == expected
    assert mounted(mesh, ids["session_id"]) == ["1802643330484416514"]
    cleared = {"command_session_id": ids["command_session_id"], "knowledge_base": {"fileIds": []}}
    ok(mesh.http.post(f"{API}/miniProgram/saveUpdate", json=cleared, headers=owner.headers))
    assert mounted(mesh, ids["session_id"]) == []


def test_mount_file_sets_and_clears(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-mount")
    ids = new_program(mesh, owner)
    body = {"session_id": ids["session_id"], "knowledge_base": {"fileIds": ["f-1", "f-2"]}}
    assert ok(mesh.http.post(f"{API}/miniProgram/mount/file", json=body, headers=owner.headers)) is None
    assert mounted(mesh, ids["session_id"]) == ["f-1", "f-2"]
    assert (
        ok(
            mesh.http.post(
                f"{API}/miniProgram/mount/file", json={"session_id": ids["session_id"]}, headers=owner.headers
            )
        )
        is None
    )
    assert mounted(mesh, ids["session_id"]) == []
    too_many = {"session_id": ids["session_id"], "knowledge_base": {"fileIds": [f"f{i}" for i in range(51)]}}
    failed(
        mesh.http.post(f"{API}/miniProgram/mount/file", json=too_many, headers=owner.headers),
        400,
        "knowledge_base.fileIds",
        "50",
    )
    assert mounted(mesh, ids["session_id"]) == []


def test_chat_list_partner_created_and_shared(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-owner")
    colleague = tenant(mesh, "lbai-colleague", company=owner.company)
    first = ok(mesh.http.get(f"{API}/chat/list", headers=colleague.headers))
    assert len(first) == 1
    assert first[0] == {
        "session_id": first[0]["session_id"],
        "command_session_id": "",
        "nick_name": "AI伙伴",
        "header_url": "",
        "session_type": 1,
    }
    assert ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 1}, headers=colleague.headers)) == first
    ids = new_program(mesh, owner, name="Writer")
    shared = ok(
        mesh.http.get(
            f"{API}/miniProgram/share/sessionid", params={"session_id": ids["session_id"]}, headers=colleague.headers
        )
    )
    assert set(shared) == {"session_id"} and shared["session_id"] != ids["session_id"]
    again = ok(
        mesh.http.get(
            f"{API}/miniProgram/share/sessionid", params={"session_id": ids["session_id"]}, headers=colleague.headers
        )
    )
    assert again == shared
    listed = ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 0}, headers=colleague.headers))
    assert [(e["session_type"], e["nick_name"]) for e in listed] == [(1, "AI伙伴"), (4, "Writer")]
    assert listed[0]["session_id"] == first[0]["session_id"] and listed[1]["session_id"] == shared["session_id"]
    assert listed[1]["command_session_id"] == "" and listed[1]["header_url"] == "https://xxx.com/xx.jpg"
    mine = ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 3}, headers=owner.headers))
    assert mine == [
        {
            "session_id": ids["session_id"],
            "command_session_id": ids["command_session_id"],
            "nick_name": "Writer",
            "header_url": "https://xxx.com/xx.jpg",
            "session_type": 3,
        }
    ]
    assert ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 2}, headers=owner.headers)) == []
    seen = ok(
        mesh.http.get(
            f"{API}/miniProgram/getSetting", params={"session_id": shared["session_id"]}, headers=colleague.headers
        )
    )
    assert seen["mini_program_name"] == "Writer"


def test_official_programs_reach_the_whole_company(mesh: MeshClient) -> None:
    admin = {"Authorization": f"Bearer {mesh.admin_token()}"}
    made = ok(
        mesh.http.get(
            f"{API}/miniProgram/getsessionid", params={"nick_name": "官方助手", "official": "true"}, headers=admin
        )
    )
    member = tenant(mesh, "lbai-member", company="MeshConsole")
    outsider = tenant(mesh, "lbai-outsider")
    official = ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 2}, headers=member.headers))
    assert [
        (e["session_type"], e["nick_name"], e["command_session_id"]) for e in official if e["nick_name"] == "官方助手"
    ] == [(2, "官方助手", "")]
    assert all(e["session_id"] != made["session_id"] for e in official)
    assert ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 2}, headers=outsider.headers)) == []
    user_try = mesh.http.get(f"{API}/miniProgram/getsessionid", params={"official": "true"}, headers=outsider.headers)
    failed(user_try, 403, "admin")


def test_other_companies_and_non_owners_get_not_found(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-victim")
    colleague = tenant(mesh, "lbai-peer", company=owner.company)
    stranger = tenant(mesh, "lbai-stranger")
    ids = new_program(mesh, owner, name="Mine")
    ok(
        mesh.http.post(
            f"{API}/miniProgram/saveUpdate",
            json={"command_session_id": ids["command_session_id"], "mini_program_setting": "secret"},
            headers=owner.headers,
        )
    )
    share = mesh.http.get(
        f"{API}/miniProgram/share/sessionid", params={"session_id": ids["session_id"]}, headers=stranger.headers
    )
    failed(share, 404, "not found")
    for intruder in (stranger, colleague):
        failed(
            mesh.http.get(
                f"{API}/miniProgram/getSetting",
                params={"command_session_id": ids["command_session_id"]},
                headers=intruder.headers,
            ),
            404,
        )
        update = {"command_session_id": ids["command_session_id"], "mini_program_setting": "hijacked"}
        failed(mesh.http.post(f"{API}/miniProgram/saveUpdate", json=update, headers=intruder.headers), 404)
        mount = {"session_id": ids["session_id"], "knowledge_base": {"fileIds": ["evil"]}}
        failed(mesh.http.post(f"{API}/miniProgram/mount/file", json=mount, headers=intruder.headers), 404)
    shared = ok(
        mesh.http.get(
            f"{API}/miniProgram/share/sessionid", params={"session_id": ids["session_id"]}, headers=colleague.headers
        )
    )
    hijack = {"session_id": shared["session_id"], "knowledge_base": {"fileIds": ["evil"]}}
    failed(mesh.http.post(f"{API}/miniProgram/mount/file", json=hijack, headers=colleague.headers), 404)
    setting = ok(
        mesh.http.get(
            f"{API}/miniProgram/getSetting",
            params={"command_session_id": ids["command_session_id"]},
            headers=owner.headers,
        )
    )
    assert setting["mini_program_setting"] == "secret" and mounted(mesh, ids["session_id"]) == []
    assert [e["session_type"] for e in ok(mesh.http.get(f"{API}/chat/list", headers=stranger.headers))] == [1]


def test_bad_input_names_the_field(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-bad")
    ids = new_program(mesh, owner)
    failed(mesh.http.get(f"{API}/chat/list", params={"session_type": 5}, headers=owner.headers), 400, "session_type")
    failed(
        mesh.http.get(f"{API}/chat/list", params={"session_type": "all"}, headers=owner.headers), 400, "session_type"
    )
    failed(mesh.http.get(f"{API}/miniProgram/getSetting", headers=owner.headers), 400, "command_session_id")
    # A malformed session id is one that does not exist (see test_share_lookup): 404, not a telling 400.
    failed(
        mesh.http.get(f"{API}/miniProgram/getSetting", params={"command_session_id": "42"}, headers=owner.headers),
        404,
    )
    # A malformed share id is one that does not exist (404, as in test_share_lookup), never a 400 that tells them apart.
    failed(
        mesh.http.get(f"{API}/miniProgram/getsessionid", params={"nick_name": "n" * 65}, headers=owner.headers),
        400,
        "nick_name",
        "64",
    )
    base = {"command_session_id": ids["command_session_id"]}
    failed(
        mesh.http.post(f"{API}/miniProgram/saveUpdate", json={"mini_program_name": "x"}, headers=owner.headers),
        400,
        "command_session_id",
    )
    failed(
        mesh.http.post(f"{API}/miniProgram/saveUpdate", json={**base, "mini_program_name": 5}, headers=owner.headers),
        400,
        "mini_program_name",
    )
    failed(
        mesh.http.post(
            f"{API}/miniProgram/saveUpdate", json={**base, "mini_program_name": "n" * 65}, headers=owner.headers
        ),
        400,
        "mini_program_name",
        "64",
    )
    failed(
        mesh.http.post(
            f"{API}/miniProgram/saveUpdate", json={**base, "knowledge_base": {"fileIds": "1"}}, headers=owner.headers
        ),
        400,
        "fileIds",
    )
    failed(
        mesh.http.post(f"{API}/miniProgram/mount/file", json={"knowledge_base": {}}, headers=owner.headers),
        400,
        "session_id",
    )
    setting = ok(mesh.http.get(f"{API}/miniProgram/getSetting", params=base, headers=owner.headers))
    assert setting["mini_program_name"] == "jack2"
    failed(mesh.http.get(f"{API}/chat/list"), 401)

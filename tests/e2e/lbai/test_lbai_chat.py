"""lbai chat through the gateway: the AI partner, diagrams by mark_type, history, mini programs built by chat."""

from __future__ import annotations

from typing import Any

import httpx

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, new_tenant
from tests.e2e.conftest import MeshClient

API = "/ai-api/v1"


def ok(reply: httpx.Response) -> Any:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["errorCode"], body["success"], body["message"]) == (0, True, "成功")
    return body["data"]


def partner_session(mesh: MeshClient, token: str) -> str:
    sessions = ok(mesh.http.get(f"{API}/chat/list", params={"session_type": 1}, headers=bearer(token)))
    return str(sessions[0]["session_id"])


def test_partner_chat_answers_whole_and_keeps_history(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "lbai-chat")
    session_id = partner_session(mesh, token)
    scripted.push(Script(chunks=["星星", "闪烁", "是因为大气湍流。"]))
    question = {"type": 0, "content": "星星为什么一闪一闪的."}
    data = ok(
        mesh.http.post(
            f"{API}/chat/completions", json={"session_id": session_id, "user_question": question}, headers=bearer(token)
        )
    )
    assert set(data) >= {"id", "create_time", "message"}
    assert data["message"] == {"text": "星星闪烁是因为大气湍流。", "text_type": None, "file_attachs": []}
    assert len(data["create_time"]) == len("2024-01-01 01:11:11")

    scripted.push(Script(chunks=["flowchart TD\n A-->B"]))
    diagram = ok(
        mesh.http.post(
            f"{API}/chat/completions",
            json={"session_id": session_id, "user_question": {"type": 0, "content": "画流程"}, "mark_type": 2},
            headers=bearer(token),
        )
    )
    assert diagram["message"]["text_type"] == "mermaid"
    prompt = scripted.chat_requests()[-1].body["messages"]
    assert "Mermaid" in prompt[-1]["content"] and "flowchart" in prompt[-1]["content"]
    assert {"role": "assistant", "content": "星星闪烁是因为大气湍流。"} in prompt

    history = ok(
        mesh.http.get(f"{API}/chat/msgList", params={"session_id": session_id, "page_size": 3}, headers=bearer(token))
    )
    assert set(history) == {"isMore", "items", "pageNum", "pageSize", "startIndex", "totalCount", "totalPage"}
    assert (history["totalCount"], history["isMore"], history["totalPage"]) == (4, True, 2)
    assert [i["user_type"] for i in history["items"]] == ["AI", "human", "AI"]
    assert history["items"][1]["message"]["text"] == "画流程"
    assert history["items"][2]["message"]["text_type"] == "mermaid"


def test_mini_program_built_by_chat_then_used(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "lbai-builder")
    ids = ok(
        mesh.http.get(
            f"{API}/miniProgram/getsessionid", params={"nick_name": "诗人", "header_url": ""}, headers=bearer(token)
        )
    )
    proposal = (
        "好的,这是一个写诗助手。\n```json\n"
        '{"mini_program_name": "诗人", "mini_program_introduction": "写古诗", '
        '"mini_program_setting": "你是一位只写五言绝句的诗人。"}\n```'
    )
    scripted.push(Script(chunks=[proposal]))
    built = ok(
        mesh.http.post(
            f"{API}/miniProgram/create",
            json={"command_session_id": ids["command_session_id"], "user_question": {"type": 0, "content": "写诗的"}},
            headers=bearer(token),
        )
    )
    assert built["message"]["text"] == proposal
    query = {"command_session_id": ids["command_session_id"]}
    setting = ok(mesh.http.get(f"{API}/miniProgram/getSetting", params=query, headers=bearer(token)))
    assert setting["mini_program_setting"] == "你是一位只写五言绝句的诗人。"
    assert setting["mini_program_introduction"] == "写古诗"

    scripted.push(Script(chunks=["床前明月光"]))
    answer = ok(
        mesh.http.post(
            f"{API}/miniProgram/chat",
            json={"session_id": ids["session_id"], "user_question": {"type": 0, "content": "写一首"}},
            headers=bearer(token),
        )
    )
    assert answer["message"]["text"] == "床前明月光"
    system = scripted.chat_requests()[-1].body["messages"][0]
    assert system == {"role": "system", "content": "你是一位只写五言绝句的诗人。"}


def test_lbai_chat_refusals(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "lbai-refusals")
    session_id = partner_session(mesh, token)
    stranger = new_tenant(mesh, "lbai-stranger")
    foreign = mesh.http.post(
        f"{API}/chat/completions",
        json={"session_id": session_id, "user_question": {"type": 0, "content": "hi"}},
        headers=bearer(stranger),
    )
    assert foreign.status_code == 404 and foreign.json()["success"] is False
    missing = mesh.http.post(f"{API}/chat/completions", json={"session_id": session_id}, headers=bearer(token))
    assert missing.status_code == 400 and "user_question" in missing.json()["message"]
    voice = mesh.http.post(
        f"{API}/chat/completions",
        json={"session_id": session_id, "user_question": {"type": 1, "content": "12345"}},
        headers=bearer(token),
    )
    assert voice.status_code == 404 and voice.json()["errorCode"] == 404  # no such voice file
    bad_mark = mesh.http.post(
        f"{API}/chat/completions",
        json={"session_id": session_id, "user_question": {"type": 0, "content": "x"}, "mark_type": 8},
        headers=bearer(token),
    )
    assert bad_mark.status_code == 400 and "mark_type" in bad_mark.json()["message"]
    partner_as_program = mesh.http.post(
        f"{API}/miniProgram/chat",
        json={"session_id": session_id, "user_question": {"type": 0, "content": "x"}},
        headers=bearer(token),
    )
    assert partner_as_program.status_code == 404
    others_history = mesh.http.get(f"{API}/chat/msgList", params={"session_id": session_id}, headers=bearer(stranger))
    assert others_history.status_code == 404


def test_attachment_limits_are_chats_rule_and_name_the_field(mesh: MeshClient) -> None:
    token = new_tenant(mesh, "lbai-attachments")
    session_id = partner_session(mesh, token)

    def ask(*kinds: int) -> httpx.Response:
        attachs = [{"file_id": f"f{i}", "url": "", "file_type": kind, "title": f"t{i}"} for i, kind in enumerate(kinds)]
        question = {"type": 0, "content": "what is in these?"}
        body = {"session_id": session_id, "user_question": question, "file_attachs": attachs}
        return mesh.http.post(f"{API}/chat/completions", json=body, headers=bearer(token))

    for kinds, message in (((2,) * 7, "at most six images"), ((1, 1), "at most one document")):
        reply = ask(*kinds)
        assert reply.status_code == 400, reply.text
        assert reply.json()["success"] is False and message in reply.json()["message"]
        assert "file_attachs" in reply.json()["message"]

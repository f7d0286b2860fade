"""NextConsole init_session and the OpenAI-compatible app endpoint, driven by the real `openai` SDK."""

from __future__ import annotations

import openai
import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient

SESSION_FIELDS = {
    "create_time",
    "id",
    "session_assistant_id",
    "session_attachment_file_switch",
    "session_attachment_image_switch",
    "session_attachment_webpage_switch",
    "session_cancel_reason",
    "session_code",
    "session_customer_evaluation",
    "session_customer_score",
    "session_dislike_cnt",
    "session_evaluation_close",
    "session_favorite",
    "session_like_cnt",
    "session_llm_code",
    "session_local_resource_switch",
    "session_local_resource_use_all",
    "session_remark",
    "session_search_engine_language_type",
    "session_search_engine_resource_type",
    "session_search_engine_switch",
    "session_share_cnt",
    "session_shop_assistant_id",
    "session_source",
    "session_status",
    "session_task_id",
    "session_task_params",
    "session_task_params_schema",
    "session_task_type",
    "session_topic",
    "session_update_cnt",
    "session_vis",
    "update_time",
    "user_id",
}


def test_init_session_returns_the_seed_session_object(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nc-session")
    app_code = create_app(mesh, token)
    reply = mesh.http.post(
        "/next_console/app_center/app_run/init_session", json={"app_code": app_code}, headers=bearer(token)
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["error_code"], body["error_status"]) == (0, False)
    session = body["result"]
    assert set(session) == SESSION_FIELDS
    assert (session["session_source"], session["session_status"]) == (app_code, "正常")
    assert isinstance(session["id"], int) and session["session_cancel_reason"] is None
    again = mesh.http.post(
        "/next_console/app_center/app_run/init_session",
        json={"app_code": app_code, "session_code": session["session_code"]},
        headers=bearer(token),
    ).json()["result"]
    assert again["id"] == session["id"]
    intruder = new_tenant(mesh, "nc-intruder")
    foreign = mesh.http.post(
        "/next_console/app_center/app_run/init_session",
        json={"app_code": app_code, "session_code": session["session_code"]},
        headers=bearer(intruder),
    )
    assert foreign.status_code == 404 and foreign.json()["error_code"] == 404


def test_the_seed_openai_example_works_unchanged(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nc-openai")
    app_code = create_app(mesh, token)
    session_code = mesh.http.post(
        "/next_console/app_center/app_run/init_session", json={"app_code": app_code}, headers=bearer(token)
    ).json()["result"]["session_code"]
    scripted.push(Script(chunks=["审批", "已", "通过"], reasoning=["先", "想想"]))
    url = f"{mesh.mesh.base_url}/next_console/app_center/app_run/v2"
    headers = {"Authorization": f"Bearer {token}"}
    data = {
        "app_code": app_code,
        "session_code": session_code,
        "messages": [{"role": "user", "content": "审批"}],
        "stream": True,
        "attachments": [],
    }
    client = openai.OpenAI(base_url=url, api_key="None")
    response = client.chat.completions.create(
        model="", messages=data["messages"], stream=data["stream"], extra_headers=headers, extra_body=data
    )
    result = ""
    reasoning = ""
    for chunk in response:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if getattr(delta, "reason_content", None):
            reasoning += delta.reason_content  # type: ignore[attr-defined]
        if delta.content:
            result += delta.content
    assert (result, reasoning) == ("审批已通过", "先想想")

    scripted.push(Script(chunks=["whole ", "answer"]))
    whole = client.chat.completions.create(
        model="",
        messages=[{"role": "user", "content": "again"}],
        extra_headers=headers,
        extra_body={"app_code": app_code, "session_code": session_code},
    )
    assert whole.choices[0].message.content == "whole answer"
    assert whole.usage is not None and whole.usage.completion_tokens == 2
    sent = scripted.chat_requests()[-1].body["messages"]
    assert {"role": "assistant", "content": "审批已通过"} in sent or sent[-1]["content"] == "again"


def test_bad_requests_and_missing_auth(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nc-bad")
    app_code = create_app(mesh, token)
    url = f"{mesh.mesh.base_url}/next_console/app_center/app_run/v2"
    client = openai.OpenAI(base_url=url, api_key="None", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(
            model="", messages=[{"role": "user", "content": "x"}], extra_body={"app_code": app_code}
        )
    no_app = mesh.http.post(
        "/next_console/app_center/app_run/v2/chat/completions",
        json={"messages": [{"role": "user", "content": "x"}]},
        headers=bearer(token),
    )
    assert no_app.status_code == 400 and no_app.json()["result"]["field"] == "app_code"
    assistant_last = mesh.http.post(
        "/next_console/app_center/app_run/v2/chat/completions",
        json={"app_code": app_code, "messages": [{"role": "assistant", "content": "x"}]},
        headers=bearer(token),
    )
    assert assistant_last.status_code == 400 and assistant_last.json()["result"]["field"] == "messages"

"""lbai agent runs search the mini program's mounted files (the caller's own library only) with knowledge_search."""

from __future__ import annotations

import uuid
from typing import Any

from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript
from tests.e2e.agents.conftest import Member, member
from tests.e2e.conftest import MeshClient
from tests.e2e.retrieval.helpers import wait_for

API = "/ai-api/v1"


def ok(reply: Any) -> Any:
    assert reply.status_code == 200, reply.text
    assert reply.json()["success"] is True, reply.text
    return reply.json()["data"]


def trained_upload(mesh: MeshClient, who: Member, name: str, text: str) -> str:
    """A cloud-space file indexed into the owner's library (auto_cloud_training 3), searchable before returning."""
    data = ok(
        mesh.http.post(
            f"{API}/trainingSpace/addFileOrImg",
            headers=who.headers,
            files={"multipartFile": (name, text.encode(), "text/plain")},
            data={"auto_cloud_training": "3"},
        )
    )

    def indexed() -> bool:
        found = mesh.http.post(
            "/next_console/resources/search_by_resource_keyword",
            headers=who.headers,
            json={"resource_keyword": name.split(".")[0], "rag_enhance": False},
        )
        return bool(found.status_code == 200 and found.json()["result"]["total"] >= 1)

    wait_for(indexed, what=f"{name} indexed")
    return str(data["fileId"])


def program_with(mesh: MeshClient, who: Member, file_ids: list[str]) -> str:
    """A mini program session with these files mounted."""
    ids = ok(mesh.http.get(f"{API}/miniProgram/getsessionid", params={"nick_name": "analyst"}, headers=who.headers))
    mount = {"session_id": ids["session_id"], "knowledge_base": {"fileIds": file_ids}}
    assert ok(mesh.http.post(f"{API}/miniProgram/mount/file", json=mount, headers=who.headers)) is None
    return str(ids["session_id"])


def ask(mesh: MeshClient, who: Member, session_id: str, question: str) -> str:
    body = {"session_id": session_id, "user_question": {"type": 0, "content": question}, "mark_type": 900}
    return str(ok(mesh.http.post(f"{API}/miniProgram/chat", json=body, headers=who.headers))["message"]["text"])


def test_knowledge_search_over_mounted_files_is_the_callers_own(
    agent_mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    owner = member(agent_mesh, "lbai-mounted")
    secret = f"The board approved dividend plan {uuid.uuid4().hex[:8]} for the quarter."
    file_id = trained_upload(agent_mesh, owner, "board-minutes.txt", f"Board minutes\n\n{secret}\n")
    session_id = program_with(agent_mesh, owner, [file_id])
    search = ToolCallScript("knowledge_search", '{"query": "board dividend plan"}')
    scripted.push(Script(chunks=[], tool_calls=[search]), Script(chunks=["{observation}"]))
    answer = ask(agent_mesh, owner, session_id, "What did the board approve?")
    assert secret in answer and "mounted_files" in answer
    tools = {t["function"]["name"]: t["function"] for t in scripted.chat_requests()[0].body["tools"]}
    assert set(tools) == {"stock_quote", "stock_news", "knowledge_search"}
    assert tools["knowledge_search"]["parameters"]["properties"]["index_names"]["items"]["enum"] == ["mounted_files"]

    # Another company's user mounts the owner's file id on a program of their own, with a library of their own:
    # the search covers only their library, and the file's text reaches neither the tool nor the prompt.
    intruder = member(agent_mesh, "lbai-mounted-intruder")
    trained_upload(agent_mesh, intruder, "board-notes.txt", "Board notes: the board approved nothing today.")
    foreign = program_with(agent_mesh, intruder, [file_id])
    scripted.reset()
    scripted.push(Script(chunks=[], tool_calls=[search]), Script(chunks=["{observation}"]))
    answer = ask(agent_mesh, intruder, foreign, "What did the board approve?")
    assert answer == "no passage of mounted_files matches 'board dividend plan'"
    assert all(secret not in str(request.body) for request in scripted.chat_requests())

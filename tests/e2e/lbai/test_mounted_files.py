"""lbai mini program knowledge: a mounted cloud-space file's text reaches the prompt; unmounting takes it away."""

from __future__ import annotations

import time
import uuid
from typing import Any

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.lbai.test_lbai_chat import API, ok


def upload_txt(mesh: MeshClient, token: str, text: str) -> str:
    """A .txt into the cloud space with lbai's default (auto_cloud_training 2: no training); its fileId."""
    files = {"multipartFile": ("handbook.txt", text.encode(), "text/plain")}
    data = ok(mesh.http.post(f"{API}/trainingSpace/addFileOrImg", files=files, headers=bearer(token)))
    return str(data["fileId"])


def ask(mesh: MeshClient, token: str, session_id: str, question: str, scripted: ScriptedUpstream) -> str:
    """One mini program turn; the whole prompt the upstream received, as one string."""
    scripted.push(Script(chunks=["noted"]))
    body = {"session_id": session_id, "user_question": {"type": 0, "content": question}}
    assert ok(mesh.http.post(f"{API}/miniProgram/chat", json=body, headers=bearer(token)))["message"]["text"] == "noted"
    return "\n".join(str(m["content"]) for m in scripted.chat_requests()[-1].body["messages"])


def prompt_until(mesh: MeshClient, token: str, session_id: str, scripted: ScriptedUpstream, check: Any) -> str:
    """Ask until check(prompt) holds (parsing may still be under way), for at most 20 s; the last prompt."""
    deadline = time.monotonic() + 20
    while True:
        prompt = ask(mesh, token, session_id, "What does the handbook say about lunch?", scripted)
        if check(prompt) or time.monotonic() > deadline:
            return prompt
        time.sleep(0.5)


def test_mounted_txt_reaches_the_prompt_and_unmount_removes_it(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "lbai-mount-txt")
    secret = f"The office parrot {uuid.uuid4().hex[:10]} only eats mango on Tuesdays."
    file_id = upload_txt(mesh, token, f"Staff handbook\n\nLunch is served at noon.\n{secret}\n")
    ids = ok(mesh.http.get(f"{API}/miniProgram/getsessionid", params={"nick_name": "helper"}, headers=bearer(token)))
    session_id = ids["session_id"]
    assert secret not in ask(mesh, token, session_id, "hello", scripted)

    mount = {"session_id": session_id, "knowledge_base": {"fileIds": [file_id]}}
    assert ok(mesh.http.post(f"{API}/miniProgram/mount/file", json=mount, headers=bearer(token))) is None
    prompt = prompt_until(mesh, token, session_id, scripted, lambda p: secret in p)
    assert secret in prompt, prompt

    # lbai unmounts by leaving knowledge_base out.
    assert (
        ok(mesh.http.post(f"{API}/miniProgram/mount/file", json={"session_id": session_id}, headers=bearer(token)))
        is None
    )
    prompt = prompt_until(mesh, token, session_id, scripted, lambda p: secret not in p)
    assert secret not in prompt, prompt

"""lbai session lookups: an id that does not exist, a malformed one and another company's answer exactly alike."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import tenant
from tests.e2e.lbai.test_mini_programs import API, new_program, ok


def test_missing_and_foreign_ids_are_indistinguishable(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-share-owner")
    caller = tenant(mesh, "lbai-share-caller")
    foreign = new_program(mesh, owner, name="Theirs")
    own = new_program(mesh, caller, name="Mine")
    candidates = {
        "a malformed id": "x",
        "another company's session": foreign["session_id"],
        "another company's command session": foreign["command_session_id"],
        "a uuid nobody holds": str(uuid.uuid4()),
        "an lbai-style numeric id nobody holds": "1681206985633349739",
        "a short id nobody holds": "8888888",
        "the caller's own command session": own["command_session_id"],
    }
    answers = {}
    for label, session_id in candidates.items():
        reply = mesh.http.get(
            f"{API}/miniProgram/share/sessionid", params={"session_id": session_id}, headers=caller.headers
        )
        answers[label] = (reply.status_code, reply.json())
    first = answers["a uuid nobody holds"]
    assert first[0] == 404 and (first[1]["data"], first[1]["errorCode"], first[1]["success"]) == (None, 404, False)
    assert all(answer == first for answer in answers.values()), answers
    # The caller's own created program still answers with its session.
    mine = mesh.http.get(
        f"{API}/miniProgram/share/sessionid", params={"session_id": own["session_id"]}, headers=caller.headers
    )
    assert ok(mine) == {"session_id": own["session_id"]}


def test_every_session_route_answers_missing_malformed_and_foreign_ids_alike(mesh: MeshClient) -> None:
    owner = tenant(mesh, "lbai-lookup-owner")
    caller = tenant(mesh, "lbai-lookup-caller")
    foreign = new_program(mesh, owner, name="Theirs")
    candidates = {
        "malformed": "x",
        "numeric": "1681206985633349739",
        "foreign": foreign["session_id"],
        "foreign command": foreign["command_session_id"],
        "missing": str(uuid.uuid4()),
    }
    question = {"type": 0, "content": "hello"}
    routes = {
        "getSetting": lambda sid: mesh.http.get(
            f"{API}/miniProgram/getSetting", params={"command_session_id": sid}, headers=caller.headers
        ),
        "msgList": lambda sid: mesh.http.get(f"{API}/chat/msgList", params={"session_id": sid}, headers=caller.headers),
        "chat/completions": lambda sid: mesh.http.post(
            f"{API}/chat/completions", json={"session_id": sid, "user_question": question}, headers=caller.headers
        ),
        "miniProgram/chat": lambda sid: mesh.http.post(
            f"{API}/miniProgram/chat", json={"session_id": sid, "user_question": question}, headers=caller.headers
        ),
    }
    for route, call in routes.items():
        answers = {label: (r.status_code, r.json()) for label, sid in candidates.items() for r in [call(sid)]}
        first = answers["missing"]
        assert first[0] == 404, (route, first)
        assert all(answer == first for answer in answers.values()), (route, answers)

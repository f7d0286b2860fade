"""lbai share/sessionid: an id that does not exist and another company's id answer exactly alike."""

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
    mine = mesh.http.get(f"{API}/miniProgram/share/sessionid", params={"session_id": own["session_id"]},
                         headers=caller.headers)  # fmt: skip
    assert ok(mine) == {"session_id": own["session_id"]}

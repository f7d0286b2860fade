"""Meeting assistant routes through the launcher: bad input names the field, foreign meetings answer as unknown
ones, closed meetings refuse audio, and minutes nobody asked for say so; all in lbai's envelope."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.chat.helpers import bearer, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.meetings.helpers import API, MEETINGS, create_meeting, ok, refused, show, tone, upload_voice


@pytest.fixture(scope="module")
def tenants(mesh: MeshClient) -> dict[str, str]:
    """Alice, her colleague Carol (same company) and Bob (another company)."""
    company = f"Meet Co {uuid.uuid4().hex[:8]}"
    tokens = {"bob": new_tenant(mesh, "meet-bob")}
    for name in ("alice", "carol"):
        account = f"{name}-{uuid.uuid4().hex[:8]}@meet.test"
        mesh.create_user(account, "meet-pass-123", company)
        tokens[name] = mesh.login(account, "meet-pass-123")
    return tokens


def post(mesh: MeshClient, token: str, route: str, body: Any) -> Any:
    return mesh.http.post(f"{MEETINGS}/{route}", json=body, headers=bearer(token))


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("create", {"meeting_name": "x" * 256}, "meeting_name"),
        ("create", {"auto_organize": 2}, "auto_organize"),
        ("create", {"auto_organize": "yes"}, "auto_organize"),
        ("create", {"language": 5}, "language"),
        ("create", {"language": "Klingon!"}, "language"),
        ("upload", {"meeting_id": "1", "voice_file_ids": []}, "voice_file_ids"),
        ("upload", {"voice_file_ids": ["1"]}, "meeting_id"),
        ("upload", {"meeting_id": "1", "voice_file_ids": "123"}, "voice_file_ids"),
        ("upload", {"meeting_id": "1", "voice_file_ids": [{"id": 1}]}, "voice_file_ids[0]"),
        ("upload", {"meeting_id": "", "voice_file_ids": ["1"]}, "meeting_id"),
        ("upload", {"meeting_id": "1", "voice_file_ids": ["1"], "is_end": "yes"}, "is_end"),
        ("show", {"meeting_id": "1", "doc_type": 2}, "doc_type"),
        ("show", {"meeting_id": "1", "doc_type": "minutes"}, "doc_type"),
        ("show", {"doc_type": 0}, "meeting_id"),
        ("show", {"meeting_id": "1", "forced_shutdown": "no"}, "forced_shutdown"),
    ],
)
def test_bad_bodies_get_400_naming_the_field(
    mesh: MeshClient, tenants: dict[str, str], route: str, body: Any, field: str
) -> None:
    message = refused(post(mesh, tenants["alice"], route, body), 400)
    assert field in message


@pytest.mark.parametrize(("params", "field"), [({"page_size": 0}, "page_size"), ({"page_num": "x"}, "page_num")])
def test_bad_list_parameters_get_400_naming_the_field(
    mesh: MeshClient, tenants: dict[str, str], params: dict[str, Any], field: str
) -> None:
    reply = mesh.http.get(f"{MEETINGS}/list", params=params, headers=bearer(tenants["alice"]))
    assert field in refused(reply, 400)


def test_every_route_wants_a_token(mesh: MeshClient) -> None:
    for route in ("create", "upload", "show"):
        refused(mesh.http.post(f"{MEETINGS}/{route}", json={"meeting_id": "1", "voice_file_ids": ["1"]}), 401)
    refused(mesh.http.get(f"{MEETINGS}/list"), 401)


def test_file_ids_must_be_the_callers_own_voice_files(mesh: MeshClient, tenants: dict[str, str]) -> None:
    alice, bob = tenants["alice"], tenants["bob"]
    meeting_id = create_meeting(mesh, alice, meeting_name="files")
    bobs_voice = upload_voice(mesh, bob, tone(200))
    carols_voice = upload_voice(mesh, tenants["carol"], tone(200))
    document = mesh.http.post(
        f"{API}/trainingSpace/addFileOrImg",
        files={"multipartFile": ("notes.txt", b"plain meeting notes", "text/plain")},
        data={"auto_cloud_training": "1"},
        headers=bearer(alice),
    )
    text_id = ok(document)["fileId"]

    def upload(file_id: str) -> str:
        body = {"meeting_id": meeting_id, "voice_file_ids": [file_id]}
        return refused(post(mesh, alice, "upload", body), 400)

    unknown = upload("987654321987")
    assert "voice_file_ids[0]" in unknown and "not found" in unknown
    for foreign in (bobs_voice, carols_voice):
        assert upload(foreign).replace(foreign, "ID") == unknown.replace("987654321987", "ID")
    assert "not audio" in upload(text_id)
    too_many = refused(post(mesh, alice, "upload", {"meeting_id": meeting_id, "voice_file_ids": ["1"] * 101}), 400)
    assert "voice_file_ids" in too_many and "at most 100" in too_many
    assert ok(show(mesh, alice, meeting_id, forced_shutdown=False)) == {"doc": "", "state": 0, "errorMessage": None}


def test_another_users_meeting_answers_like_an_unknown_one(mesh: MeshClient, tenants: dict[str, str]) -> None:
    meeting_id = create_meeting(mesh, tenants["alice"], meeting_name="private")
    unknown_id = "123456789012"
    for who in ("bob", "carol"):
        token = tenants[who]
        voice = upload_voice(mesh, token, tone(200))
        probes = [
            ("upload", {"voice_file_ids": [voice], "is_end": True}),
            ("show", {"doc_type": 0}),
            ("show", {"doc_type": 1, "forced_shutdown": False}),
        ]
        for route, body in probes:
            foreign = post(mesh, token, route, {"meeting_id": meeting_id, **body})
            unknown = post(mesh, token, route, {"meeting_id": unknown_id, **body})
            assert (
                (foreign.status_code, foreign.json())
                == (unknown.status_code, unknown.json())
                == (
                    404,
                    {
                        "data": None,
                        "errorCode": 404,
                        "line": None,
                        "message": "meeting_id: meeting not found",
                        "success": False,
                    },
                )
            )
        listed = ok(mesh.http.get(f"{MEETINGS}/list", headers=bearer(token)))
        assert meeting_id not in [item["meeting_id"] for item in listed["items"]]
    # Nothing they did closed it.
    assert ok(show(mesh, tenants["alice"], meeting_id, forced_shutdown=False))["state"] == 0


def test_a_closed_meeting_refuses_audio_and_minutes_need_auto_organize(
    mesh: MeshClient, tenants: dict[str, str]
) -> None:
    alice = tenants["alice"]
    meeting_id = create_meeting(mesh, alice, auto_organize=0)
    first, second = upload_voice(mesh, alice, tone(200)), upload_voice(mesh, alice, tone(300))
    ok(post(mesh, alice, "upload", {"meeting_id": meeting_id, "voice_file_ids": [first], "is_end": True}))
    message = refused(post(mesh, alice, "upload", {"meeting_id": meeting_id, "voice_file_ids": [second]}), 400)
    assert "closed" in message
    minutes = refused(show(mesh, alice, meeting_id, 1), 400)
    assert "doc_type" in minutes and "auto_organize" in minutes
    listed = ok(mesh.http.get(f"{MEETINGS}/list", params={"page_size": 100}, headers=bearer(alice)))
    item = next(i for i in listed["items"] if i["meeting_id"] == meeting_id)
    assert item["state"] in (1, 2, 3) and len(item["meeting_name"]) == len("2024-11-01 11:11:11")

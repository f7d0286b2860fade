"""lbai cloud space and NextConsole resources through the gateway, plus limits and the download route."""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import MeshClient
from tests.e2e.files.conftest import PNG, WAV, Tenant, digest, fetch

pytestmark = pytest.mark.e2e


def _add(mesh: MeshClient, who: Tenant, name: str, data: bytes, mode: int) -> dict[str, str]:
    reply = mesh.http.post(
        "/ai-api/v1/trainingSpace/addFileOrImg",
        headers=who.auth,
        files={"multipartFile": (name, data, "application/octet-stream")},
        data={"auto_cloud_training": str(mode)},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["success"] and reply.json()["errorCode"] == 0
    return dict(reply.json()["data"])


def _listing(mesh: MeshClient, who: Tenant, fmt: int) -> dict[str, object]:
    reply = mesh.http.get("/ai-api/v1/cloudSpace/list", headers=who.auth, params={"format": fmt, "pageSize": 50})
    assert reply.status_code == 200, reply.text
    return dict(reply.json()["data"])


def test_cloud_space_upload_list_and_delete(mesh: MeshClient, alice: Tenant, bob: Tenant) -> None:
    pdf = b"%PDF-1.4\n" + os.urandom(5000)
    kept = _add(mesh, alice, "private.pdf", b"%PDF-1.4\n" + os.urandom(10), 1)
    listed = _add(mesh, alice, "report.pdf", pdf, 2)
    trained = _add(mesh, alice, "trained.pdf", b"%PDF-1.4\n" + os.urandom(4096), 3)
    image = _add(mesh, alice, "pic.png", PNG, 2)
    assert digest(fetch(mesh, listed["fileUrl"]).content) == digest(pdf)
    assert int(listed["fileId"]) < 2**53

    files = _listing(mesh, alice, 1)
    ids = [item["fileId"] for item in files["items"]]  # type: ignore[index, union-attr]
    assert listed["fileId"] in ids and trained["fileId"] in ids and kept["fileId"] not in ids
    assert image["fileId"] not in ids
    item = next(i for i in files["items"] if i["fileId"] == listed["fileId"])  # type: ignore[union-attr]
    assert item["fileName"] == "report.pdf" and item["fileSize"] == "4.89KB"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["createTime"])
    assert digest(fetch(mesh, item["fileUrl"]).content) == digest(pdf)
    assert set(files) == {"isMore", "items", "pageNum", "pageSize", "startIndex", "totalCount", "totalPage"}
    images = _listing(mesh, alice, 2)
    assert [i["fileId"] for i in images["items"]] == [image["fileId"]]  # type: ignore[union-attr]
    assert _listing(mesh, bob, 1)["totalCount"] == 0

    # Another tenant's ids are skipped, not deleted.
    assert mesh.http.post("/ai-api/v1/cloudSpace/del", headers=bob.auth, json=[listed["fileId"]]).json()["success"]
    assert fetch(mesh, listed["fileUrl"]).status_code == 200
    gone = mesh.http.post("/ai-api/v1/cloudSpace/del", headers=alice.auth, json=[listed["fileId"], image["fileId"]])
    assert gone.status_code == 200 and gone.json()["data"] is None and gone.json()["success"]
    again = mesh.http.post("/ai-api/v1/cloudSpace/del", headers=alice.auth, json={"fileIds": [listed["fileId"]]})
    assert again.status_code == 200 and again.json()["success"]
    assert listed["fileId"] not in [i["fileId"] for i in _listing(mesh, alice, 1)["items"]]  # type: ignore[union-attr]
    assert fetch(mesh, listed["fileUrl"]).status_code == 404


def test_cloud_space_refuses_bad_input_in_its_envelope(mesh: MeshClient, alice: Tenant) -> None:
    bad_mode = mesh.http.post(
        "/ai-api/v1/trainingSpace/addFileOrImg",
        headers=alice.auth,
        files={"multipartFile": ("a.pdf", b"%PDF-1.4", "application/pdf")},
        data={"auto_cloud_training": "7"},
    )
    assert bad_mode.status_code == 400 and bad_mode.json()["success"] is False
    assert "auto_cloud_training" in bad_mode.json()["message"]
    exe = mesh.http.post(
        "/ai-api/v1/trainingSpace/addFileOrImg",
        headers=alice.auth,
        files={"multipartFile": ("tool.pdf", b"\x7fELF" + b"\x02\x01\x01" + b"\x00" * 60, "application/pdf")},
    )
    assert exe.status_code == 400 and exe.json()["errorCode"] == 400
    assert mesh.http.get("/ai-api/v1/cloudSpace/list", headers=alice.auth, params={"format": 3}).status_code == 400


def test_an_image_over_its_limit_answers_413_and_leaves_nothing(mesh: MeshClient, alice: Tenant) -> None:
    before = _listing(mesh, alice, 2)["totalCount"]
    huge = PNG + b"\x00" * (30 * 1024 * 1024)
    reply = mesh.http.post(
        "/ai-api/v1/trainingSpace/addFileOrImg",
        headers=alice.auth,
        files={"multipartFile": ("huge.png", huge, "image/png")},
    )
    assert reply.status_code == 413, reply.text
    assert reply.json()["success"] is False and reply.json()["errorCode"] == 413
    assert _listing(mesh, alice, 2)["totalCount"] == before


def test_voice_upload(mesh: MeshClient, alice: Tenant) -> None:
    reply = mesh.http.post(
        "/ai-api/v1/trainingSpace/addVoice",
        headers=alice.auth,
        files={"multipartFile": ("memo.wav", WAV, "audio/wav")},
        data={"voiceType": "2"},
    )
    assert reply.status_code == 200, reply.text
    assert digest(fetch(mesh, reply.json()["data"]["fileUrl"]).content) == digest(WAV)
    wrong = mesh.http.post(
        "/ai-api/v1/trainingSpace/addVoice",
        headers=alice.auth,
        files={"multipartFile": ("memo.mp3", b"not audio at all", "audio/mpeg")},
    )
    assert wrong.status_code == 400 and wrong.json()["success"] is False


def test_nextconsole_resources(mesh: MeshClient, alice: Tenant, bob: Tenant) -> None:
    data = b"%PDF-1.4\n" + os.urandom(20_000)
    up = mesh.http.post("/next_console/resources/upload", headers=alice.auth, files={"data": ("res.pdf", data)})
    assert up.status_code == 200, up.text
    result = up.json()["result"]
    assert up.json()["error_code"] == 0 and result["name"] == "res.pdf" and result["id"].isdigit()
    assert digest(fetch(mesh, result["url"]).content) == digest(data)
    down = mesh.http.post(
        "/next_console/resources/object/download", headers=alice.auth, json={"resource_id": int(result["id"])}
    )
    assert down.status_code == 200
    got = fetch(mesh, down.json()["result"]["download_url"])
    assert digest(got.content) == digest(data) and got.headers["content-disposition"].startswith("attachment;")
    theirs = mesh.http.post(
        "/next_console/resources/object/download", headers=bob.auth, json={"resource_id": result["id"]}
    )
    assert theirs.status_code == 404 and theirs.json()["error_code"] == 404 and theirs.json()["error_status"]
    assert mesh.http.post(
        "/next_console/resources/object/delete", headers=bob.auth, json={"resource_id": result["id"]}
    ).json()["result"] == {"delete_cnt": 0}
    deleted = mesh.http.post(
        "/next_console/resources/object/delete", headers=alice.auth, json={"resource_id": int(result["id"])}
    )
    assert deleted.json()["result"] == {"delete_cnt": 1}
    assert fetch(mesh, result["url"]).status_code == 404
    bad = mesh.http.post("/next_console/resources/object/delete", headers=alice.auth, json={"resource_id": "x/../1"})
    assert bad.status_code == 400 and bad.json()["error_code"] == 1002


def test_limits_and_forged_download_links(mesh: MeshClient, alice: Tenant) -> None:
    limits = mesh.http.get("/admin/v1/limits", headers=alice.auth)
    assert limits.status_code == 200
    body = limits.json()
    assert body["max_file_bytes"] == 100 * 1024 * 1024 and body["max_image_bytes"] == 30 * 1024 * 1024
    assert "pdf" in body["file_formats"] and "wav" in body["voice_formats"]
    assert mesh.http.get("/admin/v1/limits").status_code == 401
    assert mesh.http.get("/files/download/1.2.0.abc").status_code == 403

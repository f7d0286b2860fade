"""Broken documents through the gateway: the lbai training list and Nexent tasks show FAILED with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import Tenant, tenant
from tests.e2e.retrieval.helpers import wait_for, wait_task
from tests.service.test_files_extract_generators import DAMAGED_DOCX, DAMAGED_PDF, half, python_docx, reportlab_pdf

pytestmark = pytest.mark.e2e
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _training(mesh: MeshClient, who: Tenant, kind: int = 1) -> list[dict[str, Any]]:
    reply = mesh.http.get(f"/ai-api/v1/aiTrainingGround/list?type={kind}&pageSize=10&pageNum=1", headers=who.headers)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["data"]["items"])


def _settled(mesh: MeshClient, who: Tenant, status: int) -> dict[str, Any]:
    items = wait_for(lambda: [i for i in _training(mesh, who) if i["trainedStatus"] == status], what=f"status {status}")
    return dict(items[0])


def _restore(data_dir: Path, broken: bytes, good: bytes) -> None:
    """Overwrite the stored copy of broken with good, as restoring the object from a backup would."""
    stored = [p for p in data_dir.rglob("*") if p.is_file() and p.stat().st_size == len(broken)]
    matches = [p for p in stored if p.read_bytes() == broken]
    assert len(matches) == 1, matches
    matches[0].write_bytes(good)


def test_a_broken_training_file_fails_with_its_reason_and_trains_after_repair_and_retry(
    mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    erin = tenant(mesh, "broken-train")
    scripted.default = Script(chunks=["Q: What guides ships past the reef?\n", "A: The lighthouse.\n"])
    good = reportlab_pdf("Lighthouses guide ships past the reef at night.", "灯塔在夜里指引船只绕过暗礁。")
    broken = half(good)
    added = mesh.http.post(
        "/ai-api/v1/aiTrainingGround/add",
        headers=erin.headers,
        files={"multipartFile": ("lighthouse.pdf", broken, "application/pdf")},
    )
    assert added.status_code == 200 and added.json()["success"], added.text

    failed = _settled(mesh, erin, 3)
    assert failed["fileName"] == "lighthouse.pdf" and failed["errorMessage"] == DAMAGED_PDF
    assert _training(mesh, erin, 2) == []  # nothing trained from the broken file
    assert not [r for r in scripted.chat_requests() if "reef" in str(r.body)]  # and no Q&A pass over garbage

    _restore(mesh.mesh.data_dir, broken, good)
    retry = mesh.http.get(f"/ai-api/v1/aiTrainingGround/retry?fileId={failed['fileId']}", headers=erin.headers)
    assert retry.status_code == 200 and retry.json()["success"], retry.text
    trained = wait_for(lambda: _training(mesh, erin, 2), what="trained results")
    assert [(i["fileId"], i["trainedStatus"], i["errorMessage"]) for i in trained] == [(failed["fileId"], 2, None)]
    prompts = [r.body["messages"][-1]["content"] for r in scripted.chat_requests()]
    assert any("Lighthouses guide ships past the reef" in p and "灯塔" in p for p in prompts)


def test_a_broken_upload_ends_its_nexent_task_failed_with_the_reason(mesh: MeshClient) -> None:
    frank = tenant(mesh, "broken-nexent")
    upload = mesh.http.post(
        "/api/file/upload",
        headers=frank.headers,
        data={"index_name": "broken-kb"},
        files=[("file", ("cut.docx", half(python_docx("Minutes of the board meeting")), DOCX_TYPE))],
    )
    assert upload.status_code == 200, upload.text
    (task_id,) = upload.json()["process_tasks"]["task_ids"]
    task = wait_task(mesh, frank, task_id)
    assert (task["status"], task["error"]) == ("FAILED", DAMAGED_DOCX), task
    details = mesh.http.get(f"/api/tasks/{task_id}/details", headers=frank.headers).json()
    assert (details["status"], details["error"]) == ("FAILED", DAMAGED_DOCX)
    active = mesh.http.get("/api/tasks/indices/broken-kb/tasks", headers=frank.headers).json()
    assert active["files"] == []  # failed for good: no longer queued or running

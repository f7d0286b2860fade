"""Helpers for the retrieval e2e tests: three distinctive documents and polling."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import Tenant
from tests.service.test_files_extract import make_docx, make_pdf

VOLCANO = "Volcanoes erupt when magma rises through the crust. Cooling lava hardens into basalt rock."
TEA = "龙井茶产自杭州西湖，是中国最有名的绿茶。乌龙茶属于半发酵茶，铁观音是乌龙茶的一种。"
ORBIT = (
    "# Orbits\nSatellites stay in orbit because gravity bends their path around the planet.\n\n"
    "## 卫星\n人造卫星依靠地球引力绕地球运行，轨道高度决定运行周期。"
)


def documents() -> list[tuple[str, bytes, str]]:
    """(name, bytes, content type): a PDF, a DOCX and a Markdown file, each about one distinct thing."""
    return [
        ("volcano.pdf", make_pdf(VOLCANO), "application/pdf"),
        ("tea.docx", make_docx(TEA), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("orbit.md", ORBIT.encode(), "text/markdown"),
    ]


# (query, expected file) pairs in English and in Chinese.
QUERIES = [
    ("lava basalt magma", "volcano.pdf"),
    ("杭州 龙井茶", "tea.docx"),
    ("gravity satellites orbit", "orbit.md"),
    ("人造卫星 引力", "orbit.md"),
]


def wait_for(check: Any, *, timeout_s: float = 120.0, what: str = "condition") -> Any:
    """Poll check() until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def wait_task(mesh: MeshClient, who: Tenant, task_id: str, *, timeout_s: float = 180.0) -> dict[str, Any]:
    """GET /api/tasks/{id} until it is COMPLETED or FAILED."""

    def done() -> dict[str, Any] | None:
        reply = mesh.http.get(f"/api/tasks/{task_id}", headers=who.headers)
        assert reply.status_code == 200, reply.text
        body = dict(reply.json())
        return body if body["status"] in ("COMPLETED", "FAILED") else None

    return dict(wait_for(done, timeout_s=timeout_s, what=f"task {task_id}"))

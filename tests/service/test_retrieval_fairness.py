"""Fair ingestion between companies on the real worker: one company's many uploads do not hold back another's."""

from __future__ import annotations

from pathlib import Path

from meshconsole.retrieval.v1 import retrieval_pb2

from services.kit.testing.servers import NatsServer
from tests.service.files_support import ALICE, BOB
from tests.service.test_retrieval_pipeline import files_fixture  # noqa: F401  (the files service fixture)
from tests.service.test_retrieval_service import FilesEnv, retrieval_settings, running_env

R = retrieval_pb2
DONE = (R.TASK_STATUS_COMPLETED, R.TASK_STATUS_FAILED)


def long_text(label: str, sentences: int) -> str:
    return " ".join(
        f"Report {label} line {i} describes shipment {i * 7} of copper wire to harbor {i}." for i in range(sentences)
    )


async def test_another_companys_upload_is_not_queued_behind_one_companys_many(
    files: FilesEnv, tmp_path: Path, nats_server: NatsServer
) -> None:
    # Two task slots, one per company: without the cap Alice's uploads would fill both and Bob's would wait for
    # three of them to finish.
    settings = retrieval_settings(
        tmp_path, nats_server, files, retrieval_workers=2, retrieval_company_workers=1, retrieval_defer_after_s=0.3
    )
    async with running_env(files, settings) as env:
        alice = [await env.upload(f"report-{n}.txt", long_text(str(n), 520), ALICE, "reports") for n in range(4)]
        bob = await env.upload("note.txt", "Bob's note about ferns and mosses.", BOB, "notes")
        task = await env.wait_task(bob.ingest_task_id, BOB, timeout_s=120.0)
        assert task.status == R.TASK_STATUS_COMPLETED, task.error
        statuses = [
            (await env.call("GetTask", R.GetTaskRequest(task_id=a.ingest_task_id), ALICE)).status for a in alice
        ]
        assert sum(s in DONE for s in statuses) <= 2, statuses
        # Deferred tasks are not lost: every one of Alice's is indexed in full.
        for info in alice:
            done = await env.wait_task(info.ingest_task_id, ALICE, timeout_s=300.0)
            assert done.status == R.TASK_STATUS_COMPLETED and done.chunks_indexed >= 80, done
            assert done.attempts == 1

"""Events retrieval follows: files.deleted drops the objects' chunks everywhere, apps.deleted the app's indices."""

from __future__ import annotations

from services.kit.nats import PermanentFailure, Task
from services.retrieval.service import IndexService

FILES_DELETED = "mesh.events.files.deleted"
APPS_DELETED = "mesh.events.apps.deleted"


class EventHandlers:
    def __init__(self, *, indices: IndexService) -> None:
        self.indices = indices

    async def files_deleted(self, task: Task) -> None:
        """{file_ids, user_id, company_id}: remove those objects' chunks from every index of the company."""
        try:
            ids = [str(i) for i in task.payload["file_ids"]]
            company_id = int(task.payload["company_id"])
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentFailure(f"bad files.deleted event: {error!r}") from error
        await self.indices.delete_by_source(company_id=company_id, source_ids=ids)

    async def apps_deleted(self, task: Task) -> None:
        """{app_id, company_id}: remove the indices private to the app."""
        try:
            app_id, company_id = str(task.payload["app_id"]), int(task.payload["company_id"])
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentFailure(f"bad apps.deleted event: {error!r}") from error
        await self.indices.drop_app_indices(company_id=company_id, app_id=app_id)

"""Conversation domain: create, list, detail, delete and rename, plus what message operations share.

A conversation is a conversation whichever dialect made it: Dify routes address it by uuid, Nexent by uuid or its
numeric id (seq). Message extras written by the runtimes are read under these keys: `retriever_resources` and
`images` (sources), `agent_thoughts`, `agent_units`, `message_files` and `answer_files`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from meshconsole.apps.v1 import apps_pb2

from services.chat.app_config import AppConfigReader
from services.chat.config import ChatSettings
from services.chat.conversations.feedback import FeedbackStore
from services.chat.conversations.queries import ConversationPage, ConversationQueries, Summary, is_uuid
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.registry import ModelRegistry
from services.chat.records import AnnotationRecord, ConversationRecord, FeedbackRecord, MessageRecord
from services.chat.store import ChatStore
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import InvalidArgument

MAX_NAME = 255
MAX_TEXT = 100_000


@dataclass
class MessageView:
    """A message with what hangs off it: every feedback, the caller's rating, its annotation."""

    record: MessageRecord
    feedbacks: list[FeedbackRecord] = field(default_factory=list)
    annotation: AnnotationRecord | None = None
    rating: str = ""


@dataclass
class ConversationView:
    """A conversation with its list summary and, when asked for, its messages oldest first."""

    record: ConversationRecord
    summary: Summary
    messages: list[MessageView] = field(default_factory=list)


def check_id(value: str, *, field: str, allow_seq: bool = False) -> str:
    """A uuid (or, where Nexent's numeric ids are accepted, digits); anything else is a 400 naming the field."""
    if not value:
        raise InvalidArgument(f"{field} is required", field=field)
    if (allow_seq and value.isdigit() and len(value) < 12) or is_uuid(value):
        return value
    raise InvalidArgument(f"{field} must be a UUID" + (" or a numeric id" if allow_seq else ""), field=field)


def check_text(value: str, *, field: str, required: bool, limit: int = MAX_TEXT) -> str:
    """Text within its length limit; blank is refused where it is required."""
    if required and not value.strip():
        raise InvalidArgument(f"{field} is required", field=field)
    if len(value) > limit:
        raise InvalidArgument(f"{field} must be at most {limit} characters", field=field)
    return value


class ChatDomain:
    """The dependencies and checks that conversation and message operations share."""

    def __init__(
        self,
        *,
        store: ChatStore,
        registry: ModelRegistry,
        upstream: UpstreamClients,
        app_configs: AppConfigReader | None,
        settings: ChatSettings,
    ) -> None:
        self.store = store
        self.queries = ConversationQueries(store)
        self.feedback = FeedbackStore(store.sessions)
        self.registry = registry
        self.upstream = upstream
        self.app_configs = app_configs
        self.settings = settings

    async def require_app(self, *, principal: Principal, app_id: str) -> None:
        """The app must exist for the caller (apps answers app_not_found otherwise).

        Checked before the row it names, as Dify does: a missing and a foreign app answer alike, whatever the rest.
        """
        check_id(app_id, field="app_id")
        if self.app_configs is not None:
            await self.app_configs.get(principal=principal, app_id=app_id)

    async def _nexent_app_id(self, principal: Principal) -> str:
        if self.app_configs is None:
            return ""
        reply = await grpc_client.unary(
            self.app_configs.stub.LoadNexentConfig,
            apps_pb2.LoadNexentConfigRequest(),
            timeout_s=self.app_configs.timeout_s,
            principal=principal,
        )
        return str(reply.app_id)

    async def views(self, principal: Principal, rows: Sequence[MessageRecord]) -> list[MessageView]:
        """Messages with every feedback, the caller's own rating and their annotations."""
        ids = [r.id for r in rows]
        feedbacks = await self.feedback.for_messages(message_ids=ids)
        annotations = await self.feedback.annotations_for(message_ids=ids, company_id=principal.company_id)
        views = []
        for row in rows:
            mine = next((f.rating for f in feedbacks[row.id] if f.user_id == principal.user_id), "")
            views.append(MessageView(row, feedbacks[row.id], annotations.get(row.id), mine))
        return views


class ConversationService(ChatDomain):
    """Conversations as a whole: create, list, detail, delete and rename."""

    async def create(self, *, principal: Principal, app_id: str, name: str, mode: str, origin: str) -> ConversationView:
        """An empty conversation; without app_id it belongs to the caller's Nexent agent app."""
        check_text(name, field="name", required=False, limit=MAX_NAME)
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        else:
            app_id = await self._nexent_app_id(principal)
        record = await self.store.create_conversation(
            principal=principal, app_id=app_id, mode=mode, origin=origin, name=name.strip()
        )
        return ConversationView(record=record, summary=Summary())

    async def list_conversations(
        self,
        *,
        principal: Principal,
        app_id: str,
        mode: str,
        origin: str,
        keyword: str,
        page: int,
        limit: int,
    ) -> ConversationPage:
        """A page of conversations, newest activity first, with their summaries."""
        if page < 0 or page > 100_000:
            raise InvalidArgument("page must be between 1 and 100000", field="page")
        if limit < 0 or limit > 100:
            raise InvalidArgument("limit must be between 1 and 100", field="limit")
        check_text(keyword, field="keyword", required=False, limit=MAX_NAME)
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        found = await self.queries.list_page(
            principal=principal,
            app_id=app_id,
            mode=mode,
            origin=origin,
            keyword=keyword.strip(),
            page=page or 1,
            limit=limit,
        )
        found.summaries = await self.queries.summaries(
            conversation_ids=[r.id for r in found.records], company_id=principal.company_id
        )
        return found

    async def get(
        self, *, principal: Principal, ref: str, app_id: str = "", mode: str = "", include_messages: bool = False
    ) -> ConversationView:
        """One conversation (of `mode`, when named) with its summary and, optionally, all its messages oldest first."""
        check_id(ref, field="conversation_id", allow_seq=True)
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        record = await self.queries.resolve(principal=principal, ref=ref, app_id=app_id, mode=mode)
        summaries = await self.queries.summaries(conversation_ids=[record.id], company_id=principal.company_id)
        view = ConversationView(record=record, summary=summaries[record.id])
        if include_messages:
            rows, _ = await self.queries.messages_before(conversation_id=record.id, first_id="", limit=10_000)
            view.messages = await self.views(principal, rows)
        return view

    async def delete(self, *, principal: Principal, ref: str, app_id: str = "", mode: str = "") -> None:
        """Remove a conversation (of `mode`, when named) and its messages."""
        check_id(ref, field="conversation_id", allow_seq=True)
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        await self.queries.delete(principal=principal, ref=ref, app_id=app_id, mode=mode)

    async def rename(self, *, principal: Principal, ref: str, name: str) -> ConversationView:
        """Set the name (the insights service writes generated titles)."""
        check_id(ref, field="conversation_id", allow_seq=True)
        check_text(name, field="name", required=True, limit=MAX_NAME)
        record = await self.queries.rename(principal=principal, ref=ref, name=name.strip())
        return ConversationView(record=record, summary=Summary())


def model_name_of(config: dict[str, Any]) -> str:
    """The model name in a Dify model config ("" when it names none)."""
    model = config.get("model") if isinstance(config, dict) else None
    return str(model.get("name") or "") if isinstance(model, dict) else ""

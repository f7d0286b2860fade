"""Domain records to chat protos for conversations, messages, feedback, annotations and statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from google.protobuf import json_format, struct_pb2, timestamp_pb2
from meshconsole.chat.v1 import chat_pb2

from services.chat.conversations.queries import Summary
from services.chat.conversations.service import ConversationView, MessageView
from services.chat.records import AnnotationRecord, ConversationRecord, FeedbackRecord, MessageRecord
from services.kit.clock import as_utc

log = structlog.get_logger(__name__)
MODES = {"chat": chat_pb2.CONVERSATION_MODE_CHAT, "completion": chat_pb2.CONVERSATION_MODE_COMPLETION}
ORIGINS = {
    "dify": chat_pb2.ORIGIN_DIFY,
    "nextconsole": chat_pb2.ORIGIN_NEXTCONSOLE,
    "nexent": chat_pb2.ORIGIN_NEXENT,
    "lbai": chat_pb2.ORIGIN_LBAI,
}
ORIGIN_NAMES = {number: name for name, number in ORIGINS.items()}
MODE_NAMES = {number: name for name, number in MODES.items()}
RATINGS = {"like": chat_pb2.RATING_LIKE, "dislike": chat_pb2.RATING_DISLIKE}
STATUSES = {
    "normal": chat_pb2.MESSAGE_STATUS_NORMAL,
    "stopped": chat_pb2.MESSAGE_STATUS_STOPPED,
    "error": chat_pb2.MESSAGE_STATUS_ERROR,
}


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(as_utc(value))
    return message


def struct(value: dict[str, Any] | None) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value or {})
    return message


def annotation(record: AnnotationRecord) -> chat_pb2.Annotation:
    return chat_pb2.Annotation(
        id=record.id,
        app_id=record.app_id,
        message_id=record.message_id,
        question=record.question,
        answer=record.answer,
        hit_count=record.hit_count,
        created_at=timestamp(record.created_at),
    )


def conversation(record: ConversationRecord, summary: Summary | None = None) -> chat_pb2.Conversation:
    summary = summary or Summary()
    message = chat_pb2.Conversation(
        id=record.id,
        app_id=record.app_id,
        mode=MODES.get(record.mode, chat_pb2.CONVERSATION_MODE_UNSPECIFIED),
        origin=ORIGINS.get(record.origin, chat_pb2.ORIGIN_UNSPECIFIED),
        name=record.name,
        summary=record.summary,
        status=record.status,
        inputs=struct(record.inputs),
        message_count=record.message_count,
        annotated=summary.annotation is not None,
        user_feedback_stats=chat_pb2.FeedbackStats(like=summary.user_like, dislike=summary.user_dislike),
        admin_feedback_stats=chat_pb2.FeedbackStats(like=summary.admin_like, dislike=summary.admin_dislike),
        first_query=summary.first.query if summary.first else "",
        first_answer=summary.first.answer if summary.first else "",
        from_end_user_id=record.end_user,
        user_id=record.user_id,
        seq=record.seq,
        created_at=timestamp(record.created_at),
        updated_at=timestamp(record.updated_at),
    )
    if summary.annotation is not None:
        message.annotation.CopyFrom(annotation(summary.annotation))
    config = record.model_config or {}
    message.model_config.update({"model": config.get("model"), "pre_prompt": config.get("pre_prompt", "")})
    return message


def conversation_detail(view: ConversationView) -> chat_pb2.ConversationDetail:
    return chat_pb2.ConversationDetail(
        conversation=conversation(view.record, view.summary),
        model_config=struct(view.record.model_config),
        messages=[message(m) for m in view.messages],
    )


def feedback(record: FeedbackRecord) -> chat_pb2.Feedback:
    return chat_pb2.Feedback(
        rating=RATINGS.get(record.rating, chat_pb2.RATING_UNSPECIFIED),
        content=record.content,
        from_source=record.from_source,
        user_id=record.user_id,
        created_at=timestamp(record.created_at),
    )


def parsed(items: Any, proto: type[Any]) -> list[Any]:
    """Stored extras as protos; an item that does not fit is skipped (and logged), never a failed read."""
    out = []
    for item in items if isinstance(items, list) else []:
        try:
            out.append(json_format.ParseDict(item, proto(), ignore_unknown_fields=True))
        except (json_format.ParseError, TypeError, ValueError):
            log.warning("unreadable_message_extra", proto=proto.__name__)
    return out


def _units(items: Any) -> list[chat_pb2.AgentUnit]:
    units = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", 0)
        if isinstance(kind, str):
            kind = chat_pb2.AgentEventType.Value(f"AGENT_EVENT_TYPE_{kind.upper()}") if kind else 0
        units.append(chat_pb2.AgentUnit(type=kind, content=str(item.get("content", ""))))
    return units


def message(view: MessageView) -> chat_pb2.Message:
    record = view.record
    extra = record.extra or {}
    out = chat_pb2.Message(
        id=record.id,
        conversation_id=record.conversation_id,
        app_id=record.app_id,
        task_id=record.task_id,
        parent_message_id=record.parent_message_id,
        inputs=struct(record.inputs),
        query=record.query,
        answer=record.answer,
        reasoning=record.reasoning,
        message_files=parsed(extra.get("message_files"), chat_pb2.Attachment),
        answer_files=parsed(extra.get("answer_files"), chat_pb2.Attachment),
        agent_thoughts=parsed(extra.get("agent_thoughts"), chat_pb2.AgentThought),
        retriever_resources=parsed(extra.get("retriever_resources"), chat_pb2.RetrieverResource),
        usage=chat_pb2.Usage(
            prompt_tokens=record.prompt_tokens,
            completion_tokens=record.completion_tokens,
            total_tokens=record.prompt_tokens + record.completion_tokens,
            latency=record.latency_s,
            time_to_first_token=record.first_token_s,
            total_price="0",
            currency="USD",
        ),
        rating=RATINGS.get(view.rating, chat_pb2.RATING_UNSPECIFIED),
        status=STATUSES.get(record.status, chat_pb2.MESSAGE_STATUS_UNSPECIFIED),
        error=record.error,
        text_type=record.text_type,
        model=record.model,
        from_end_user_id=record.end_user,
        user_id=record.user_id,
        created_at=timestamp(record.created_at),
        feedbacks=[feedback(f) for f in view.feedbacks],
    )
    try:
        out.agent_units.extend(_units(extra.get("agent_units")))
    except ValueError:
        log.warning("unreadable_message_extra", proto="AgentUnit")
    if view.annotation is not None:
        out.annotation.CopyFrom(annotation(view.annotation))
    return out


def session(record: ConversationRecord, *, llm_code: str) -> chat_pb2.Session:
    """A NextConsole session row for a conversation."""
    return chat_pb2.Session(
        id=record.seq,
        session_code=record.id,
        session_topic=record.name or "新会话",
        session_status="正常",
        session_source=record.app_id,
        session_llm_code=llm_code,
        session_assistant_id=0,
        session_search_engine_resource_type="search",
        session_vis=True,
        user_id=record.user_id,
        create_time=timestamp(record.created_at),
        update_time=timestamp(record.updated_at),
    )


def session_items(
    rows: Sequence[tuple[MessageRecord, int]], *, first_item: int, size: int
) -> list[chat_pb2.SessionMessage]:
    """lbai msgList items, oldest first: each exchange is a human item then its AI item (when there is one).

    rows come newest first with the item offset of each; the first may start before the page, so the list is cut
    to the page exactly.
    """
    items: list[chat_pb2.SessionMessage] = []
    offset = rows[0][1] if rows else first_item
    for message, _ in rows:
        stamp = timestamp_pb2.Timestamp(seconds=int(as_utc(message.created_at).timestamp()))
        if message.answer or message.status != "generating":
            items.append(
                chat_pb2.SessionMessage(
                    id=f"{message.id}-a",
                    user_type=chat_pb2.SPEAKER_TYPE_AI,
                    text=message.answer,
                    text_type=message.text_type,
                    create_time=stamp,
                )
            )
        files = [
            chat_pb2.Attachment(
                file_id=str(f.get("file_id", "")), url=str(f.get("url", "")), kind=f.get("file_type", 0)
            )
            for f in (message.extra or {}).get("message_files", [])
        ]
        items.append(
            chat_pb2.SessionMessage(
                id=f"{message.id}-q",
                user_type=chat_pb2.SPEAKER_TYPE_HUMAN,
                text=message.query,
                file_attachs=files,
                create_time=stamp,
            )
        )
    return list(reversed(items[first_item - offset : first_item - offset + size]))

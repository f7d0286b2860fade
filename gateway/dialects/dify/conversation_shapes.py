"""Dify console shapes of conversations and messages, as Dify's conversation_fields and message_fields marshal them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from meshconsole.chat.v1 import chat_pb2

from gateway.dialects.dify.shapes import struct_dict

RATINGS = {chat_pb2.RATING_LIKE: "like", chat_pb2.RATING_DISLIKE: "dislike"}
DETAIL_CONFIG_KEYS = (
    "opening_statement",
    "suggested_questions",
    "model",
    "user_input_form",
    "pre_prompt",
    "agent_mode",
)


def _seconds(stamp: Any) -> int:
    return int(stamp.seconds)


def _who(end_user: str, user_id: int) -> dict[str, Any]:
    """Dify's from_* trio: end users come through the API, accounts through the console."""
    return {
        "from_source": "api" if end_user else "console",
        "from_end_user_id": end_user or None,
        "from_account_id": None if end_user else str(user_id),
    }


def _stats(stats: chat_pb2.FeedbackStats) -> dict[str, int]:
    return {"like": stats.like, "dislike": stats.dislike}


def annotation(row: chat_pb2.Annotation) -> dict[str, Any]:
    """An annotation as create returns it (annotation_fields)."""
    return {
        "id": row.id,
        "question": row.question,
        "answer": row.answer,
        "hit_count": row.hit_count,
        "created_at": _seconds(row.created_at),
    }


def _message_annotation(row: chat_pb2.Annotation) -> dict[str, Any]:
    """An annotation inside a message or conversation (conversation_fields.annotation_fields)."""
    return {
        "id": row.id,
        "question": row.question,
        "content": row.answer,
        "account": None,
        "created_at": _seconds(row.created_at),
    }


def usage(row: chat_pb2.Usage) -> dict[str, Any]:
    """Dify's metadata.usage."""
    return {
        "prompt_tokens": row.prompt_tokens,
        "prompt_unit_price": "0",
        "prompt_price_unit": "0",
        "prompt_price": "0",
        "completion_tokens": row.completion_tokens,
        "completion_unit_price": "0",
        "completion_price_unit": "0",
        "completion_price": "0",
        "total_tokens": row.total_tokens,
        "total_price": row.total_price or "0",
        "currency": row.currency or "USD",
        "latency": row.latency,
        "time_to_first_token": row.time_to_first_token,
    }


def retriever_resource(row: chat_pb2.RetrieverResource) -> dict[str, Any]:
    """One of Dify's retriever_resources: a knowledge chunk an answer used."""
    return {
        "position": row.position,
        "dataset_id": row.dataset_id,
        "dataset_name": row.dataset_name,
        "document_id": row.document_id,
        "document_name": row.document_name,
        "data_source_type": row.source_type or "upload_file",
        "segment_id": row.segment_id,
        "retriever_from": "dev",
        "score": row.score,
        "content": row.content,
    }


def metadata(row: chat_pb2.Usage, resources: Iterable[chat_pb2.RetrieverResource]) -> dict[str, Any]:
    """Dify's message metadata, in a message and in the message_end event alike."""
    return {"usage": usage(row), "retriever_resources": [retriever_resource(r) for r in resources]}


def _feedback(row: chat_pb2.Feedback) -> dict[str, Any]:
    admin = row.from_source == "admin"
    return {
        "rating": RATINGS.get(row.rating),
        "content": row.content or None,
        "from_source": row.from_source,
        "from_end_user_id": row.from_end_user_id or None,
        "from_account": {"id": str(row.user_id), "name": "", "email": ""} if admin else None,
    }


def _thought(row: chat_pb2.AgentThought, message: chat_pb2.Message) -> dict[str, Any]:
    return {
        "id": row.id,
        "chain_id": None,
        "message_id": message.id,
        "position": row.position,
        "thought": row.thought,
        "tool": row.tool,
        "tool_labels": {},
        "tool_input": row.tool_input,
        "created_at": row.created_at or _seconds(message.created_at),
        "observation": row.observation,
        "files": list(row.message_files),
    }


def _file(row: chat_pb2.Attachment, belongs_to: str) -> dict[str, Any]:
    kind = "image" if row.kind == chat_pb2.ATTACHMENT_KIND_IMAGE else "document"
    return {"id": row.file_id, "type": kind, "url": row.url, "belongs_to": belongs_to}


def _prompt(message: chat_pb2.Message) -> list[dict[str, Any]]:
    return [{"role": "user", "text": message.query, "files": []}]


def message_detail(message: chat_pb2.Message) -> dict[str, Any]:
    """One message as Dify's message_detail_fields."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "inputs": struct_dict(message.inputs),
        "query": message.query,
        "message": _prompt(message),
        "message_tokens": message.usage.prompt_tokens,
        "answer": message.answer,
        "answer_tokens": message.usage.completion_tokens,
        "provider_response_latency": message.usage.latency,
        **_who(message.from_end_user_id, message.user_id),
        "feedbacks": [_feedback(f) for f in message.feedbacks],
        "workflow_run_id": None,
        "annotation": _message_annotation(message.annotation) if message.HasField("annotation") else None,
        "annotation_hit_history": None,
        "created_at": _seconds(message.created_at),
        "agent_thoughts": [_thought(t, message) for t in message.agent_thoughts],
        "message_files": [_file(f, "user") for f in message.message_files]
        + [_file(f, "assistant") for f in message.answer_files],
        "metadata": metadata(message.usage, message.retriever_resources),
        "status": "error" if message.status == chat_pb2.MESSAGE_STATUS_ERROR else "normal",
        "error": message.error or None,
        "parent_message_id": message.parent_message_id or None,
    }


def _common(row: chat_pb2.Conversation) -> dict[str, Any]:
    return {"id": row.id, "status": row.status or "normal", **_who(row.from_end_user_id, row.user_id)}


def _simple_config(row: chat_pb2.Conversation) -> dict[str, Any]:
    config = struct_dict(row.model_config)
    return {"model": config.get("model"), "pre_prompt": config.get("pre_prompt", "")}


def _detail_config(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config.get(key) for key in DETAIL_CONFIG_KEYS}


def chat_item(row: chat_pb2.Conversation) -> dict[str, Any]:
    """A chat-conversations list item (conversation_with_summary_fields)."""
    return {
        **_common(row),
        "from_end_user_session_id": None,
        "from_account_name": None,
        "name": row.name,
        "summary": row.summary or row.first_query,
        "read_at": None,
        "created_at": _seconds(row.created_at),
        "updated_at": _seconds(row.updated_at),
        "annotated": row.annotated,
        "model_config": _simple_config(row),
        "message_count": row.message_count,
        "user_feedback_stats": _stats(row.user_feedback_stats),
        "admin_feedback_stats": _stats(row.admin_feedback_stats),
        "status_count": None,
    }


def completion_item(row: chat_pb2.Conversation) -> dict[str, Any]:
    """A completion-conversations list item (conversation_fields): the first exchange is shown."""
    return {
        **_common(row),
        "from_end_user_session_id": None,
        "from_account_name": None,
        "read_at": None,
        "created_at": _seconds(row.created_at),
        "updated_at": _seconds(row.updated_at),
        "annotation": _message_annotation(row.annotation) if row.HasField("annotation") else None,
        "model_config": _simple_config(row),
        "user_feedback_stats": _stats(row.user_feedback_stats),
        "admin_feedback_stats": _stats(row.admin_feedback_stats),
        "message": {
            "inputs": struct_dict(row.inputs),
            "query": row.first_query,
            "message": row.first_query,
            "answer": row.first_answer,
        },
    }


def chat_detail(detail: chat_pb2.ConversationDetail) -> dict[str, Any]:
    """GET chat-conversations/{id} (conversation_detail_fields)."""
    row, config = detail.conversation, struct_dict(detail.model_config)
    return {
        **_common(row),
        "created_at": _seconds(row.created_at),
        "updated_at": _seconds(row.updated_at),
        "annotated": row.annotated,
        "introduction": config.get("opening_statement") or "",
        "model_config": _detail_config(config),
        "message_count": row.message_count,
        "user_feedback_stats": _stats(row.user_feedback_stats),
        "admin_feedback_stats": _stats(row.admin_feedback_stats),
    }


def completion_detail(detail: chat_pb2.ConversationDetail) -> dict[str, Any]:
    """GET completion-conversations/{id} (conversation_message_detail_fields): with its first message in full."""
    row = detail.conversation
    return {
        **_common(row),
        "created_at": _seconds(row.created_at),
        "model_config": _detail_config(struct_dict(detail.model_config)),
        "message": message_detail(detail.messages[0]) if detail.messages else None,
    }

"""Dify console feedback on messages and annotations: POST feedbacks, POST annotations, GET annotations/count."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.dify.conversation_shapes import annotation
from gateway.dialects.dify.envelope import PREFIX
from gateway.dialects.dify.schemas import DifyAnnotation, DifyCount, DifyResult
from gateway.dialects.dify.shapes import uuid_param

router = APIRouter(prefix=f"{PREFIX}/apps/{{app_id}}")
RATINGS = {"like": chat_pb2.RATING_LIKE, "dislike": chat_pb2.RATING_DISLIKE, None: chat_pb2.RATING_UNSPECIFIED}


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: StrictStr
    rating: Literal["like", "dislike"] | None = None
    content: StrictStr | None = Field(default=None, max_length=10_000)


class AnnotationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: StrictStr | None = None
    question: StrictStr | None = Field(default=None, max_length=100_000)
    answer: StrictStr = Field(max_length=100_000)


@router.post("/feedbacks", response_model=DifyResult)
async def set_feedback(
    clients: Clients, principal: CurrentPrincipal, app_id: str, body: FeedbackBody
) -> dict[str, str]:
    """The console's (admin) rating of a message: like, dislike, or null to clear it."""
    rate = chat_pb2.SetFeedbackRequest(
        app_id=uuid_param(app_id, field="app_id"),
        message_id=uuid_param(body.message_id, field="message_id"),
        rating=RATINGS[body.rating],
        content=body.content or "",
        from_source="admin",
    )
    await clients.call(clients.conversations.SetFeedback, rate, principal=principal)
    return {"result": "success"}


@router.post("/annotations", response_model=DifyAnnotation)
async def create_annotation(
    clients: Clients, principal: CurrentPrincipal, app_id: str, body: AnnotationBody
) -> dict[str, Any]:
    """A question/answer annotation of the app, attached to a message when message_id is given."""
    create = chat_pb2.CreateAnnotationRequest(
        app_id=uuid_param(app_id, field="app_id"),
        message_id=uuid_param(body.message_id, field="message_id") if body.message_id else "",
        question=body.question or "",
        answer=body.answer,
    )
    return annotation(await clients.call(clients.conversations.CreateAnnotation, create, principal=principal))


@router.get("/annotations/count", response_model=DifyCount)
async def count_annotations(clients: Clients, principal: CurrentPrincipal, app_id: str) -> dict[str, int]:
    """How many annotations the app has."""
    count = chat_pb2.CountAnnotationsRequest(app_id=uuid_param(app_id, field="app_id"))
    reply = await clients.call(clients.conversations.CountAnnotations, count, principal=principal)
    return {"count": int(reply.count)}

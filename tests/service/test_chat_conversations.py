"""Chat conversations in-process (with the real apps service): lists, message pages, feedback, suggestions,
annotations, titles, sources, statistics and tenancy, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
import sqlalchemy as sa
from google.protobuf import struct_pb2, timestamp_pb2
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.common.v1 import common_pb2

from services.apps.app import AppsProcess
from services.chat.app import build_chat
from services.chat.config import ChatSettings
from services.chat.generation.core import GenerationService
from services.chat.records import ConversationRecord, MessageRecord
from services.kit import grpc_client
from services.kit.clock import as_utc
from services.kit.context import Principal
from services.kit.errors import MeshError, from_rpc_error
from services.kit.testing.credentials import credential_metadata
from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from services.kit.testing.servers import NatsServer, ValkeyServer
from tests.service.conftest import fresh_database

ALICE = Principal(user_id=11, company_id=5, roles=("user",))
BOB = Principal(user_id=12, company_id=5, roles=("user",))
ALICE_COMPANY = Principal(user_id=11, company_id=5, kind="company_key")
MALLORY = Principal(user_id=66, company_id=9, roles=("user",))
CHAT, COMPLETION = chat_pb2.CONVERSATION_MODE_CHAT, chat_pb2.CONVERSATION_MODE_COMPLETION
MODEL = {"provider": "openai_api_compatible", "name": "mesh-test-model", "mode": "chat", "completion_params": {}}


@dataclass
class Mesh:
    generation: chat_pb2_grpc.GenerationServiceStub
    conversations: chat_pb2_grpc.ConversationServiceStub
    insights: chat_pb2_grpc.InsightsServiceStub
    apps: apps_pb2_grpc.AppsServiceStub
    service: GenerationService
    upstream: ScriptedUpstream


def md(principal: Principal = ALICE) -> tuple[tuple[str, str], ...]:
    return credential_metadata(principal)


@pytest.fixture(scope="module")
def upstream() -> AsyncIterator[ScriptedUpstream]:
    with ScriptedUpstream(models=("mesh-test-model",)) as server:
        yield server  # type: ignore[misc]


@pytest_asyncio.fixture(loop_scope="session")
async def chat_database(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The chat service's own database, of the same kind as the apps fixture's."""
    async with fresh_database(database_backend, tmp_path, request, name="chat") as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def mesh(
    apps: tuple[AppsProcess, grpc.aio.Channel],
    chat_database: str,
    upstream: ScriptedUpstream,
    tmp_path: Path,
    nats_server: NatsServer,
    valkey_server: ValkeyServer,
) -> AsyncIterator[Mesh]:
    upstream.reset()
    apps_process, apps_channel = apps
    settings = ChatSettings(
        data_dir=tmp_path,
        database_url=chat_database,
        nats_url=nats_server.url,
        redis_url=valkey_server.url,
        secret_key="chat-test-" + uuid.uuid4().hex,
        openai_base_url=upstream.base_url,
        openai_api_key="test-key",
        default_model="mesh-test-model",
        apps_addr=f"127.0.0.1:{apps_process.port}",
        chat_app_config_cache_s=0.0,
        timezone="UTC",
    )
    process, generation = await build_chat(settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    try:
        yield Mesh(
            chat_pb2_grpc.GenerationServiceStub(channel),
            chat_pb2_grpc.ConversationServiceStub(channel),
            chat_pb2_grpc.InsightsServiceStub(channel),
            apps_pb2_grpc.AppsServiceStub(apps_channel),
            generation,
            upstream,
        )
    finally:
        await channel.close()
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()


async def new_app(mesh: Mesh, *, mode: int = apps_pb2.APP_MODE_CHAT, who: Principal = ALICE, **config: Any) -> str:
    body = struct_pb2.Struct()
    body.update({"model": MODEL, **config})
    app = await mesh.apps.CreateApp(
        apps_pb2.CreateAppRequest(name="app", mode=mode, model_config=body), metadata=md(who)
    )
    return str(app.id)


async def turn(
    mesh: Mesh,
    query: str,
    *,
    app_id: str,
    conversation_id: str = "",
    mode: int = CHAT,
    who: Principal = ALICE,
    answer: str = "an answer",
) -> tuple[str, str]:
    """One real Generate turn; returns (conversation_id, message_id)."""
    mesh.upstream.push(Script(chunks=[answer], prompt_tokens=10))
    call = mesh.generation.Generate(
        chat_pb2.GenerateRequest(
            query=query, app_id=app_id, conversation_id=conversation_id, mode=mode, origin=chat_pb2.ORIGIN_DIFY
        ),
        metadata=md(who),
    )
    events = [event async for event in call]
    assert events[-1].WhichOneof("event") == "message_end", events[-1]
    return events[0].conversation_id, events[0].message_id


async def fails(call: Any, code: grpc.StatusCode) -> MeshError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    return from_rpc_error(caught.value)


def page(number: int, limit: int) -> common_pb2.PageRequest:
    return common_pb2.PageRequest(page=number, limit=limit)


async def test_conversation_lists_page_by_mode_newest_first_with_summaries(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    first, _ = await turn(mesh, "first question", app_id=app_id, answer="first answer")
    second, _ = await turn(mesh, "second question", app_id=app_id)
    await turn(mesh, "follow up", app_id=app_id, conversation_id=first)
    third, _ = await turn(mesh, "third question", app_id=app_id)
    completion_app = await new_app(mesh, mode=apps_pb2.APP_MODE_COMPLETION)
    done, _ = await turn(mesh, "write", app_id=completion_app, mode=COMPLETION, answer="written")

    listing = chat_pb2.ListConversationsRequest(app_id=app_id, mode=CHAT, page=page(1, 2))
    one = await mesh.conversations.ListConversations(listing, metadata=md())
    assert [c.id for c in one.conversations] == [third, first]  # the follow-up moved `first` up
    assert (one.page.total, one.page.has_more, one.page.limit, one.page.page) == (3, True, 2, 1)
    listing.page.page = 2
    two = await mesh.conversations.ListConversations(listing, metadata=md())
    assert [c.id for c in two.conversations] == [second] and not two.page.has_more
    by_id = {c.id: c for c in one.conversations}
    assert (by_id[first].message_count, by_id[first].first_query, by_id[first].first_answer) == (
        2,
        "first question",
        "first answer",
    )
    assert by_id[first].name == "first question" and by_id[first].mode == CHAT
    assert by_id[first].origin == chat_pb2.ORIGIN_DIFY and by_id[first].user_id == ALICE.user_id

    completions = await mesh.conversations.ListConversations(
        chat_pb2.ListConversationsRequest(app_id=completion_app, mode=COMPLETION, page=page(1, 20)), metadata=md()
    )
    assert [(c.id, c.first_answer) for c in completions.conversations] == [(done, "written")]
    assert completions.conversations[0].mode == COMPLETION
    searched = await mesh.conversations.ListConversations(
        chat_pb2.ListConversationsRequest(app_id=app_id, mode=CHAT, keyword="FOLLOW", page=page(1, 20)), metadata=md()
    )
    assert [c.id for c in searched.conversations] == [first]
    bad = chat_pb2.ListConversationsRequest(app_id=app_id, mode=CHAT, page=page(1, 101))
    assert (
        await fails(mesh.conversations.ListConversations(bad, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
    ).field == ("limit")


async def test_message_pages_go_backwards_from_first_id_oldest_first(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    conversation_id, m1 = await turn(mesh, "q1", app_id=app_id, answer="a1")
    ids = [m1]
    for n in range(2, 6):
        ids.append((await turn(mesh, f"q{n}", app_id=app_id, conversation_id=conversation_id, answer=f"a{n}"))[1])

    def request(first_id: str = "", limit: int = 2) -> chat_pb2.ListMessagesRequest:
        return chat_pb2.ListMessagesRequest(
            app_id=app_id, conversation_id=conversation_id, first_id=first_id, limit=limit
        )

    newest = await mesh.conversations.ListMessages(request(), metadata=md())
    assert [m.id for m in newest.messages] == ids[3:] and newest.has_more and newest.limit == 2
    assert [(m.query, m.answer) for m in newest.messages] == [("q4", "a4"), ("q5", "a5")]
    older = await mesh.conversations.ListMessages(request(ids[3]), metadata=md())
    assert [m.id for m in older.messages] == ids[1:3] and older.has_more
    oldest = await mesh.conversations.ListMessages(request(ids[1]), metadata=md())
    assert [m.id for m in oldest.messages] == ids[:1] and not oldest.has_more
    everything = await mesh.conversations.ListMessages(request(limit=0), metadata=md())
    assert [m.id for m in everything.messages] == ids and not everything.has_more and everything.limit == 20
    exact = await mesh.conversations.ListMessages(request(limit=5), metadata=md())
    assert len(exact.messages) == 5 and not exact.has_more

    message = await mesh.conversations.GetMessage(
        chat_pb2.GetMessageRequest(message_id=ids[0], app_id=app_id), metadata=md()
    )
    assert (message.query, message.answer, message.conversation_id) == ("q1", "a1", conversation_id)
    assert message.status == chat_pb2.MESSAGE_STATUS_NORMAL and message.usage.prompt_tokens == 10
    assert message.usage.completion_tokens == 1 and message.model == "mesh-test-model"

    _, other_message = await turn(mesh, "elsewhere", app_id=app_id)
    error = await fails(
        mesh.conversations.ListMessages(request(other_message), metadata=md()), grpc.StatusCode.NOT_FOUND
    )
    assert error.reason == "first_message_not_found"
    for bad, field in ((request(limit=101), "limit"), (request("nope"), "first_id")):
        assert (
            await fails(mesh.conversations.ListMessages(bad, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
        ).field == field
    wrong_app = chat_pb2.GetMessageRequest(message_id=ids[0], app_id=str(uuid.uuid4()))
    await fails(mesh.conversations.GetMessage(wrong_app, metadata=md()), grpc.StatusCode.NOT_FOUND)


async def test_another_tenant_or_user_sees_nothing_a_company_key_sees_its_company(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    conversation_id, message_id = await turn(mesh, "private", app_id=app_id)
    get = chat_pb2.GetConversationRequest(conversation_id=conversation_id)
    for intruder in (MALLORY, BOB):
        await fails(mesh.conversations.GetConversation(get, metadata=md(intruder)), grpc.StatusCode.NOT_FOUND)
        await fails(
            mesh.conversations.GetMessage(chat_pb2.GetMessageRequest(message_id=message_id), metadata=md(intruder)),
            grpc.StatusCode.NOT_FOUND,
        )
        await fails(
            mesh.conversations.ListMessages(
                chat_pb2.ListMessagesRequest(conversation_id=conversation_id), metadata=md(intruder)
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        rate = chat_pb2.SetFeedbackRequest(message_id=message_id, rating=chat_pb2.RATING_DISLIKE)
        await fails(mesh.conversations.SetFeedback(rate, metadata=md(intruder)), grpc.StatusCode.NOT_FOUND)
        delete = chat_pb2.DeleteConversationRequest(conversation_id=conversation_id)
        await fails(mesh.conversations.DeleteConversation(delete, metadata=md(intruder)), grpc.StatusCode.NOT_FOUND)
        rename = chat_pb2.RenameConversationRequest(conversation_id=conversation_id, name="mine now")
        await fails(mesh.conversations.RenameConversation(rename, metadata=md(intruder)), grpc.StatusCode.NOT_FOUND)
    foreign = chat_pb2.ListConversationsRequest(app_id=app_id, mode=CHAT, page=page(1, 20))
    error = await fails(mesh.conversations.ListConversations(foreign, metadata=md(MALLORY)), grpc.StatusCode.NOT_FOUND)
    assert error.reason == "app_not_found"
    seen = await mesh.conversations.GetConversation(get, metadata=md(ALICE_COMPANY))
    assert seen.conversation.id == conversation_id and seen.conversation.name == "private"
    kept = await mesh.conversations.GetMessage(chat_pb2.GetMessageRequest(message_id=message_id), metadata=md())
    assert kept.rating == chat_pb2.RATING_UNSPECIFIED and list(kept.feedbacks) == []


async def test_feedback_is_persisted_updated_and_cleared_per_user(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    conversation_id, message_id = await turn(mesh, "rate me", app_id=app_id)

    async def rate(rating: int, *, source: str = "admin", who: Principal = ALICE) -> None:
        request = chat_pb2.SetFeedbackRequest(message_id=message_id, app_id=app_id, rating=rating, from_source=source)
        await mesh.conversations.SetFeedback(request, metadata=md(who))

    async def message(who: Principal = ALICE) -> chat_pb2.Message:
        return await mesh.conversations.GetMessage(chat_pb2.GetMessageRequest(message_id=message_id), metadata=md(who))

    await rate(chat_pb2.RATING_LIKE)
    liked = await message()
    assert liked.rating == chat_pb2.RATING_LIKE
    assert [(f.rating, f.from_source, f.user_id) for f in liked.feedbacks] == [(chat_pb2.RATING_LIKE, "admin", 11)]
    await rate(chat_pb2.RATING_DISLIKE)
    disliked = await message()
    assert [f.rating for f in disliked.feedbacks] == [chat_pb2.RATING_DISLIKE]
    await rate(chat_pb2.RATING_LIKE, source="user", who=ALICE_COMPANY)  # the same user: one rating, replaced
    detail = await mesh.conversations.GetConversation(
        chat_pb2.GetConversationRequest(conversation_id=conversation_id), metadata=md()
    )
    stats = detail.conversation
    assert (stats.user_feedback_stats.like, stats.admin_feedback_stats.like, stats.admin_feedback_stats.dislike) == (
        1,
        0,
        0,
    )
    await rate(chat_pb2.RATING_UNSPECIFIED)
    cleared = await message()
    assert cleared.rating == chat_pb2.RATING_UNSPECIFIED and list(cleared.feedbacks) == []
    await rate(chat_pb2.RATING_UNSPECIFIED)  # clearing nothing is fine

    bad_rating = chat_pb2.SetFeedbackRequest(message_id=message_id, rating=7)
    assert (
        await fails(mesh.conversations.SetFeedback(bad_rating, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
    ).field == ("rating")
    bad_id = chat_pb2.SetFeedbackRequest(message_id="12-34", rating=chat_pb2.RATING_LIKE)
    assert (
        await fails(mesh.conversations.SetFeedback(bad_id, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
    ).field == ("message_id")


async def test_delete_removes_the_conversation_and_its_messages(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    keep, _ = await turn(mesh, "keep", app_id=app_id)
    doomed, doomed_message = await turn(mesh, "doomed", app_id=app_id)
    wrong_app = chat_pb2.DeleteConversationRequest(conversation_id=doomed, app_id=str(uuid.uuid4()))
    await fails(mesh.conversations.DeleteConversation(wrong_app, metadata=md()), grpc.StatusCode.NOT_FOUND)
    await mesh.conversations.DeleteConversation(
        chat_pb2.DeleteConversationRequest(conversation_id=doomed, app_id=app_id), metadata=md()
    )
    await fails(
        mesh.conversations.GetConversation(chat_pb2.GetConversationRequest(conversation_id=doomed), metadata=md()),
        grpc.StatusCode.NOT_FOUND,
    )
    await fails(
        mesh.conversations.GetMessage(chat_pb2.GetMessageRequest(message_id=doomed_message), metadata=md()),
        grpc.StatusCode.NOT_FOUND,
    )
    listing = await mesh.conversations.ListConversations(
        chat_pb2.ListConversationsRequest(app_id=app_id, mode=CHAT, page=page(1, 20)), metadata=md()
    )
    assert [c.id for c in listing.conversations] == [keep] and listing.page.total == 1
    again = chat_pb2.DeleteConversationRequest(conversation_id=doomed)
    await fails(mesh.conversations.DeleteConversation(again, metadata=md()), grpc.StatusCode.NOT_FOUND)
    malformed = chat_pb2.DeleteConversationRequest(conversation_id="not-a-uuid")
    assert (
        await fails(mesh.conversations.DeleteConversation(malformed, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
    ).field == ("conversation_id")


async def test_suggested_questions_need_the_feature_and_parse_a_json_array(mesh: Mesh) -> None:
    enabled = await new_app(mesh, suggested_questions_after_answer={"enabled": True})
    _, message_id = await turn(mesh, "What is a mesh?", app_id=enabled, answer="A mesh is a network.")
    request = chat_pb2.SuggestQuestionsRequest(message_id=message_id, app_id=enabled)
    mesh.upstream.push(
        Script(chunks=['Here you go:\n```json\n["Why a mesh?", "How big?", "Who uses it?", "More?"]\n```'])
    )
    reply = await mesh.insights.SuggestQuestions(request, metadata=md())
    assert list(reply.questions) == ["Why a mesh?", "How big?", "Who uses it?"]
    sent = mesh.upstream.chat_requests()[-1].body
    prompt = sent["messages"][-1]["content"]
    assert "Human: What is a mesh?\nAssistant: A mesh is a network." in prompt
    assert "three most likely questions" in prompt and prompt.endswith("questions:\n")
    assert sent["max_tokens"] == 256 and sent["temperature"] == 0 and not sent.get("stream")

    mesh.upstream.push(Script(chunks=["I have no idea."]))
    assert list((await mesh.insights.SuggestQuestions(request, metadata=md())).questions) == []
    mesh.upstream.push(Script(status=503, error_message="overloaded"))
    assert list((await mesh.insights.SuggestQuestions(request, metadata=md())).questions) == []
    await fails(mesh.insights.SuggestQuestions(request, metadata=md(MALLORY)), grpc.StatusCode.NOT_FOUND)

    disabled = await new_app(mesh)
    _, plain_message = await turn(mesh, "hi", app_id=disabled)
    calls = len(mesh.upstream.chat_requests())
    off = chat_pb2.SuggestQuestionsRequest(message_id=plain_message, app_id=disabled)
    error = await fails(mesh.insights.SuggestQuestions(off, metadata=md()), grpc.StatusCode.FAILED_PRECONDITION)
    assert error.reason == "app_suggested_questions_after_answer_disabled"
    assert len(mesh.upstream.chat_requests()) == calls


async def test_annotations_attach_to_messages_and_are_counted_per_app(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    conversation_id, message_id = await turn(mesh, "How are you?", app_id=app_id)
    free = await mesh.conversations.CreateAnnotation(
        chat_pb2.CreateAnnotationRequest(app_id=app_id, question="q?", answer="curated"), metadata=md()
    )
    assert (free.app_id, free.message_id, free.question, free.answer, free.hit_count) == (
        app_id,
        "",
        "q?",
        "curated",
        0,
    )
    attached = await mesh.conversations.CreateAnnotation(
        chat_pb2.CreateAnnotationRequest(app_id=app_id, message_id=message_id, answer="better answer"), metadata=md()
    )
    assert (attached.message_id, attached.question, attached.answer) == (message_id, "How are you?", "better answer")
    again = await mesh.conversations.CreateAnnotation(
        chat_pb2.CreateAnnotationRequest(app_id=app_id, message_id=message_id, question="Q", answer="best"),
        metadata=md(),
    )
    assert again.id == attached.id and (again.question, again.answer) == ("Q", "best")
    count = await mesh.conversations.CountAnnotations(chat_pb2.CountAnnotationsRequest(app_id=app_id), metadata=md())
    assert count.count == 2
    message = await mesh.conversations.GetMessage(chat_pb2.GetMessageRequest(message_id=message_id), metadata=md())
    assert (message.annotation.id, message.annotation.answer) == (attached.id, "best")
    listing = await mesh.conversations.ListConversations(
        chat_pb2.ListConversationsRequest(app_id=app_id, mode=CHAT, page=page(1, 20)), metadata=md()
    )
    item = listing.conversations[0]
    assert item.id == conversation_id and item.annotated and item.annotation.answer == "best"

    other_app = await new_app(mesh)
    assert (
        await mesh.conversations.CountAnnotations(chat_pb2.CountAnnotationsRequest(app_id=other_app), metadata=md())
    ).count == 0
    wrong_app = chat_pb2.CreateAnnotationRequest(app_id=other_app, message_id=message_id, answer="x")
    await fails(mesh.conversations.CreateAnnotation(wrong_app, metadata=md()), grpc.StatusCode.NOT_FOUND)
    for request, field in (
        (chat_pb2.CreateAnnotationRequest(app_id=app_id, question="q"), "answer"),
        (chat_pb2.CreateAnnotationRequest(app_id=app_id, answer="a"), "question"),
        (chat_pb2.CreateAnnotationRequest(app_id="app", question="q", answer="a"), "app_id"),
    ):
        error = await fails(
            mesh.conversations.CreateAnnotation(request, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert error.field == field
    error = await fails(
        mesh.conversations.CountAnnotations(chat_pb2.CountAnnotationsRequest(app_id=app_id), metadata=md(MALLORY)),
        grpc.StatusCode.NOT_FOUND,
    )
    assert error.reason == "app_not_found"


async def test_nexent_conversations_share_the_store_by_numeric_id(mesh: Mesh) -> None:
    created = await mesh.conversations.CreateConversation(
        chat_pb2.CreateConversationRequest(name="新对话", origin=chat_pb2.ORIGIN_NEXENT), metadata=md()
    )
    assert created.app_id and created.origin == chat_pb2.ORIGIN_NEXENT and created.name == "新对话"
    agent_app = await mesh.apps.LoadNexentConfig(apps_pb2.LoadNexentConfigRequest(), metadata=md())
    assert created.app_id == agent_app.app_id
    dify_app = await new_app(mesh)
    dify_conversation, dify_message = await turn(mesh, "from dify", app_id=dify_app, answer="dify answer")

    nexent = chat_pb2.ListConversationsRequest(origin=chat_pb2.ORIGIN_NEXENT)
    listed = await mesh.conversations.ListConversations(nexent, metadata=md())
    assert [c.seq for c in listed.conversations] == [created.seq] and listed.page.total == 1
    assert (await mesh.conversations.ListConversations(nexent, metadata=md(MALLORY))).conversations == []

    by_seq = str(created.seq)
    renamed = await mesh.conversations.RenameConversation(
        chat_pb2.RenameConversationRequest(conversation_id=by_seq, name="  Trip plans "), metadata=md()
    )
    assert renamed.id == created.id and renamed.name == "Trip plans"
    blank = chat_pb2.RenameConversationRequest(conversation_id=by_seq, name=" ")
    assert (
        await fails(mesh.conversations.RenameConversation(blank, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
    ).field == ("name")
    await fails(
        mesh.conversations.GetConversation(
            chat_pb2.GetConversationRequest(conversation_id=by_seq), metadata=md(MALLORY)
        ),
        grpc.StatusCode.NOT_FOUND,
    )

    mesh.upstream.push(Script(chunks=['Title: "Weekend in Kyoto."\nextra line']))
    history = [chat_pb2.InputMessage(role="user", content="Plan a weekend in Kyoto")]
    titled = await mesh.insights.GenerateTitle(
        chat_pb2.GenerateTitleRequest(conversation_id=by_seq, history=history), metadata=md()
    )
    assert titled.title == "Weekend in Kyoto"
    sent = mesh.upstream.chat_requests()[-1].body["messages"]
    assert sent[0]["role"] == "system" and "Human: Plan a weekend in Kyoto" in sent[1]["content"]
    detail = await mesh.conversations.GetConversation(
        chat_pb2.GetConversationRequest(conversation_id=by_seq), metadata=md()
    )
    assert detail.conversation.name == "Weekend in Kyoto"
    empty = chat_pb2.GenerateTitleRequest(conversation_id=by_seq)
    assert (await fails(mesh.insights.GenerateTitle(empty, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)).field == (
        "history"
    )

    # A Dify conversation is a conversation: Nexent can title it from its stored messages and read it.
    mesh.upstream.push(Script(chunks=["Dify chat"]))
    stored = await mesh.insights.GenerateTitle(
        chat_pb2.GenerateTitleRequest(conversation_id=dify_conversation), metadata=md()
    )
    assert stored.title == "Dify chat"
    assert (
        "Human: from dify\nAssistant: dify answer" in mesh.upstream.chat_requests()[-1].body["messages"][1]["content"]
    )
    full = await mesh.conversations.GetConversation(
        chat_pb2.GetConversationRequest(conversation_id=dify_conversation, include_messages=True), metadata=md()
    )
    assert [(m.id, m.query, m.answer) for m in full.messages] == [(dify_message, "from dify", "dify answer")]
    assert full.model_config["model"]["name"] == "mesh-test-model"


async def test_sources_come_from_the_stored_answer(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    conversation_id, message_id = await turn(mesh, "find it", app_id=app_id)
    _, later = await turn(mesh, "and more", app_id=app_id, conversation_id=conversation_id)
    resource = {"title": "Doc", "content": "text", "url": "http://x/doc", "score": 0.5, "source_type": "file"}
    async with mesh.service.store.sessions() as session, session.begin():
        await session.execute(
            sa.update(MessageRecord)
            .where(MessageRecord.id == message_id)
            .values(extra={"retriever_resources": [resource], "images": ["http://x/a.png"]})
        )
        await session.execute(
            sa.update(MessageRecord).where(MessageRecord.id == later).values(extra={"images": ["http://x/b.png"]})
        )
    one = await mesh.conversations.GetMessageSources(
        chat_pb2.GetMessageSourcesRequest(message_id=message_id), metadata=md()
    )
    assert [(s.title, s.content, s.url, s.score) for s in one.searches] == [("Doc", "text", "http://x/doc", 0.5)]
    assert list(one.images) == ["http://x/a.png"]
    images = await mesh.conversations.GetMessageSources(
        chat_pb2.GetMessageSourcesRequest(conversation_id=conversation_id, type="image"), metadata=md()
    )
    assert list(images.searches) == [] and list(images.images) == ["http://x/a.png", "http://x/b.png"]
    bad = chat_pb2.GetMessageSourcesRequest(message_id=message_id, type="video")
    assert (
        await fails(mesh.conversations.GetMessageSources(bad, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
    ).field == ("type")
    other, _ = await turn(mesh, "elsewhere", app_id=app_id)
    mismatch = chat_pb2.GetMessageSourcesRequest(conversation_id=other, message_id=message_id)
    await fails(mesh.conversations.GetMessageSources(mismatch, metadata=md()), grpc.StatusCode.NOT_FOUND)
    foreign = chat_pb2.GetMessageSourcesRequest(message_id=message_id)
    await fails(mesh.conversations.GetMessageSources(foreign, metadata=md(MALLORY)), grpc.StatusCode.NOT_FOUND)


def ts(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(text).replace(tzinfo=UTC))
    return stamp


async def place(mesh: Mesh, message_id: str, at: str, *, latency: float, completion_tokens: int) -> None:
    """Move a generated message (and its conversation's start) to a known time with known timings."""
    moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
    async with mesh.service.store.sessions() as session, session.begin():
        row = (await session.execute(sa.select(MessageRecord).where(MessageRecord.id == message_id))).scalar_one()
        row.created_at, row.latency_s, row.completion_tokens = moment, latency, completion_tokens
        conversation = (
            await session.execute(sa.select(ConversationRecord).where(ConversationRecord.id == row.conversation_id))
        ).scalar_one()
        conversation.created_at = min(moment, as_utc(conversation.created_at).astimezone(UTC))


async def test_statistics_cut_days_right_across_daylight_saving_changes(mesh: Mesh) -> None:
    """New York moves from UTC-5 to UTC-4 on 2024-03-10: each message lands on its local day."""
    app_id = await new_app(mesh)
    placed = {
        "2024-03-09T04:30:00": "2024-03-08",  # 23:30 EST
        "2024-03-10T04:30:00": "2024-03-09",  # 23:30 EST, the night before the change
        "2024-03-10T05:30:00": "2024-03-10",  # 00:30 EST on the day of the change
        "2024-03-11T03:30:00": "2024-03-10",  # 23:30 EDT, the end of that day
        "2024-03-11T04:30:00": "2024-03-11",  # 00:30 EDT
        "2024-03-12T03:59:59": "2024-03-11",  # 23:59:59 EDT
    }
    for at in placed:
        _, message_id = await turn(mesh, f"at {at}", app_id=app_id)
        await place(mesh, message_id, at, latency=1.0, completion_tokens=1)
    request = chat_pb2.GetStatisticsRequest(
        app_id=app_id,
        metric=chat_pb2.StatisticMetric.Value("STATISTIC_METRIC_DAILY_CONVERSATIONS"),
        start=ts("2024-03-01T00:00:00"),
        end=ts("2024-03-20T00:00:00"),
        timezone="America/New_York",
    )
    reply = await mesh.insights.GetStatistics(request, metadata=md())
    expected: dict[str, float] = {}
    for day in placed.values():
        expected[day] = expected.get(day, 0) + 1
    assert [(r.date, r.value) for r in reply.rows] == sorted(expected.items())


async def test_statistics_per_day_in_the_requested_timezone(mesh: Mesh) -> None:
    app_id = await new_app(mesh)
    c1, m1 = await turn(mesh, "one", app_id=app_id)
    _, m2 = await turn(mesh, "two", app_id=app_id, conversation_id=c1)
    _, m3 = await turn(mesh, "three", app_id=app_id)
    _, m4 = await turn(mesh, "four", app_id=app_id)
    await place(mesh, m1, "2024-03-01T10:00:00", latency=1.0, completion_tokens=10)
    await place(mesh, m2, "2024-03-01T11:00:00", latency=3.0, completion_tokens=50)
    await place(mesh, m3, "2024-03-01T23:30:00", latency=2.0, completion_tokens=20)  # 03-02 07:30 in Shanghai
    await place(mesh, m4, "2024-03-03T09:00:00", latency=0.5, completion_tokens=5)
    await mesh.conversations.SetFeedback(
        chat_pb2.SetFeedbackRequest(message_id=m1, rating=chat_pb2.RATING_LIKE), metadata=md()
    )
    await mesh.conversations.SetFeedback(
        chat_pb2.SetFeedbackRequest(message_id=m3, rating=chat_pb2.RATING_DISLIKE), metadata=md()
    )

    async def stats(metric: int, zone: str = "", who: Principal = ALICE) -> list[tuple[str, float]]:
        request = chat_pb2.GetStatisticsRequest(
            app_id=app_id, metric=metric, start=ts("2024-03-01T00:00:00"), end=ts("2024-03-03T00:00:00"), timezone=zone
        )
        reply = await mesh.insights.GetStatistics(request, metadata=md(who))
        return [(r.date, r.value) for r in reply.rows]

    metric = chat_pb2.StatisticMetric
    assert await stats(metric.Value("STATISTIC_METRIC_DAILY_CONVERSATIONS")) == [("2024-03-01", 2)]
    assert await stats(metric.Value("STATISTIC_METRIC_DAILY_CONVERSATIONS"), "Asia/Shanghai") == [
        ("2024-03-01", 1),
        ("2024-03-02", 1),
    ]
    assert await stats(metric.Value("STATISTIC_METRIC_DAILY_END_USERS")) == [("2024-03-01", 1)]
    assert await stats(metric.Value("STATISTIC_METRIC_AVERAGE_SESSION_INTERACTIONS")) == [("2024-03-01", 1.5)]
    assert await stats(metric.Value("STATISTIC_METRIC_USER_SATISFACTION_RATE")) == [("2024-03-01", 333.33)]
    assert await stats(metric.Value("STATISTIC_METRIC_AVERAGE_RESPONSE_TIME")) == [("2024-03-01", 2000.0)]
    assert await stats(metric.Value("STATISTIC_METRIC_TOKENS_PER_SECOND")) == [("2024-03-01", 13.3333)]
    assert await stats(metric.Value("STATISTIC_METRIC_TOKENS_PER_SECOND"), "Asia/Shanghai") == [
        ("2024-03-01", 15.0),
        ("2024-03-02", 10.0),
    ]
    costs = await mesh.insights.GetStatistics(
        chat_pb2.GetStatisticsRequest(
            app_id=app_id,
            metric=chat_pb2.STATISTIC_METRIC_TOKEN_COSTS,
            start=ts("2024-02-01T00:00:00"),
            end=ts("2024-04-01T00:00:00"),
        ),
        metadata=md(),
    )
    assert [(r.date, r.token_count, r.total_price, r.currency) for r in costs.rows] == [
        ("2024-03-01", 3 * 10 + 10 + 50 + 20, "0", "USD"),
        ("2024-03-03", 10 + 5, "0", "USD"),
    ]
    assert await stats(metric.Value("STATISTIC_METRIC_DAILY_CONVERSATIONS"), who=ALICE_COMPANY) == [("2024-03-01", 2)]

    for request, field in (
        (chat_pb2.GetStatisticsRequest(app_id=app_id, metric=1, timezone="Mars/Olympus"), "timezone"),
        (
            chat_pb2.GetStatisticsRequest(
                app_id=app_id, metric=1, start=ts("2024-03-02T00:00:00"), end=ts("2024-03-01T00:00:00")
            ),
            "start",
        ),
        (chat_pb2.GetStatisticsRequest(app_id=app_id, metric=0), "metric"),
        (chat_pb2.GetStatisticsRequest(app_id="x", metric=1), "app_id"),
    ):
        error = await fails(mesh.insights.GetStatistics(request, metadata=md()), grpc.StatusCode.INVALID_ARGUMENT)
        assert error.field == field
    foreign = chat_pb2.GetStatisticsRequest(app_id=app_id, metric=1)
    await fails(mesh.insights.GetStatistics(foreign, metadata=md(MALLORY)), grpc.StatusCode.NOT_FOUND)


async def test_a_named_mode_hides_conversations_of_the_other_mode(mesh: Mesh) -> None:
    """Dify's completion routes cannot read or delete a chat conversation: chat owns that rule."""
    app_id = await new_app(mesh)
    conversation_id, _ = await turn(mesh, "hello", app_id=app_id)
    completion, chat = chat_pb2.CONVERSATION_MODE_COMPLETION, chat_pb2.CONVERSATION_MODE_CHAT
    wrong_get = chat_pb2.GetConversationRequest(app_id=app_id, conversation_id=conversation_id, mode=completion)
    error = await fails(mesh.conversations.GetConversation(wrong_get, metadata=md()), grpc.StatusCode.NOT_FOUND)
    assert error.reason == "conversation_not_found"
    wrong_delete = chat_pb2.DeleteConversationRequest(app_id=app_id, conversation_id=conversation_id, mode=completion)
    await fails(mesh.conversations.DeleteConversation(wrong_delete, metadata=md()), grpc.StatusCode.NOT_FOUND)
    right_get = chat_pb2.GetConversationRequest(app_id=app_id, conversation_id=conversation_id, mode=chat)
    assert (await mesh.conversations.GetConversation(right_get, metadata=md())).conversation.id == conversation_id
    right_delete = chat_pb2.DeleteConversationRequest(app_id=app_id, conversation_id=conversation_id, mode=chat)
    await mesh.conversations.DeleteConversation(right_delete, metadata=md())
    await fails(mesh.conversations.GetConversation(right_get, metadata=md()), grpc.StatusCode.NOT_FOUND)

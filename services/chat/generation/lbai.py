"""lbai sessions: the AI partner and mini programs answer in one JSON reply; mini programs are built by chat."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc

from services.chat.agents.plan import stock_plan
from services.chat.generation.core import GenerationService
from services.chat.generation.spec import GenerationSpec
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, MeshError, NotFound

MERMAID_KINDS = {
    2: "flowchart",
    3: "stateDiagram-v2",
    4: "erDiagram",
    5: "journey",
    6: "gantt",
    7: "pie",
    9: "timeline",
}
BUILDER_PROMPT = (
    "You help a user design an AI mini program. Reply with a short explanation for the user, then a JSON object "
    'in a ```json block with the keys "mini_program_name", "mini_program_introduction", '
    '"mini_program_instructions" and "mini_program_setting" (the system prompt the mini program will run with). '
    "Only include keys whose value should change."
)
_JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)
SETTING_KEYS = ("mini_program_name", "mini_program_introduction", "mini_program_instructions", "mini_program_setting")


@dataclass(frozen=True)
class SessionReply:
    message_id: str
    session_id: str
    created_at: int
    text: str
    text_type: str


def mark_instruction(mark_type: int) -> tuple[str, str]:
    """(instruction appended to the question, lbai text_type) for a mark_type."""
    if mark_type == 1:
        return "Answer as a mind map: a Markdown outline with one root heading and nested bullet points.", "mindmap"
    if mark_type in MERMAID_KINDS:
        kind = MERMAID_KINDS[mark_type]
        return f"Answer only with a Mermaid diagram of type `{kind}` (no code fence, no prose).", "mermaid"
    if mark_type in (900, 901):
        # The agent loop gives the model the stock tools (services.chat.agents.plan.stock_plan).
        return (
            "Answer as a structured Markdown stock analysis. Get the figures and news with the stock tools; "
            "never state a price, change or news item that no tool returned."
            + (" Backtest the strategy the user names (or sma_cross) with stock_backtest." if mark_type == 901 else "")
        ), ""
    if mark_type:
        raise InvalidArgument(f"unknown mark_type {mark_type}", field="mark_type")
    return "", ""


MAX_IMAGES, MAX_DOCUMENTS = 6, 1  # per question, as lbai's client allows
IMAGE_KIND, DOCUMENT_KIND, VOICE_KIND = 2, 1, 3
QUESTION_FIELD = "user_question.content"


@dataclass(frozen=True)
class UserQuestion:
    """lbai user_question: typed text (type 0), or the id of a voice file to transcribe first (type 1)."""

    text: str = ""
    voice_file_id: str = ""


def check_attachments(attachments: list[dict[str, Any]]) -> None:
    """At most six images and one document go with a question."""
    kinds = [a.get("file_type") for a in attachments]
    if kinds.count(IMAGE_KIND) > MAX_IMAGES:
        raise InvalidArgument("at most six images per question", field="file_attachs")
    if kinds.count(DOCUMENT_KIND) > MAX_DOCUMENTS:
        raise InvalidArgument("at most one document per question", field="file_attachs")


class LbaiChat:
    """Turns lbai requests into generations on the session's app and conversation."""

    def __init__(
        self,
        *,
        generation: GenerationService,
        apps: apps_pb2_grpc.AppsServiceStub,
        voice: voice_pb2_grpc.VoiceServiceStub,
        timeout_s: float,
        transcribe_timeout_s: float,
    ) -> None:
        self.generation = generation
        self.apps = apps
        self.voice = voice
        self.timeout_s = timeout_s
        self.transcribe_timeout_s = timeout_s if transcribe_timeout_s <= 0 else transcribe_timeout_s

    async def _asked(self, *, principal: Principal, question: UserQuestion) -> str:
        """The question's text: as typed, or the voice file's transcript (heard through voice, as the user)."""
        if not question.voice_file_id:
            return question.text
        file_id = question.voice_file_id.strip()
        if not file_id:
            raise InvalidArgument("a voice question needs the voice file's id", field=QUESTION_FIELD)
        request = voice_pb2.TranscribeFileRequest(object_id=file_id)
        try:
            transcript = await grpc_client.unary(
                self.voice.TranscribeFile, request, timeout_s=self.transcribe_timeout_s, principal=principal
            )
        except NotFound:
            raise NotFound("voice file not found", reason="voice_file_not_found", field=QUESTION_FIELD) from None
        except (InvalidArgument, FailedPrecondition) as error:
            if error.reason == "invalid_object_id":  # not an id at all: as unknown as any other
                raise NotFound("voice file not found", reason="voice_file_not_found", field=QUESTION_FIELD) from None
            message = f"the voice file could not be transcribed: {error.message}"
            raise InvalidArgument(message, reason=error.reason, field=QUESTION_FIELD) from None
        if not transcript.text.strip():
            raise InvalidArgument("no speech was heard in the voice file", reason="no_speech", field=QUESTION_FIELD)
        return str(transcript.text).strip()

    async def _session(self, *, principal: Principal, session_id: str) -> apps_pb2.ChatSession:
        if not session_id.strip():
            raise InvalidArgument("session_id is required", field="session_id")
        return await grpc_client.unary(
            self.apps.GetChatSession,
            apps_pb2.GetChatSessionRequest(session_id=session_id),
            timeout_s=self.timeout_s,
            principal=principal,
        )

    async def _whole(self, *, principal: Principal, spec: GenerationSpec) -> SessionReply:
        text: list[str] = []
        first = None
        async for event in self.generation.generate(principal=principal, spec=spec):
            first = first or event
            if event.kind == "text":
                text.append(event.text)
            elif event.kind == "error" and event.error is not None:
                raise event.error
        if first is None:
            raise MeshError("generation produced nothing", reason="empty_generation")
        return SessionReply(first.message_id, first.conversation_id, first.created_at, "".join(text), spec.text_type)

    async def chat(
        self,
        *,
        principal: Principal,
        session_id: str,
        asked: UserQuestion,
        mark_type: int,
        attachments: list[dict[str, Any]],
        mini_program_only: bool,
    ) -> SessionReply:
        """One question in a session; the answer comes back whole, diagrams tagged with their text_type.

        A voice question is answered as its transcript, which the history keeps as the question (with the voice
        file attached as file_type 3).
        """
        check_attachments(attachments)
        session = await self._session(principal=principal, session_id=session_id)
        if session.role == apps_pb2.SESSION_ROLE_COMMAND:
            raise InvalidArgument("this is a command session: use /miniProgram/create", field="session_id")
        if mini_program_only and session.session_type == apps_pb2.SESSION_TYPE_PARTNER:
            raise NotFound("mini program session not found", reason="session_not_found")
        question = await self._asked(principal=principal, question=asked)
        if not question.strip():
            raise InvalidArgument("user_question.content must not be empty", field="user_question.content")
        instruction, text_type = mark_instruction(mark_type)
        names = [a.get("name") or a.get("file_id") for a in attachments if a.get("file_id")]
        query = question if not names else f"{question}\n\n(Attached files: {', '.join(map(str, names))})"
        spec = GenerationSpec(
            query=f"{query}\n\n{instruction}".strip(),
            origin="lbai",
            app_id=session.app_id,
            conversation_id=session_id,
            ensure_conversation=True,
            text_type=text_type,
            attachments=attachments + _voice_attachment(asked),
            display_query=question,
        )
        if mark_type in (900, 901):
            mounted = await self._mounted(principal=principal, app_id=session.app_id)
            spec.agent = stock_plan(backtest=mark_type == 901, mounted=mounted)
        return await self._whole(principal=principal, spec=spec)

    async def _mounted(self, *, principal: Principal, app_id: str) -> list[str]:
        """The files the session's mini program mounts: the agent's knowledge_search covers them."""
        if not app_id or self.generation.app_configs is None:
            return []
        config = await self.generation.app_configs.get(principal=principal, app_id=app_id)
        return list(config.knowledge_file_ids)

    async def build_mini_program(
        self, *, principal: Principal, command_session_id: str, asked: UserQuestion
    ) -> SessionReply:
        """Design the mini program by chat and save what the model proposes."""
        session = await self._session(principal=principal, session_id=command_session_id)
        if session.role != apps_pb2.SESSION_ROLE_COMMAND:
            raise InvalidArgument(
                "command_session_id must be a mini program's command session", field="command_session_id"
            )
        question = await self._asked(principal=principal, question=asked)
        if not question.strip():
            raise InvalidArgument("user_question.content must not be empty", field="user_question.content")
        spec = GenerationSpec(
            query=question,
            origin="lbai",
            conversation_id=command_session_id,
            ensure_conversation=True,
            model_config_override={"pre_prompt": BUILDER_PROMPT},
        )
        reply = await self._whole(principal=principal, spec=spec)
        proposed = _proposed_settings(reply.text)
        if proposed:
            update = apps_pb2.UpdateMiniProgramRequest(
                ref=apps_pb2.MiniProgramRef(command_session_id=command_session_id), **proposed
            )
            await grpc_client.unary(self.apps.UpdateMiniProgram, update, timeout_s=self.timeout_s, principal=principal)
        return reply


def _proposed_settings(answer: str) -> dict[str, str]:
    """The settings in the model's JSON block, if it wrote a valid one."""
    match = _JSON_BLOCK.search(answer)
    if not match:
        return {}
    try:
        data = orjson.loads(match.group(0))
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v)[:4000] for k, v in data.items() if k in SETTING_KEYS and isinstance(v, str | int | float)}


def _voice_attachment(asked: UserQuestion) -> list[dict[str, Any]]:
    """A voice question's file, kept with the question so the history shows what was said."""
    if not asked.voice_file_id:
        return []
    return [{"file_id": asked.voice_file_id.strip(), "url": "", "file_type": VOICE_KIND, "name": ""}]

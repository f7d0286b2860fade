"""The one streaming core: builds the prompt, streams the upstream, persists the message at start and end."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import structlog
from meshconsole.apps.v1 import apps_pb2

from services.chat.agents.plan import plan_from_app_config
from services.chat.agents.runtime import AgentRuntime
from services.chat.agents.steps import AgentDelta, Step
from services.chat.app_config import AppConfigReader, model_config_dict
from services.chat.config import ChatSettings
from services.chat.conversations.queries import ConversationQueries
from services.chat.conversations.turn_writer import TurnWriter, visible
from services.chat.generation.knowledge import KnowledgeReader, context_prompt, knowledge_plan, mounted_prompt
from services.chat.generation.metrics import observed_stream
from services.chat.generation.prompt import Turn, build_messages, completion_params, estimate_tokens
from services.chat.generation.spec import GenerationSpec, MessageExtra, StreamEvent, message_extra
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.registry import ModelRegistry
from services.chat.records import ConversationRecord, MessageRecord
from services.chat.store import ChatStore
from services.chat.tasks import TaskRegistry
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError, NotFound

log = structlog.get_logger(__name__)
CHAT_APP_MODES = {"chat", "agent-chat", "advanced-chat", "agent", "mini-program"}


class GenerationService:
    """Runs generations; the upstream is called once per turn, and the turn's rows go through the group commit."""

    def __init__(
        self,
        *,
        settings: ChatSettings,
        store: ChatStore,
        registry: ModelRegistry,
        upstream: UpstreamClients,
        tasks: TaskRegistry,
        app_configs: AppConfigReader | None,
        knowledge: KnowledgeReader | None = None,
        agents: AgentRuntime | None = None,
        writer: TurnWriter | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.upstream = upstream
        self.tasks = tasks
        self.app_configs = app_configs
        self.knowledge = knowledge
        self.agents = agents
        self.writer = writer or TurnWriter(store.sessions)

    async def _model_config(self, *, principal: Principal, spec: GenerationSpec) -> tuple[dict[str, Any], list[str]]:
        """The model config for this turn and the knowledge files the app mounts."""
        if not spec.app_id or self.app_configs is None:
            return spec.model_config_override or {}, []
        # Read even when the caller sends its own config: an app it cannot see is app_not_found, never a run.
        config = await self.app_configs.get(principal=principal, app_id=spec.app_id)
        app_mode = _mode_name(config.mode)
        if spec.mode == "completion" and app_mode not in ("completion", ""):
            raise InvalidArgument("app is not a completion app", reason="not_completion_app")
        if spec.mode == "chat" and app_mode == "completion":
            raise InvalidArgument("app is not a chat app", reason="not_chat_app")
        if spec.model_config_override is not None:
            return spec.model_config_override, []
        result = model_config_dict(config)
        if config.mini_program_setting and not result.get("pre_prompt"):
            result["pre_prompt"] = config.mini_program_setting
        return result, list(config.knowledge_file_ids)

    async def _knowledge(
        self, *, principal: Principal, config: dict[str, Any], file_ids: list[str], query: str, mounted_tokens: int
    ) -> tuple[list[dict[str, Any]], str]:
        """Retrieved chunks, and the mounted files' text; mounted files are searched only where they did not fit."""
        if self.knowledge is None:
            return [], ""
        block, cut = "", False
        if file_ids:
            # ~4 characters per token at most (prompt.estimate_tokens), so nothing beyond the budget is read.
            texts = await self.knowledge.mounted(principal=principal, file_ids=file_ids, max_chars=mounted_tokens * 4)
            block, cut = mounted_prompt(texts, max_tokens=mounted_tokens)
        index_names, source_ids, top_k = knowledge_plan(config, file_ids if cut else [])
        if not index_names:
            return [], block
        found = await self.knowledge.retrieve(
            principal=principal, index_names=index_names, source_ids=source_ids, query=query, top_k=top_k
        )
        return found, block

    async def _conversation(
        self, *, principal: Principal, spec: GenerationSpec, config: dict[str, Any]
    ) -> tuple[str, bool]:
        if spec.conversation_id:
            pending = self.writer.pending_conversation(spec.conversation_id)
            if pending is not None and visible(principal, pending.user_id, pending.company_id):
                if spec.app_id and pending.app_id != spec.app_id:
                    raise NotFound("conversation not found", reason="conversation_not_found")
                return pending.id, False  # created by a turn whose rows are still being committed
            try:
                # Nexent clients hold numeric conversation ids; everyone else uses the uuid.
                found = await ConversationQueries(self.store).resolve(
                    principal=principal, ref=spec.conversation_id, app_id=spec.app_id
                )
                return found.id, False
            except NotFound:
                if (
                    not spec.ensure_conversation
                    or pending is not None
                    or await self.store.conversation_exists(conversation_id=spec.conversation_id)
                ):
                    raise
        now, conversation_id = utcnow(), spec.conversation_id or str(uuid.uuid4())
        # Written by the group commit: the first token never waits for the row (its seq comes with the commit).
        self.writer.create_conversation(
            ConversationRecord(
                id=conversation_id,
                user_id=principal.user_id,
                company_id=principal.company_id,
                app_id=spec.app_id,
                mode=spec.mode,
                origin=spec.origin,
                name=spec.query.strip().replace("\n", " ")[:40],
                inputs=spec.inputs or {},
                model_config=config or {},
                end_user=spec.end_user,
                created_at=now,
                updated_at=now,
            )
        )
        return conversation_id, True

    async def generate(self, *, principal: Principal, spec: GenerationSpec) -> AsyncIterator[StreamEvent]:
        """Stream one turn: a start event, deltas, then end (or error after the first token)."""
        config, knowledge_files = await self._model_config(principal=principal, spec=spec)
        app_model = config.get("model") or {}
        # Apps made without a model use the platform default ("meshconsole"/"default").
        platform_default = app_model.get("provider") == "meshconsole" or app_model.get("name") == "default"
        model_name = spec.model or ("" if platform_default else str(app_model.get("name") or ""))
        model = await self.registry.resolve_llm(principal=principal, model_name=model_name)
        params = completion_params(config, spec.params)
        # Agent apps (and callers that name tools) run the tool loop; their knowledge is a tool, not a pre-search.
        plan = (spec.agent or plan_from_app_config(config)) if self.agents is not None else None
        if spec.ephemeral:
            conversation_id, is_new = str(uuid.uuid4()), True
        else:
            conversation_id, is_new = await self._conversation(principal=principal, spec=spec, config=config)
        if spec.history is not None or spec.ephemeral or is_new:
            history = spec.history or []
        else:
            stored = await self.store.history(
                conversation_id=conversation_id, limit=self.settings.chat_history_messages
            )
            history = [t for m in stored for t in (Turn("user", m.query), Turn("assistant", m.answer)) if t.content]
        window, reserve = model.max_tokens or self.settings.chat_context_tokens, int(params.get("max_tokens") or 512)
        resources, mounted = await self._knowledge(
            principal=principal,
            config=config if plan is None else {},
            file_ids=knowledge_files,
            query=spec.display_query or spec.query,
            mounted_tokens=max(0, window - reserve) // 2,  # the other half stays for the prompt and history
        )
        messages = build_messages(
            context="\n\n".join(part for part in (mounted, context_prompt(resources) if resources else "") if part),
            model_config=config,
            inputs=spec.inputs,
            history=history,
            query=spec.query,
            completion_mode=spec.mode == "completion",
            context_tokens=window,
            reserve_tokens=reserve,
        )
        task_id, message_id = str(uuid.uuid4()), str(uuid.uuid4())
        now = utcnow()
        created_at = int(now.timestamp())
        # The "generating" row goes to the group commit while the upstream request is already on its way.
        record = (
            None
            if spec.ephemeral
            else MessageRecord(
                id=message_id,
                conversation_id=conversation_id,
                user_id=principal.user_id,
                company_id=principal.company_id,
                app_id=spec.app_id,
                task_id=task_id,
                query=spec.display_query or spec.query,
                inputs=spec.inputs,
                extra=message_extra(spec.attachments, resources),
                text_type=spec.text_type,
                status="generating",
                model=model.model_name,
                end_user=spec.end_user,
                created_at=now,
                updated_at=now,
            )
        )
        if record is not None:
            self.writer.start_message(record)
        ids = (task_id, message_id, conversation_id, created_at)
        yield StreamEvent("start", *ids, model=model.model_name, new_conversation=is_new)
        if resources:
            yield StreamEvent("resources", *ids, resources=resources)
        stop = self.tasks.register(task_id)
        steps: dict[str, Step] = {}
        extra = MessageExtra(spec, resources, steps) if plan is not None else None
        source = (
            self.agents.run(principal=principal, plan=plan, model=model, messages=messages, params=params, stop=stop)
            if plan is not None and self.agents is not None
            else self.upstream.stream_chat(model, messages=messages, params=params, stop=stop)
        )
        source = observed_stream(model.model_name, source)  # time to first token, tokens/s, upstream errors
        answer: list[str] = []
        reasoning: list[str] = []
        usage: dict[str, int] = {}
        started = time.perf_counter()
        first_token_at = 0.0
        status, error_text, finish = "normal", "", "stop"
        checkpoint_every = self.settings.chat_checkpoint_s
        next_checkpoint = started + checkpoint_every
        try:
            async for delta in source:
                if record is not None and (answer or reasoning) and time.perf_counter() >= next_checkpoint:
                    next_checkpoint = time.perf_counter() + checkpoint_every
                    # Queued for the group commit: a checkpoint never delays a token.
                    self.writer.checkpoint(message_id, answer="".join(answer), reasoning="".join(reasoning))
                if delta.prompt_tokens is not None:
                    usage = {"prompt": delta.prompt_tokens, "completion": delta.completion_tokens or 0}
                if delta.finish_reason:
                    finish = delta.finish_reason
                if delta.reasoning:
                    first_token_at = first_token_at or time.perf_counter()
                    reasoning.append(delta.reasoning)
                    yield StreamEvent("reasoning", *ids, text=delta.reasoning)
                if delta.content:
                    first_token_at = first_token_at or time.perf_counter()
                    answer.append(delta.content)
                    yield StreamEvent("text", *ids, text=delta.content)
                if isinstance(delta, AgentDelta):
                    if delta.resources:
                        resources.extend(delta.resources)
                        yield StreamEvent("resources", *ids, resources=delta.resources)
                    if delta.step is not None:
                        steps[delta.step.id] = delta.step
                        if delta.step_done and extra is not None and self.agents is not None and not spec.ephemeral:
                            # Each finished step is saved at once, so a crashed process keeps the run's steps.
                            self.agents.journal.save(self.store.sessions, message_id, extra.build, answer, reasoning)
                        yield StreamEvent("thought", *ids, step=delta.step, step_done=delta.step_done)
            if stop.is_set():
                status, finish = "stopped", "stopped"
        except asyncio.CancelledError:
            status, finish = "stopped", "stopped"
            await asyncio.shield(
                self._finish(record, answer, reasoning, usage, messages, started, first_token_at, status, "", extra)
            )
            raise
        except MeshError as error:
            status, error_text = "error", error.message
            await self._finish(
                record, answer, reasoning, usage, messages, started, first_token_at, status, error_text, extra
            )
            if not answer and not reasoning:
                raise
            yield StreamEvent("error", *ids, error=error)
            return
        except Exception:
            # Whatever went wrong, the message must not stay "generating".
            await self._finish(
                record,
                answer,
                reasoning,
                usage,
                messages,
                started,
                first_token_at,
                "error",
                "internal error",
                extra,
            )
            raise
        finally:
            self.tasks.finish(task_id)
        values = await self._finish(
            record, answer, reasoning, usage, messages, started, first_token_at, status, "", extra
        )
        yield StreamEvent(
            "end",
            *ids,
            prompt_tokens=values["prompt_tokens"],
            completion_tokens=values["completion_tokens"],
            latency_s=values["latency_s"],
            first_token_s=values["first_token_s"],
            finish_reason=finish,
            resources=resources,
        )

    async def _finish(
        self,
        record: MessageRecord | None,
        answer: list[str],
        reasoning: list[str],
        usage: dict[str, int],
        messages: list[dict[str, str]],
        started: float,
        first_token_at: float,
        status: str,
        error: str,
        extra: MessageExtra | None = None,
    ) -> dict[str, Any]:
        text, thought = "".join(answer), "".join(reasoning)
        ended = time.perf_counter()
        values: dict[str, Any] = {
            "answer": text,
            "reasoning": thought,
            "status": status,
            "error": error,
            "prompt_tokens": usage.get("prompt") or sum(estimate_tokens(m["content"]) for m in messages),
            "completion_tokens": usage.get("completion") or (estimate_tokens(text + thought) if text or thought else 0),
            "latency_s": round(ended - started, 4),
            "first_token_s": round(first_token_at - started, 4) if first_token_at else 0.0,
        }
        if extra is not None:  # agent runs: the steps so far (also after a stop) and every source they cited
            values["extra"] = extra.build(text, thought)
        if record is not None:  # the whole row: it stands even if the start write was lost
            await self.writer.finish(record, values)
        return values

    async def stop(self, *, principal: Principal, task_id: str, app_id: str = "") -> bool:
        """Stop a running task, wherever it runs; false when it already finished."""
        if app_id and self.app_configs is not None:
            await self.app_configs.get(principal=principal, app_id=app_id)
        record = self.writer.pending_task(task_id)  # started here, its row not committed yet
        if record is None or not visible(principal, record.user_id, record.company_id):
            record = await self.store.find_message_by_task(principal=principal, task_id=task_id)
        if record is None or (app_id and record.app_id != app_id):
            raise NotFound("task not found", reason="task_not_found")
        if record.status != "generating":
            return False
        await self.tasks.request_stop(task_id)
        return True


def _mode_name(mode: int) -> str:
    name = apps_pb2.AppMode.Name(mode) if mode else ""
    return name.removeprefix("APP_MODE_").lower().replace("_", "-") if name and not name.endswith("UNSPECIFIED") else ""

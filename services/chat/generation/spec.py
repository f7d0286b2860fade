"""What one turn asks for (GenerationSpec), the events it streams (StreamEvent), and what its message keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.chat.agents.plan import AgentPlan
from services.chat.agents.steps import Step
from services.chat.agents.units import stored_steps
from services.chat.generation.prompt import Turn
from services.kit.errors import MeshError


@dataclass
class GenerationSpec:
    """What one turn asks for, whichever dialect sent it."""

    query: str
    mode: str = "chat"  # "chat" or "completion"
    origin: str = "dify"
    app_id: str = ""
    conversation_id: str = ""
    ensure_conversation: bool = False
    inputs: dict[str, Any] = field(default_factory=dict)
    history: list[Turn] | None = None
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    model_config_override: dict[str, Any] | None = None
    end_user: str = ""
    text_type: str = ""  # lbai: "mermaid", "mindmap" or "" (Markdown)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    display_query: str = ""  # what to store as the query when the prompt adds instructions
    ephemeral: bool = False  # internal one-off answers: nothing is stored
    agent: AgentPlan | None = None  # run the agent loop with these tools (else: the app's agent_mode, if on)


@dataclass(slots=True)
class StreamEvent:
    """start | text | reasoning | end | error, with the ids every event carries."""

    kind: str
    task_id: str
    message_id: str
    conversation_id: str
    created_at: int
    text: str = ""
    model: str = ""
    new_conversation: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    first_token_s: float = 0.0
    finish_reason: str = ""
    error: MeshError | None = None
    resources: list[dict[str, Any]] = field(default_factory=list)
    step: Step | None = None  # agent runs: a step started (calls known) or done (observations in)
    step_done: bool = False


@dataclass
class MessageExtra:
    """An agent message's extra at the end: files, cited sources and the steps (Nexent answers as units too)."""

    spec: GenerationSpec
    resources: list[dict[str, Any]]
    steps: dict[str, Step]

    def build(self, answer: str, reasoning: str) -> dict[str, Any]:
        extra = message_extra(self.spec.attachments, self.resources)
        extra.update(
            stored_steps(list(self.steps.values()), origin=self.spec.origin, answer=answer, reasoning=reasoning)
        )
        return extra


def message_extra(attachments: list[dict[str, Any]], resources: list[dict[str, Any]]) -> dict[str, Any]:
    """What a message keeps beside its text: the user's files and the knowledge it was answered from."""
    extra: dict[str, Any] = {}
    if attachments:
        extra["message_files"] = attachments
    if resources:
        extra["retriever_resources"] = resources
    return extra

"""Builds the upstream messages from the app's model config, inputs, history and the query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
UPSTREAM_PARAMS = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop")


@dataclass(frozen=True)
class Turn:
    """A past exchange, or an explicit message from the client."""

    role: str
    content: str


def render_template(template: str, inputs: dict[str, Any]) -> str:
    """Replace {{name}} with the input's value; unknown names become empty, as Dify does."""
    return _VARIABLE.sub(lambda m: str(inputs.get(m.group(1), "") or ""), template or "")


def estimate_tokens(text: str) -> int:
    """A cheap upper-bound estimate: ~1 token per CJK character, ~4 characters per token otherwise."""
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")
    return cjk + (len(text) - cjk) // 4 + 4


def completion_params(model_config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The app's completion_params with per-call overrides, limited to what OpenAI accepts."""
    model = model_config.get("model") or {}
    params = dict(model.get("completion_params") or {})
    params.update({k: v for k, v in overrides.items() if v is not None})
    return {k: params[k] for k in UPSTREAM_PARAMS if params.get(k) not in (None, "", [])}


def build_messages(
    *,
    model_config: dict[str, Any],
    inputs: dict[str, Any],
    history: list[Turn],
    query: str,
    completion_mode: bool,
    context_tokens: int,
    reserve_tokens: int,
    context: str = "",
) -> list[dict[str, str]]:
    """System prompt (with retrieved context), as much recent history as fits the window, then the query."""
    pre_prompt = render_template(str(model_config.get("pre_prompt") or ""), inputs)
    if completion_mode:
        prompt = f"{pre_prompt}\n\n{query}".strip() if query else pre_prompt
        prompt = f"{context}\n\n{prompt}" if context else prompt
        return [{"role": "user", "content": prompt or query}]
    messages: list[dict[str, str]] = []
    system_parts = [part for part in (pre_prompt, context) if part]
    opening = render_template(str(model_config.get("opening_statement") or ""), inputs)
    if opening and not history:
        system_parts.append(f"You opened the conversation with: {opening}")
    if system_parts:
        messages.append({"role": "system", "content": "\n\n".join(system_parts)})
    budget = (
        context_tokens - reserve_tokens - estimate_tokens(query) - sum(estimate_tokens(m["content"]) for m in messages)
    )
    kept: list[dict[str, str]] = []
    for turn in reversed(history):
        cost = estimate_tokens(turn.content)
        if cost > budget:
            break
        budget -= cost
        kept.append({"role": turn.role, "content": turn.content})
    messages.extend(reversed(kept))
    messages.append({"role": "user", "content": query})
    return messages

"""Wire names for proto enums, derived from the enum itself so every side maps them from one source."""

from __future__ import annotations

from typing import Any


def wire_names(enum: Any, *, prefix: str) -> dict[str, int]:
    """{'llm': MODEL_TYPE_LLM, …}: each value but UNSPECIFIED, named by its lower-cased suffix."""
    return {
        name[len(prefix) :].lower(): number
        for name, number in enum.items()
        if name.startswith(prefix) and not name.endswith("_UNSPECIFIED")
    }

"""App attribute rules shared by the domain modules: modes, kinds, length limits and id checks."""

from __future__ import annotations

import uuid
from enum import IntEnum

from services.kit.errors import InvalidArgument, NotFound

MODES = ("chat", "completion", "agent-chat", "advanced-chat", "workflow")
NAME_MAX = 255
DESCRIPTION_MAX = 400
ICON_MAX = 1024
ICON_BACKGROUND_MAX = 32
ICON_TYPES = ("emoji", "image", "link")
TOKEN_STRATEGIES = ("must", "allow", "not_allow")
# lbai mini programs.
MP_NAME_MAX = 64
MP_INTRODUCTION_MAX = 2_000
MP_INSTRUCTIONS_MAX = 10_000
MP_SETTING_MAX = 20_000
MAX_KNOWLEDGE_FILES = 50
FILE_ID_MAX = 64


class Kind(IntEnum):
    """Stored app kinds; the numbers match apps.v1.AppKind."""

    STANDARD = 1
    MINI_PROGRAM = 2
    PARTNER = 3
    NEXENT_AGENT = 4


class SessionType(IntEnum):
    """lbai session types; the numbers are lbai's own and match apps.v1.SessionType."""

    PARTNER = 1
    OFFICIAL_MINI_PROGRAM = 2
    CREATED_MINI_PROGRAM = 3
    SHARED_MINI_PROGRAM = 4


def app_not_found() -> NotFound:
    return NotFound("app not found", reason="app_not_found")


def session_not_found() -> NotFound:
    return NotFound("session not found", reason="session_not_found")


def parse_uuid(value: str, *, field: str) -> str:
    """The canonical form of a UUID id; anything else is bad input naming the field."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise InvalidArgument(f"{field} must be a UUID", field=field) from None


def known_uuid(value: str) -> str | None:
    """The canonical form of an id to look up, or None: a malformed id is one that does not exist."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def text(value: str, *, field: str, max_len: int, required: bool = False) -> str:
    """A trimmed string within max_len; required means it may not be empty."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidArgument(f"{field} is required", field=field)
    if len(cleaned) > max_len:
        raise InvalidArgument(f"{field} must be at most {max_len} characters", field=field)
    return cleaned


def mode(value: str) -> str:
    if value not in MODES:
        raise InvalidArgument(f"mode must be one of {', '.join(MODES)}", field="mode")
    return value


def icon_type(value: str) -> str:
    if value and value not in ICON_TYPES:
        raise InvalidArgument(f"icon_type must be one of {', '.join(ICON_TYPES)}", field="icon_type")
    return value or "emoji"


def file_ids(values: list[str], *, field: str) -> list[str]:
    """Mounted cloud-space file ids: at most MAX_KNOWLEDGE_FILES, each a non-empty short id; order kept, no repeats."""
    if len(values) > MAX_KNOWLEDGE_FILES:
        raise InvalidArgument(f"{field} must hold at most {MAX_KNOWLEDGE_FILES} file ids", field=field)
    out: list[str] = []
    for value in values:
        cleaned = value.strip()
        if not cleaned or len(cleaned) > FILE_ID_MAX:
            raise InvalidArgument(f"{field} holds an empty or over-long file id", field=field)
        if cleaned not in out:
            out.append(cleaned)
    return out

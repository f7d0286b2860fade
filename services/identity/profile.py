"""Which user fields a user may change, and how each is validated (NextConsole users/update)."""

from __future__ import annotations

from typing import Any

from services.kit.errors import InvalidArgument, PermissionDenied

# NextConsole field name -> (column, kind, max length or max value)
EDITABLE_FIELDS: dict[str, tuple[str, str, int]] = {
    "user_nick_name": ("nick_name", "str", 64),
    "user_name": ("name", "str", 64),
    "user_avatar": ("avatar", "str", 1024),
    "user_gender": ("gender", "str", 16),
    "user_age": ("age", "int", 150),
    "user_area": ("area", "str", 128),
    "user_position": ("position", "str", 128),
    "user_wx_avatar": ("wx_avatar", "str", 1024),
    "user_wx_nickname": ("wx_nickname", "str", 64),
}

LOCKED_FIELDS = frozenset(
    {
        "user_id",
        "user_account",
        "user_email",
        "user_phone",
        "user_role",
        "user_company",
        "user_company_id",
        "user_department",
        "user_department_id",
        "user_code",
        "user_status",
        "user_source",
        "user_invite_code",
        "user_expire_time",
        "user_resource_limit",
        "user_account_type",
        "user_point_account",
        "user_nick_name_py",
        "user_wx_openid",
        "user_wx_union_id",
        "create_time",
        "update_time",
        "last_login_time",
    }
)


def validate_profile_changes(fields: dict[str, Any]) -> dict[str, Any]:
    """Column changes for an update; a locked or unknown field refuses the whole update."""
    if not fields:
        raise InvalidArgument("no fields to update", field="body")
    locked = sorted(name for name in fields if name in LOCKED_FIELDS)
    if locked:
        raise PermissionDenied(
            f"field {locked[0]} is locked and cannot be updated", reason="field_locked", field=locked[0]
        )
    unknown = sorted(name for name in fields if name not in EDITABLE_FIELDS)
    if unknown:
        raise InvalidArgument(f"unknown field {unknown[0]}", reason="unknown_field", field=unknown[0])
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        column, kind, limit = EDITABLE_FIELDS[name]
        if kind == "int":
            # Struct carries numbers as floats; accept only whole values.
            if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
                raise InvalidArgument(f"{name} must be an integer", field=name)
            if not 0 <= int(value) <= limit:
                raise InvalidArgument(f"{name} must be between 0 and {limit}", field=name)
            changes[column] = int(value)
            continue
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must be a string", field=name)
        text = value.strip()
        if len(text) > limit:
            raise InvalidArgument(f"{name} must be at most {limit} characters", field=name)
        if name == "user_nick_name" and not text:
            raise InvalidArgument("user_nick_name must not be empty", field=name)
        changes[column] = text
    return changes

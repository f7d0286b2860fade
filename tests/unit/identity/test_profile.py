"""Which profile fields users/update accepts."""

from __future__ import annotations

import pytest

from services.identity.profile import validate_profile_changes
from services.kit.errors import InvalidArgument, PermissionDenied


def test_unlocked_fields_map_to_columns() -> None:
    changes = validate_profile_changes({"user_nick_name": " Ada ", "user_age": 36.0, "user_area": "Shanghai"})
    assert changes == {"nick_name": "Ada", "age": 36, "area": "Shanghai"}


@pytest.mark.parametrize(
    "locked", ["user_id", "user_account", "user_email", "user_phone", "user_role", "user_company_id"]
)
def test_locked_fields_refuse_the_whole_update(locked: str) -> None:
    with pytest.raises(PermissionDenied) as caught:
        validate_profile_changes({"user_nick_name": "x", locked: "1"})
    assert caught.value.field == locked
    assert "locked" in caught.value.message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_age": "old"}, "user_age"),
        ({"user_age": 12.5}, "user_age"),
        ({"user_age": 400}, "user_age"),
        ({"user_nick_name": 5}, "user_nick_name"),
        ({"user_nick_name": "x" * 65}, "user_nick_name"),
        ({"user_nick_name": "   "}, "user_nick_name"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({}, "body"),
    ],
)
def test_bad_values_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_profile_changes(body)
    assert caught.value.field == field

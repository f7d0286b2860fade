"""The wrong-password message: the caller's language when it names Chinese or English, both otherwise."""

from __future__ import annotations

import pytest

from gateway.sign_in_messages import localized, preferred_language
from services.kit.errors import NotFound, ResourceExhausted, Unauthenticated


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, None),
        ("", None),
        ("fr-FR,fr;q=0.9", None),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("fr;q=1, en;q=0.4, zh-TW;q=0.6", "zh"),
        ("zh;q=0, en", "en"),
        ("en;q=oops, zh", "zh"),
    ],
)
def test_preferred_language_honours_q_values(header: str | None, language: str | None) -> None:
    assert preferred_language(header) == language


def test_login_failures_follow_the_language_and_keep_their_reason() -> None:
    failed = Unauthenticated("账号或者密码错误!", reason="login_failed")
    assert localized(failed, "zh-CN").message == "账号或者密码错误!"
    assert localized(failed, "en").message == "Wrong account or password."
    both = localized(failed, None)
    assert both.message == "账号或者密码错误! Wrong account or password."
    assert isinstance(both, Unauthenticated) and both.reason == "login_failed"
    limited = ResourceExhausted("too many", reason="login_rate_limited", metadata={"retry_after_s": "9"})
    assert localized(limited, "en").metadata == {"retry_after_s": "9"}


def test_other_errors_keep_their_message() -> None:
    error = NotFound("app not found", reason="app_not_found")
    assert localized(error, "zh") is error

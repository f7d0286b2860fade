"""Sign-in failure messages in the caller's language (Accept-Language), or in Chinese and English together."""

from __future__ import annotations

from services.kit.errors import MeshError

# reason -> (Chinese, English). The Chinese text of login_failed is NextConsole's own (the seed's example).
MESSAGES: dict[str, tuple[str, str]] = {
    "login_failed": ("账号或者密码错误!", "Wrong account or password."),
    "login_rate_limited": ("登录失败次数过多,请稍后再试。", "Too many failed logins; try again later."),
}


def preferred_language(accept_language: str | None) -> str | None:
    """`zh` or `en`, whichever the header ranks higher (q-values honoured); None when it asks for neither."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in ("zh", "en"):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, language)
    return None if best is None else best[2]


def localized(error: MeshError, accept_language: str | None) -> MeshError:
    """The error with its sign-in message in the caller's language; other errors unchanged."""
    texts = MESSAGES.get(error.reason)
    if texts is None:
        return error
    language = preferred_language(accept_language)
    chinese, english = texts
    message = chinese if language == "zh" else english if language == "en" else f"{chinese} {english}"
    return type(error)(message, reason=error.reason, field=error.field, metadata=error.metadata)

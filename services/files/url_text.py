"""Text of an outside document (for retrieval's URL sources): fetched through the SSRF-safe fetcher, then parsed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from services.files.extract import EXTRACTABLE, TextExtractor
from services.files.fetcher import FetchFailed, SafeFetcher
from services.kit.errors import MeshError

_BY_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def url_format(content_type: str, url: str) -> str:
    """The document format from the served content type, else from the URL's suffix."""
    mime = content_type.split(";")[0].strip().lower()
    if mime in _BY_TYPE:
        return _BY_TYPE[mime]
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower().lstrip(".")
    return "html" if suffix in ("htm", "html") else suffix


async def extract_url(
    url: str, *, fetcher: SafeFetcher, extractor: TextExtractor, max_bytes: int, max_chars: int
) -> AsyncIterator[tuple[str, str, str, str]]:
    """("text", name, text, "") or ("error", name, reason, message); refusals and failures never raise."""
    name = PurePosixPath(urlsplit(url).path).name or urlsplit(url).hostname or url
    try:
        fetched = await fetcher.fetch(url, max_bytes=max_bytes)
        fmt = url_format(fetched.content_type, fetched.url)
        if fmt not in (*EXTRACTABLE, "html"):
            yield "error", name, "unsupported_format", f"cannot extract text from {fetched.content_type or fmt}"
            return
        text = await extractor.extract(
            io.BytesIO(fetched.data), fmt=fmt, name=name, content_type=fetched.content_type, max_chars=max_chars
        )
    except FetchFailed as error:
        yield "error", name, "fetch_failed", str(error)
        return
    except MeshError as error:
        yield "error", name, error.reason, error.message
        return
    yield "text", name, text, ""

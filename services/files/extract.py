"""Document text extraction: converter chains (converters.py) for pdf, docx, pptx, xlsx, csv; decoding for txt, md.

Parsing is CPU-bound, so it runs in a worker thread, a bounded number at a time, under a time limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import IO

import charset_normalizer
import structlog

from services.files.converters import Converter, Document, chains, convert
from services.kit.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, MeshError

log = structlog.get_logger(__name__)

MARKITDOWN_FORMATS = ("pdf", "docx", "pptx", "xlsx", "csv")
PLAIN_FORMATS = ("txt", "md")
EXTRACTABLE = MARKITDOWN_FORMATS + PLAIN_FORMATS
WEB_FORMATS = ("html",)  # fetched URLs only (retrieval's URL sources), never stored uploads


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM) when it is, else the most likely charset (GB18030 for Chinese files…)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(raw).best()
        return str(best) if best is not None else raw.decode("utf-8", errors="replace")


class TextExtractor:
    """Turns a stored document into text through its format's converters (one markitdown shared by the threads).

    converters replaces the chain of the formats it names (tests use it to put a failing converter first).
    """

    def __init__(
        self, *, timeout_s: float, concurrency: int = 1, converters: Mapping[str, Sequence[Converter]] | None = None
    ) -> None:
        self.timeout_s = timeout_s
        self._slots = asyncio.Semaphore(concurrency)
        self._chains = chains(converters)

    @staticmethod
    def supports(fmt: str) -> bool:
        return fmt in EXTRACTABLE or fmt in WEB_FORMATS

    def _convert(self, source: IO[bytes], fmt: str, name: str, content_type: str, max_chars: int) -> str:
        if fmt in PLAIN_FORMATS:
            # Four bytes per character at most in UTF-8: enough to fill max_chars.
            return decode_text(source.read(max_chars * 4 + 4))
        return convert(Document(source, fmt, name, content_type), self._chains[fmt])

    async def extract(self, source: IO[bytes], *, fmt: str, name: str, content_type: str, max_chars: int) -> str:
        """The document's text (may be longer than max_chars; the caller truncates)."""
        if not self.supports(fmt):
            raise InvalidArgument(f"cannot extract text from .{fmt or '?'} files", reason="unsupported_format")
        async with self._slots:
            worker = asyncio.ensure_future(asyncio.to_thread(self._convert, source, fmt, name, content_type, max_chars))
            try:
                async with asyncio.timeout(self.timeout_s):
                    return await asyncio.shield(worker)
            except TimeoutError:
                # The thread cannot be killed; it finishes in the background and its result is dropped.
                raise DeadlineExceeded(
                    f"parsing took longer than {self.timeout_s:g}s", reason="parse_timeout"
                ) from None
            except MeshError:
                raise
            except Exception as error:
                log.info("parse_failed", format=fmt, error=repr(error)[:300])
                raise FailedPrecondition(f"could not parse the {fmt} file", reason="parse_failed") from None

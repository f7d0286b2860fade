"""Converters per document format: markitdown first, then the format's own libraries, tried in turn."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import structlog

from services.kit.errors import FailedPrecondition

log = structlog.get_logger(__name__)

_GLYPH_CODE = re.compile(r"\(cid:\d+\)")  # what pdfminer writes for a glyph its font cannot map to a character
MAX_UNREADABLE_SHARE = 0.5
READABILITY_SAMPLE = 200_000
_LABELS = {
    "pdf": "the PDF",
    "docx": "the Word document",
    "pptx": "the PowerPoint deck",
    "xlsx": "the spreadsheet",
    "csv": "the CSV file",
    "html": "the web page",
}


@dataclass(frozen=True)
class Document:
    """What a converter reads: the stream (rewound before each converter) and what is known about it."""

    source: IO[bytes]
    fmt: str
    name: str
    content_type: str


@dataclass(frozen=True)
class Converter:
    """One way to turn a document into text; run raises when it cannot read the document."""

    name: str
    run: Callable[[Document], str]


class PasswordProtected(Exception):
    """The document is encrypted and cannot be opened without its password."""


class MarkItDownReader:
    """markitdown, one instance shared by the worker threads, created on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instance: Any = None

    def _markitdown(self) -> Any:
        with self._lock:
            if self._instance is None:
                from markitdown import MarkItDown

                self._instance = MarkItDown(enable_plugins=False)
            return self._instance

    def __call__(self, doc: Document) -> str:
        from markitdown import StreamInfo

        info = StreamInfo(extension=f".{doc.fmt}", mimetype=doc.content_type or None, filename=doc.name)
        result = self._markitdown().convert_stream(doc.source, stream_info=info)
        return str(result.text_content or "")


def mammoth_text(doc: Document) -> str:
    """The raw text of a DOCX as mammoth reads it (no style map, no HTML)."""
    import mammoth

    return str(mammoth.extract_raw_text(doc.source).value)


def python_docx_text(doc: Document) -> str:
    """Headers, then the body's paragraphs and tables in order, then footers, as python-docx reads them."""
    import docx

    document = docx.Document(doc.source)
    margins: tuple[list[str], list[str]] = ([], [])
    for section in document.sections:
        for where, parts in ((margins[0], _headers(section)), (margins[1], _footers(section))):
            for part in parts:
                if not part.is_linked_to_previous:
                    where.extend(_blocks(part.iter_inner_content()))
    headers, footers = (list(dict.fromkeys(m)) for m in margins)  # sections often repeat the same header
    body = list(_blocks(document.iter_inner_content()))
    return "\n\n".join(t for t in (*headers, *body, *footers) if t.strip())


def _headers(section: Any) -> tuple[Any, ...]:
    return section.first_page_header, section.header, section.even_page_header


def _footers(section: Any) -> tuple[Any, ...]:
    return section.first_page_footer, section.footer, section.even_page_footer


def _blocks(items: Iterator[Any]) -> Iterator[str]:
    """Paragraph texts, and tables as one " | "-separated line per row (nested tables after their cell)."""
    from docx.table import Table

    for item in items:
        if not isinstance(item, Table):
            yield item.text
            continue
        for row in item.rows:
            cells, seen = [], set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a merged cell is listed once per grid column it spans
                    continue
                seen.add(id(cell._tc))
                cells.append(" ".join(t for t in _blocks(cell.iter_inner_content()) if t.strip()))
            yield " | ".join(cells)


def pdfminer_text(doc: Document) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError

    try:
        return extract_text(doc.source)  # type: ignore[arg-type]  # a TemporaryFile or BytesIO: an IOBase
    except PDFEncryptionError as error:
        raise PasswordProtected(repr(error)) from error


def pypdf_text(doc: Document) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(doc.source)
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except FileNotDecryptedError as error:
        raise PasswordProtected(repr(error)) from error


def default_converters() -> dict[str, tuple[Converter, ...]]:
    """The chain for each format markitdown reads; the format's own libraries follow it where there are some."""
    markitdown = Converter("markitdown", MarkItDownReader())
    return {
        "pdf": (markitdown, Converter("pdfminer", pdfminer_text), Converter("pypdf", pypdf_text)),
        "docx": (markitdown, Converter("mammoth", mammoth_text), Converter("python-docx", python_docx_text)),
        "pptx": (markitdown,),
        "xlsx": (markitdown,),
        "csv": (markitdown,),
        "html": (markitdown,),
    }


def readable(text: str) -> bool:
    """Whether text reads as words: not empty, and not mostly control characters, U+FFFD or unmapped glyph codes."""
    sample = _GLYPH_CODE.sub("\ufffd", text[:READABILITY_SAMPLE])
    chars = [c for c in sample if not c.isspace()]
    unreadable = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c)[0] == "C")
    return bool(chars) and unreadable <= len(chars) * MAX_UNREADABLE_SHARE


def convert(doc: Document, chain: Sequence[Converter]) -> str:
    """The first readable text a converter of the chain gives; a clear FailedPrecondition when none does."""
    failed: list[str] = []
    empty = unreadable = locked = False
    for converter in chain:
        doc.source.seek(0)
        try:
            text = converter.run(doc)
        except PasswordProtected as error:
            locked = True
            log.info("converter_failed", converter=converter.name, format=doc.fmt, error=str(error)[:300])
            failed.append(converter.name)
            continue
        except Exception as error:
            log.info("converter_failed", converter=converter.name, format=doc.fmt, error=repr(error)[:300])
            failed.append(converter.name)
            continue
        if readable(text):
            if failed or empty or unreadable:
                log.info("converter_fallback", converter=converter.name, format=doc.fmt, failed=failed)
            return text
        if text.strip():
            unreadable = True
        else:
            empty = True
        log.info("converter_no_text", converter=converter.name, format=doc.fmt, chars=len(text))
    raise _no_text(doc.fmt, locked=locked, unreadable=unreadable, empty=empty)


def _no_text(fmt: str, *, locked: bool, unreadable: bool, empty: bool) -> FailedPrecondition:
    what = _LABELS.get(fmt, f"the {fmt} file")
    if locked:
        return FailedPrecondition(
            f"{what} is password-protected; upload a copy without the password", reason="parse_failed"
        )
    if unreadable:
        return FailedPrecondition(
            f"no readable text could be read from {what}: its characters do not decode (fonts without a character "
            "map, or a damaged file)",
            reason="no_text",
        )
    if empty:
        scan = " (a scanned PDF needs OCR, which is not supported)" if fmt == "pdf" else ""
        return FailedPrecondition(f"{what} contains no text{scan}", reason="no_text")
    return FailedPrecondition(
        f"{what} is damaged or truncated and no text could be read from it", reason="parse_failed"
    )


def chains(overrides: Mapping[str, Sequence[Converter]] | None) -> dict[str, tuple[Converter, ...]]:
    """The default chains with the given formats' chains replaced."""
    return {**default_converters(), **{fmt: tuple(chain) for fmt, chain in (overrides or {}).items()}}

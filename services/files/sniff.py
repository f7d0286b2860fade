"""Content types sniffed from the first bytes (filetype), never taken from the client; names and folders."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import filetype

from services.kit.errors import InvalidArgument

SNIFF_BYTES = 8192

FILE_FORMATS = ("pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "csv", "wps", "txt", "md")
IMAGE_FORMATS = ("jpg", "jpeg", "png", "gif", "webp", "bmp")
VOICE_FORMATS = ("mp3", "wav", "m4a")

_OOXML = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OLE = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT = {"csv": "text/csv", "md": "text/markdown", "markdown": "text/markdown", "txt": "text/plain"}
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}
_VOICE_TYPES = {"audio/mpeg": "mp3", "audio/x-wav": "wav", "audio/wav": "wav", "audio/mp4": "m4a"}
_FOLDER = re.compile(r"^[A-Za-z0-9_\-.]+(/[A-Za-z0-9_\-.]+)*$")


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are: a MIME type and the lower-case format (extension) that goes with it."""

    content_type: str
    format: str

    @property
    def is_image(self) -> bool:
        return self.content_type in _IMAGE_TYPES

    @property
    def voice_format(self) -> str | None:
        return _VOICE_TYPES.get(self.content_type)


def extension(name: str) -> str:
    """The lower-case extension of a file name, without the dot."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem and len(ext) <= 10 else ""


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is still text.
            if encoding == "utf-8" and error.start >= len(head) - 3 and error.reason == "unexpected end of data":
                return True
    return False


def sniff(head: bytes, *, name: str) -> Sniffed:
    """Classify by magic bytes; the name only picks between formats the bytes cannot tell apart."""
    ext = extension(name)
    guess = filetype.guess(head) if head else None
    if guess is not None:
        mime, fmt = guess.mime, guess.extension
        if fmt == "zip" and ext in _OOXML:
            return Sniffed(_OOXML[ext], ext)
        if fmt in ("jpg", "jpeg"):
            return Sniffed("image/jpeg", "jpg")
        return Sniffed(mime, fmt)
    if head.startswith(_OLE_MAGIC):
        if ext in _OLE:
            return Sniffed(_OLE[ext], ext)
        if ext == "wps":
            return Sniffed("application/vnd.ms-works", "wps")
        return Sniffed("application/x-ole-storage", "ole")
    if _looks_like_text(head):
        fmt = ext if ext in _TEXT else "txt"
        return Sniffed(_TEXT[fmt], "md" if fmt == "markdown" else fmt)
    return Sniffed("application/octet-stream", "bin")


def display_name(raw: str) -> str:
    """The client's file name reduced to something safe to display: no directories, no control characters."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    return cleaned[:200] or "file"


def check_folder(raw: str) -> str:
    """A Nexent folder: simple path segments, no "." or ".." segments; "" = "attachments"."""
    folder = raw.strip().strip("/") or "attachments"
    if len(folder) > 128 or not _FOLDER.match(folder) or any(p in (".", "..") for p in folder.split("/")):
        raise InvalidArgument("folder may only hold letters, digits, _ - . and /", field="folder")
    return folder

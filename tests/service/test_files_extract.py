"""ExtractText: real documents (pdf, docx, pptx, xlsx, csv, txt, md) parsed to text, streamed with progress."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pptx
from meshconsole.files.v1 import files_pb2

from tests.service.files_support import ALICE, BOB, FilesEnv, files_fixture, md, put  # noqa: F401

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


def make_pdf(text: str) -> bytes:
    """A one-page PDF with correct xref offsets, written by hand."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_from_objects(objects)


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF of these numbered objects (1 is the catalog) with correct xref offsets."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_docx(text: str) -> bytes:
    """A minimal WordprocessingML package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>',
        )
    return buffer.getvalue()


def make_pptx(text: str) -> bytes:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = text
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def make_xlsx(cell: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "value"])
    sheet.append([cell, 42])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _extract(env: FilesEnv, ids: list[str], **kwargs: Any) -> list[files_pb2.ExtractTextEvent]:
    request = files_pb2.ExtractTextRequest(object_ids=ids, **kwargs)
    return [event async for event in env.stub.ExtractText(request, metadata=md(ALICE))]


def _texts(events: list[files_pb2.ExtractTextEvent]) -> dict[str, str]:
    out: dict[str, str] = {}
    for event in events:
        if event.WhichOneof("event") == "text":
            out[event.text.object_id] = out.get(event.text.object_id, "") + event.text.text
    return out


async def test_each_supported_format_yields_its_text(files: FilesEnv) -> None:
    samples = {
        "report.pdf": make_pdf("Quarterly revenue grew"),
        "letter.docx": make_docx("Dear shareholders"),
        "deck.pptx": make_pptx("Roadmap slide"),
        "sheet.xlsx": make_xlsx("widgets"),
        "table.csv": b"city,population\nShenzhen,17000000\n",
        "notes.txt": "会议纪要：预算通过".encode("gb18030"),
        "readme.md": b"# Heading\n\nSome *markdown* text",
    }
    infos = {name: await put(files, ALICE, data, name=name) for name, data in samples.items()}
    assert infos["letter.docx"].format == "docx" and infos["sheet.xlsx"].format == "xlsx"
    events = await _extract(files, [i.id for i in infos.values()])
    texts = _texts(events)
    expected = {
        "report.pdf": "Quarterly revenue grew",
        "letter.docx": "Dear shareholders",
        "deck.pptx": "Roadmap slide",
        "sheet.xlsx": "widgets",
        "table.csv": "Shenzhen",
        "notes.txt": "会议纪要：预算通过",
        "readme.md": "# Heading",
    }
    for name, needle in expected.items():
        assert needle in texts[infos[name].id], (name, texts.get(infos[name].id))
    assert not [e for e in events if e.WhichOneof("event") == "error"]
    progress = [e.progress for e in events if e.WhichOneof("event") == "progress"]
    assert [p.stage for p in progress[:3]] == ["reading", "parsing", "done"]
    assert progress[-1].percent == 100 and [p.percent for p in progress] == sorted(p.percent for p in progress)


async def test_failures_are_per_object_and_the_stream_goes_on(files: FilesEnv) -> None:
    image = await put(files, ALICE, PNG, name="photo.png")
    theirs = await put(files, BOB, b"bob's notes", name="bob.txt")
    good = await put(files, ALICE, b"plain words " * 50, name="ok.txt")
    events = await _extract(files, [image.id, theirs.id, "../../etc/passwd", good.id], max_chars=100)
    errors = {e.error.object_id: e.error.reason for e in events if e.WhichOneof("event") == "error"}
    assert errors[image.id] == "unsupported_format"
    assert errors[theirs.id] == "file_not_found" and errors["../../etc/passwd"] == "file_not_found"
    texts = [e.text for e in events if e.WhichOneof("event") == "text"]
    assert len(texts[-1].text) == 100 and texts[-1].truncated and texts[-1].object_id == good.id

"""Extraction of documents from real generators (python-docx, reportlab, LibreOffice), fallbacks and broken files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import docx
import pypdf
import pytest
import pytest_asyncio
from meshconsole.files.v1 import files_pb2
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from structlog.testing import capture_logs

from services.files.converters import (
    Converter,
    Document,
    MarkItDownReader,
    mammoth_text,
    pdfminer_text,
    pypdf_text,
    python_docx_text,
)
from services.files.extract import TextExtractor
from services.kit.errors import FailedPrecondition
from services.kit.testing.servers import NatsServer
from tests.service.files_support import ALICE, FilesEnv, md, put, start_files, stop_files
from tests.service.test_files_extract import pdf_from_objects

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HARBOUR = ("Harbour report", "forty-two container ships", "港口三月份处理了四十二艘集装箱船", "Soybeans", "1200")
DAMAGED_PDF = "the PDF is damaged or truncated and no text could be read from it"
DAMAGED_DOCX = "the Word document is damaged or truncated and no text could be read from it"


def reportlab_pdf(*lines: str, pages: int = 1) -> bytes:
    """A PDF drawn by reportlab: ASCII lines in Helvetica, lines with CJK in the built-in STSong-Light CID font."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    for _ in range(pages):
        for row, line in enumerate(lines):
            sheet.setFont("Helvetica" if line.isascii() else "STSong-Light", 14)
            sheet.drawString(72, 720 - 24 * row, line)
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def python_docx(*paragraphs: str, table: list[list[str]] | None = None, header: str = "") -> bytes:
    """A .docx written by python-docx: paragraphs, then an optional table, with an optional page header."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    if header:
        document.sections[0].header.paragraphs[0].text = header
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The same package with some parts replaced or added."""
    parts = dict(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, parts.pop(name, None) or source.read(name))
        for name, body in parts.items():
            target.writestr(name, body)
    return out.getvalue()


def half(data: bytes) -> bytes:
    """The first half of a file, as an interrupted upload or copy leaves it."""
    return data[: len(data) // 2]


def garbled_pdf() -> bytes:
    """A PDF whose only font has no character map: every converter reads glyph codes, never letters."""
    codes = "".join(f"{c:04x}" for c in range(3, 40))
    stream = f"BT /F1 18 Tf 72 720 Td <{codes}> Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
        b">> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Garbled /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Garbled /CIDSystemInfo << /Registry (Adobe) /Ordering "
        b"(Identity) /Supplement 0 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /Garbled /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 "
        b"/Descent -200 /CapHeight 700 /StemV 80 >>",
    ]
    return pdf_from_objects(objects)


async def extract(data: bytes, fmt: str, extractor: TextExtractor | None = None) -> str:
    extractor = extractor or TextExtractor(timeout_s=60)
    return await extractor.extract(io.BytesIO(data), fmt=fmt, name=f"doc.{fmt}", content_type="", max_chars=100_000)


async def refusal(data: bytes, fmt: str) -> FailedPrecondition:
    with pytest.raises(FailedPrecondition) as caught:
        await extract(data, fmt)
    return caught.value


# ---- documents from several generators ----


async def test_python_docx_documents_plain_with_a_table_a_header_and_chinese() -> None:
    plain = await extract(python_docx("Dear shareholders, revenue grew."), "docx")
    assert "Dear shareholders, revenue grew." in plain
    tabled = await extract(python_docx("Inventory", table=[["Item", "Count"], ["widgets", "42"]]), "docx")
    assert "Inventory" in tabled and "widgets" in tabled and "42" in tabled
    headed = await extract(python_docx("Body under a header", header="Confidential draft"), "docx")
    assert "Body under a header" in headed
    chinese = await extract(python_docx("会议纪要：预算通过", table=[["城市", "人口"], ["深圳", "1700万"]]), "docx")
    assert "会议纪要：预算通过" in chinese and "深圳" in chinese and "1700万" in chinese


async def test_python_docx_converter_reads_headers_tables_and_chinese_in_order() -> None:
    only = TextExtractor(timeout_s=60, converters={"docx": [Converter("python-docx", python_docx_text)]})
    data = python_docx("港口报告", "Second paragraph", table=[["Cargo", "Tonnes"], ["大豆", "1200"]], header="内部备忘")
    text = await extract(data, "docx", only)
    assert text.split("\n\n") == ["内部备忘", "港口报告", "Second paragraph", "Cargo | Tonnes", "大豆 | 1200"]


async def test_reportlab_pdfs_in_english_and_chinese() -> None:
    text = await extract(reportlab_pdf("Quarterly revenue grew", "会议纪要：预算通过", pages=2), "pdf")
    assert text.count("Quarterly revenue grew") == 2 and text.count("会议纪要：预算通过") == 2


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
async def test_libreoffice_documents(fmt: str) -> None:
    # Written by LibreOffice from harbour-report.fodt (make_fixtures.sh); CI reads the committed files.
    text = await extract((DOCUMENTS / f"libreoffice-harbour-report.{fmt}").read_bytes(), fmt)
    for needle in HARBOUR:
        assert needle in text, (fmt, needle, text)
    if fmt == "pdf":  # the page header is drawn on the page
        assert "Port authority internal memo" in text


# ---- the next converter when one fails ----


async def test_a_docx_markitdown_cannot_read_is_read_by_mammoth() -> None:
    # A damaged embedded style map: markitdown reads it (and fails on it), mammoth's raw text never does.
    data = rezip(python_docx("Body survives 正文保留"), {"mammoth/style-map": b"\xff\xfe p => h1 \x80"})
    markitdown_only = TextExtractor(timeout_s=60, converters={"docx": [Converter("markitdown", MarkItDownReader())]})
    with pytest.raises(FailedPrecondition):
        await extract(data, "docx", markitdown_only)
    with capture_logs() as logs:
        text = await extract(data, "docx")
    assert "Body survives 正文保留" in text
    failed = [e for e in logs if e["event"] == "converter_failed"]
    assert [e["converter"] for e in failed] == ["markitdown"] and "UnicodeDecodeError" in failed[0]["error"]
    assert {
        "event": "converter_fallback",
        "converter": "mammoth",
        "format": "docx",
        "failed": ["markitdown"],
        "log_level": "info",
    } in logs


async def test_a_gb18030_docx_falls_through_to_python_docx() -> None:
    # XML in a multi-byte legacy encoding: expat (markitdown, mammoth) refuses it, lxml (python-docx) reads it.
    xml = (
        '<?xml version="1.0" encoding="GB18030"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
        'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>国标编码的文档 GB text</w:t></w:r></w:p></w:body>'
        "</w:document>"
    ).encode("gb18030")
    with capture_logs() as logs:
        text = await extract(rezip(python_docx("placeholder"), {"word/document.xml": xml}), "docx")
    assert text == "国标编码的文档 GB text"
    assert [e["converter"] for e in logs if e["event"] == "converter_failed"] == ["markitdown", "mammoth"]


def _broken(doc: Document) -> str:
    raise ValueError("Could not find the body element: are you sure this is a docx file?")


@pytest.mark.parametrize(
    ("fmt", "data", "chain"),
    [
        ("docx", python_docx("Fallback paragraph 备用", table=[["k", "v"]]), [mammoth_text, python_docx_text]),
        ("pdf", reportlab_pdf("Fallback page", "备用页面"), [pdfminer_text, pypdf_text]),
    ],
)
async def test_when_the_first_converter_raises_the_next_one_gives_the_text(
    fmt: str, data: bytes, chain: list[Callable[[Document], str]]
) -> None:
    for second in chain:  # each library of the chain can stand in on its own
        converters = [Converter("first", _broken), Converter(second.__name__, second)]
        text = await extract(data, fmt, TextExtractor(timeout_s=60, converters={fmt: converters}))
        assert "Fallback" in text and "备用" in text, (second.__name__, text)


async def test_empty_or_garbage_from_one_converter_moves_on_to_the_next() -> None:
    converters = [
        Converter("empty", lambda d: "  \n"),
        Converter("noise", lambda d: "\x03\x04\ufffd" * 50),
        Converter("mammoth", mammoth_text),
    ]
    extractor = TextExtractor(timeout_s=60, converters={"docx": converters})
    text = await extract(python_docx("Third time lucky"), "docx", extractor)
    assert text.strip() == "Third time lucky"


# ---- broken documents fail with a reason a person understands ----


@pytest.mark.parametrize(
    ("name", "data", "fmt", "message"),
    [
        ("truncated reportlab pdf", half(reportlab_pdf("Quarterly revenue grew")), "pdf", DAMAGED_PDF),
        (
            "truncated libreoffice pdf",
            half((DOCUMENTS / "libreoffice-harbour-report.pdf").read_bytes()),
            "pdf",
            DAMAGED_PDF,
        ),
        ("pdf header then noise", b"%PDF-1.7\n" + bytes(range(256)) * 40, "pdf", DAMAGED_PDF),
        ("truncated python-docx docx", half(python_docx("Dear shareholders")), "docx", DAMAGED_DOCX),
        ("docx that is no zip", b"PK\x03\x04" + bytes(range(256)) * 40, "docx", DAMAGED_DOCX),
        (
            "docx without a body",
            rezip(python_docx("x"), {"word/document.xml": b"<?xml version='1.0'?><nothing/>"}),
            "docx",
            DAMAGED_DOCX,
        ),
    ],
)
async def test_broken_documents_fail_with_a_clear_reason(name: str, data: bytes, fmt: str, message: str) -> None:
    error = await refusal(data, fmt)
    assert (error.message, error.reason) == (message, "parse_failed"), name


async def test_a_pdf_of_undecodable_glyphs_is_refused_not_indexed_as_garbage() -> None:
    error = await refusal(garbled_pdf(), "pdf")
    assert error.reason == "no_text" and error.message.startswith("no readable text could be read from the PDF")


async def test_a_pdf_without_any_text_says_so() -> None:
    blank = io.BytesIO()
    canvas.Canvas(blank).save()  # one empty page, as a scan without OCR has no text either
    error = await refusal(blank.getvalue(), "pdf")
    assert error.message == "the PDF contains no text (a scanned PDF needs OCR, which is not supported)"


async def test_a_password_protected_pdf_says_so() -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(reportlab_pdf("Secret plans"))))
    writer.encrypt(user_password="open-sesame", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    error = await refusal(buffer.getvalue(), "pdf")
    assert error.message == "the PDF is password-protected; upload a copy without the password"


@pytest_asyncio.fixture(loop_scope="session", name="files")
async def files_fixture(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[FilesEnv]:
    env = await start_files(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    try:
        yield env
    finally:
        await stop_files(env)


async def test_extract_text_reports_the_broken_file_and_reads_the_good_ones(files: FilesEnv) -> None:
    broken = await put(files, ALICE, half(reportlab_pdf("Quarterly revenue grew")), name="cut.pdf")
    good = await put(files, ALICE, (DOCUMENTS / "libreoffice-harbour-report.docx").read_bytes(), name="report.docx")
    assert broken.format == "pdf" and good.format == "docx" and good.content_type == DOCX_TYPE
    request = files_pb2.ExtractTextRequest(object_ids=[broken.id, good.id])
    events = [e async for e in files.stub.ExtractText(request, metadata=md(ALICE))]
    errors = [e.error for e in events if e.WhichOneof("event") == "error"]
    assert [(e.object_id, e.filename, e.reason, e.message) for e in errors] == [
        (broken.id, "cut.pdf", "parse_failed", DAMAGED_PDF)
    ]
    texts = "".join(e.text.text for e in events if e.WhichOneof("event") == "text" and e.text.object_id == good.id)
    assert "港口三月份处理了四十二艘集装箱船" in texts

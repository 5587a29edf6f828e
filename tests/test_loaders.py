"""Loaders: text with locations out of each format, and specific reasons for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core import loaders
from assistant.core.errors import LoaderError
from tests.helpers import make_docx, make_pdf


def full_text(doc) -> str:
    """Rebuild the document text from sections so offsets can be checked."""
    size = max((s.offset + len(s.text) for s in doc.sections), default=0)
    buf = [" "] * size
    for s in doc.sections:
        buf[s.offset : s.offset + len(s.text)] = list(s.text)
    return "".join(buf)


def test_pdf_text_per_page(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "r.pdf", ["alpha page", "beta page", "gamma page"], title="Report")
    doc = loaders.load(pdf)
    assert [s.page for s in doc.sections] == [1, 2, 3]
    assert "gamma" in doc.sections[2].text
    assert doc.title == "Report"
    # offsets don't overlap and increase
    pairs = zip(doc.sections, doc.sections[1:], strict=False)
    assert all(a.offset + len(a.text) < b.offset for a, b in pairs)


def test_encrypted_pdf_has_specific_reason(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "secret.pdf", ["classified"], user_password="pw")
    with pytest.raises(LoaderError) as err:
        loaders.load(pdf)
    assert err.value.reason == "encrypted"


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "restricted.pdf", ["printing restricted text"], user_password="")
    doc = loaders.load(pdf)
    assert "restricted" in doc.sections[0].text


def test_scanned_pdf_needs_ocr(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(LoaderError) as err:
        loaders.load(pdf)
    assert err.value.reason == "no-text-layer"


def test_corrupt_pdf(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n this is not really a pdf \x00\x01\x02")
    with pytest.raises(LoaderError) as err:
        loaders.load(bad)
    assert err.value.reason == "corrupt"


def test_truncated_pdf_is_corrupt_or_partial(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "g.pdf", ["first page text", "second page text"])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    try:
        loaders.load(cut)
    except LoaderError as exc:
        assert exc.reason in {"corrupt", "no-text-layer"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    text = "Café crème, naïve façade — résumé.\nZweite Zeile: Grüße aus Köln.\n"
    if encoding in ("latin-1",):
        text = text.replace("—", "-")
    f = tmp_path / "notes.txt"
    f.write_bytes(text.encode(encoding))
    doc = loaders.load(f)
    assert "Grüße aus Köln" in doc.sections[0].text


def test_binary_file_is_not_text(tmp_path: Path) -> None:
    f = tmp_path / "data.txt"
    f.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(LoaderError) as err:
        loaders.load(f)
    assert err.value.reason == "not-text"


def test_markdown_heading_paths_and_offsets(tmp_path: Path) -> None:
    md = ("# Guide\n\nIntro text.\n\n## Setup\n\n### Linux\n\nUse apt.\n\n"
          "```\n# not a heading\n```\n\n## Usage\n\nRun it.\n")
    f = tmp_path / "guide.md"
    f.write_text(md)
    doc = loaders.load(f)
    headings = [s.heading for s in doc.sections]
    assert headings == ["Guide", "Guide > Setup > Linux", "Guide > Usage"]
    for s in doc.sections:
        assert md[s.offset : s.offset + len(s.text)] == s.text
    assert "# not a heading" in doc.sections[1].text


def test_setext_headings(tmp_path: Path) -> None:
    f = tmp_path / "s.md"
    f.write_text("Title\n=====\n\nBody one.\n\nPart\n----\n\nBody two.\n")
    doc = loaders.load(f)
    assert [s.heading for s in doc.sections] == ["Title", "Title > Part"]


def test_html_visible_text_only(tmp_path: Path) -> None:
    f = tmp_path / "page.html"
    f.write_text(
        "<html><head><title>T</title><style>.x{color:red}</style>"
        "<script>var secret = 1;</script></head><body><h1>Main</h1><p>Hello &amp; welcome.</p>"
        "<h2>Sub</h2><p>Details here.</p><noscript>enable js</noscript></body></html>"
    )
    doc = loaders.load(f)
    text = " ".join(s.text for s in doc.sections)
    assert "Hello & welcome." in text and "Details here." in text
    assert "secret" not in text and "color" not in text and "enable js" not in text
    assert [s.heading for s in doc.sections] == ["Main", "Main > Sub"]
    assert doc.title == "T"


def test_docx_headings(tmp_path: Path) -> None:
    f = make_docx(tmp_path / "memo.docx", [("h1", "Memo"), ("p", "Opening words."),
                                            ("h2", "Budget"), ("p", "We spend 40 euros.")])
    doc = loaders.load(f)
    assert doc.sections[-1].heading == "Memo > Budget"
    assert "40 euros" in doc.sections[-1].text
    text = full_text(doc)
    for s in doc.sections:
        assert text[s.offset : s.offset + len(s.text)] == s.text


def test_corrupt_docx(tmp_path: Path) -> None:
    f = tmp_path / "bad.docx"
    f.write_bytes(b"PK\x03\x04 not a zip really")
    with pytest.raises(LoaderError) as err:
        loaders.load(f)
    assert err.value.reason == "corrupt"


def test_unsupported_type(tmp_path: Path) -> None:
    f = tmp_path / "photo.jpg"
    f.write_bytes(b"\xff\xd8\xff")
    with pytest.raises(LoaderError) as err:
        loaders.load(f)
    assert err.value.reason == "unsupported-type"


def test_source_code_is_text(tmp_path: Path) -> None:
    f = tmp_path / "main.py"
    f.write_text("def hello():\n    return 'world'\n")
    assert "return 'world'" in loaders.load(f).sections[0].text


def test_empty_file_has_no_sections(tmp_path: Path) -> None:
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    assert loaders.load(f).sections == []

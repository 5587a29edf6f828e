"""Turn files into text with locations: a page for PDFs, a heading path where there is one.

Each loader returns a :class:`Document` whose sections carry their character offset in the
document's whole extracted text, so a chunk's ``start``/``end`` point back into it.
Unreadable files raise :class:`LoaderError` with a specific reason.

Every loader runs in time linear in its input: a file of a few hundred kB must not use up the
parse time limit. Regular expressions here never retry a run of characters from each of its
positions (a heading-like line of 40 kB took 3.7 s, 100 kB 54 s), and offsets are counted as
the text is made, never by measuring it again from the start (144 kB of HTML headings: 4.6 s).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from assistant.core.errors import LoaderError, read_error
from assistant.core.types import Document, Section

PAGE_SEPARATOR = "\n\n"
# A line longer than this is machine output (a minified bundle, a log or a data dump written
# without line breaks), not something a person reads: it is left out, the rest is indexed.
MAX_LINE_CHARS = 200_000
# A heading is a few words: a longer one (a line that only looks like a heading) is cut, since
# every section under it carries its whole heading path, and every chunk of those sections
# embeds it (40 kB above 10,000 subheadings would be 400 MB of heading paths).
MAX_HEADING_CHARS = 200

TEXT_EXTENSIONS = {
    ".txt", ".text", ".log", ".rst", ".csv", ".tsv", ".json", ".yaml", ".yml", ".toml",
    ".ini", ".cfg", ".conf", ".xml", ".tex", ".org", ".adoc",
    ".py", ".pyi", ".js", ".jsx", ".ts", ".tsx", ".java", ".kt", ".scala", ".c", ".h",
    ".cc", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".swift", ".m", ".r",
    ".jl", ".lua", ".pl", ".sh", ".bash", ".zsh", ".ps1", ".sql", ".css", ".scss",
    ".vue", ".svelte", ".ipynb",
}
MARKDOWN_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}


def title_for(path: Path) -> str:
    """A readable title from a file name: ``climate_report-2024.pdf`` -> ``climate report 2024``."""
    # Undecodable bytes in a file name (surrogate escapes) become U+FFFD, never reach a tokenizer
    stem = path.stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(r"[_\-.]+", " ", stem).strip()


def heading_title(text: str) -> str:
    """A heading's text as it goes into heading paths: white space collapsed, at most
    MAX_HEADING_CHARS characters (cut at a word where there is one, and marked with "…")."""
    title = " ".join(text.split())
    if len(title) <= MAX_HEADING_CHARS:
        return title
    cut = title.rfind(" ", MAX_HEADING_CHARS // 2, MAX_HEADING_CHARS)
    return title[: cut if cut > 0 else MAX_HEADING_CHARS - 1].rstrip() + "…"


def _single(path: Path, text: str) -> Document:
    return Document(str(path), title_for(path), [Section(text, 0)] if text.strip() else [])


# Plain text ------------------------------------------------------------------------


def decode_text(data: bytes, path: Path) -> str:
    """Decode bytes as text: UTF-8 (with or without BOM) first, then detect the encoding."""
    if not data:
        return ""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # UTF-16 files carry NULs legitimately; their BOM says so.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    sample = data[:8192]
    if b"\x00" in sample:
        raise LoaderError("not-text", f"{path.name} looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoaderError("not-text", f"{path.name} is not valid text in any known encoding")
    return str(best)


def load_text(path: Path, data: bytes) -> Document:
    return _single(path, decode_text(data, path).replace("\r\n", "\n"))


# Markdown --------------------------------------------------------------------------

_ATX_OPENING = re.compile(r" {0,3}(#{1,6})[ \t]")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def atx_heading(line: str) -> tuple[int, str] | None:
    """``(level, title)`` of an ATX heading line (``## Title ##``), or None.

    What ``^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$`` matched, without its cost: on a line with a
    long run of blanks or hashes followed by something else, that expression tried the run
    again from each of its characters (a 100 kB line: 54 s)."""
    m = _ATX_OPENING.match(line)
    if m is None:
        return None
    rest = line[m.end(1):]  # begins with a blank
    words = rest.lstrip(" \t")
    if words:
        title = words.rstrip(" \t#") or words[0]  # "# ##" is a heading titled "#"
    elif len(rest) > 1:
        title = ""
    else:
        return None
    return len(m.group(1)), title.strip()


def split_markdown(text: str) -> list[tuple[int, int, str]]:
    """Split Markdown into ``(start, end, heading_path)`` spans at ATX and setext headings."""
    spans: list[tuple[int, int, str]] = []
    stack: list[tuple[int, str]] = []
    start, pos, in_fence = 0, 0, False
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        stripped = line.rstrip("\r\n")
        if _FENCE.match(stripped):
            in_fence = not in_fence
        level, title, head_start = 0, "", pos
        if not in_fence:
            atx = atx_heading(stripped)
            if atx:
                level, title = atx[0], heading_title(atx[1])
            elif (
                i + 1 < len(lines)
                and stripped.strip()
                and _SETEXT.match(lines[i + 1].rstrip("\r\n"))
            ):
                level = 1 if lines[i + 1].lstrip().startswith("=") else 2
                title = heading_title(stripped)
        if level:
            if head_start > start:
                spans.append((start, head_start, " > ".join(t for _, t in stack)))
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
            start = head_start
        pos += len(line)
    if len(text) > start:
        spans.append((start, len(text), " > ".join(t for _, t in stack)))
    return _merge_bare_headings(text, spans)


Span = tuple[int, int, str]


def _merge_bare_headings(text: str, spans: list[Span]) -> list[Span]:
    """A heading with no text of its own before the next heading joins the next section."""
    merged: list[tuple[int, int, str]] = []
    carry: int | None = None
    for i, (s, e, heading) in enumerate(spans):
        if carry is not None:
            s, carry = carry, None
        body = text[s:e].strip().split("\n")[1:]
        if i + 1 < len(spans) and not "".join(body).strip() and heading:
            carry = s
            continue
        merged.append((s, e, heading))
    return merged


def load_markdown(path: Path, data: bytes) -> Document:
    text = decode_text(data, path).replace("\r\n", "\n")
    sections = [
        Section(text[s:e], s, None, heading)
        for s, e, heading in split_markdown(text)
        if text[s:e].strip()
    ]
    return Document(str(path), title_for(path), sections)


# HTML ------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "dd", "dt", "hr",
    "main", "nav", "aside", "figure", "figcaption", "td", "th",
}
_HIDDEN_TAGS = {"script", "style", "head", "noscript", "template", "svg", "title"}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


class _VisibleText(HTMLParser):
    """Collects visible text, starting a new section at every h1-h6."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0  # of the text in parts, kept as it grows (never summed again)
        self.hidden = 0
        self.heading_level = 0
        self.heading_text: list[str] = []
        self._heading_start = 0
        self.stack: list[tuple[int, str]] = []
        self.breaks: list[tuple[int, str]] = []  # (offset, heading path) where sections begin
        self.title_parts: list[str] = []
        self._in_title = False

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
            return
        if tag in _BLOCK_TAGS:
            self._add("\n")
        if tag in _HEADING_TAGS and not self.hidden:
            self.heading_level = int(tag[1])
            self.heading_text = []
            self._heading_start = self.length

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr") and not self.hidden:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag in _HEADING_TAGS and self.heading_level:
            title = heading_title("".join(self.heading_text))
            level = self.heading_level
            self.stack = [(lv, t) for lv, t in self.stack if lv < level] + [(level, title)]
            self.breaks.append((self._heading_start, " > ".join(t for _, t in self.stack)))
            self.heading_level = 0
        if tag in _BLOCK_TAGS:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        if self.hidden:
            return
        text = re.sub(r"\s+", " ", data)
        if not text.strip() and (not self.parts or self.parts[-1].endswith("\n")):
            return
        self._add(text)
        if self.heading_level:
            self.heading_text.append(text)


# A marked section html.parser cannot read ("<![x") stops it with an error: it is made text.
_MARKED_SECTION = re.compile(r"<!\[(?!(?:temp|cdata|ignore|include|rcdata|if|else|endif)"
                             r"(?![-_.a-zA-Z0-9]))", re.IGNORECASE)
# What the markup is fed with: it ends any text held back (a "&amp" at the very end) and closes a
# comment left open, so that the parser need not be closed (see html_sections).
_END_OF_MARKUP = "<!---->"


_BLANK_LINES = re.compile(r"\n{3,}")


def html_sections(markup: str) -> tuple[str, list[tuple[int, int, str]], str]:
    parser = _VisibleText()
    # Never closed: html.parser (before the fix for CVE-2025-6069 in Python 3.9.23, 3.10.18,
    # 3.11.13, 3.12.11, 3.13.4) reads what a closed parser holds back, an opening that nothing
    # after it closes ("<a" with no ">" after it, "<!--" with no "-->"), again from each of its
    # characters, searching to the end of the input for a close each time: 100 kB of "<a"
    # took 16 s. Left unclosed, everything from such an opening on is inside it, as browsers
    # and later Pythons read it.
    parser.feed(_MARKED_SECTION.sub("&lt;![", markup) + _END_OF_MARKUP)
    raw = "".join(parser.parts)
    # Runs of blank lines collapse to one; a heading's offset moves back by what was taken
    # out before it (a run it falls inside keeps its first two newlines before it).
    runs = [(m.start(), m.end()) for m in _BLANK_LINES.finditer(raw)]
    run_starts = [s for s, _ in runs]
    removed = [0]  # characters taken out before each run
    for s, e in runs:
        removed.append(removed[-1] + e - s - 2)

    def cleaned(offset: int) -> int:
        k = bisect_right(run_starts, offset) - 1
        if k < 0:
            return offset
        s, e = runs[k]
        return offset - removed[k] - max(0, min(offset, e) - s - 2)

    text = _BLANK_LINES.sub("\n\n", raw)
    cuts = [(0, "")] + [(cleaned(o), h) for o, h in parser.breaks]
    spans = []
    for i, (s, heading) in enumerate(cuts):
        e = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        if e > s:
            spans.append((s, e, heading))
    return text, spans, " ".join("".join(parser.title_parts).split())


def load_html(path: Path, data: bytes) -> Document:
    markup = decode_text(data, path)
    text, spans, html_title = html_sections(markup)
    sections = [Section(text[s:e], s, None, h) for s, e, h in spans if text[s:e].strip()]
    return Document(str(path), html_title or title_for(path), sections)


# PDF -------------------------------------------------------------------------------


def load_pdf(path: Path, data: bytes) -> Document:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to restrict printing.
            try:
                if not reader.decrypt(""):
                    raise LoaderError("encrypted", f"{path.name} is password-protected")
            except (NotImplementedError, FileNotDecryptedError) as exc:
                raise LoaderError("encrypted", f"{path.name} is encrypted ({exc})") from exc
        sections: list[Section] = []
        offset = 0
        pages = len(reader.pages)
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").replace("\x00", "")
            # Blanks ending lines go (line by line: the pattern "[ \t]+\n" reads a long
            # run of blanks again from each of its characters)
            text = "\n".join(line.rstrip(" \t") for line in text.split("\n")).strip()
            text = _joined_cjk(text)
            if text:
                sections.append(Section(text, offset, number))
                offset += len(text) + len(PAGE_SEPARATOR)
    except LoaderError:
        raise
    except FileNotDecryptedError as exc:
        raise LoaderError("encrypted", f"{path.name} is encrypted") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise LoaderError("corrupt", f"{path.name} is not a readable PDF ({exc})") from exc
    except OSError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise LoaderError("corrupt", f"{path.name} is not a readable PDF ({exc})") from exc
    if pages and not sections:
        raise LoaderError(
            "no-text-layer",
            f"{path.name} has {pages} page(s) but no text layer (scanned? it needs OCR)",
        )
    return Document(str(path), _pdf_title(reader) or title_for(path), sections)


_CJK_CHAR = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK_CHAR}]) (?=[{_CJK_CHAR}])")
_CJK_PAIR = re.compile(f"[{_CJK_CHAR}](?=[{_CJK_CHAR}])")


def _joined_cjk(text: str) -> str:
    """A page whose Chinese or Japanese characters come out of the text layer one space
    apart (some PDF writers place each glyph on its own), written as it reads: the spaces
    between two such characters go when most neighbouring pairs have one, since Chinese puts
    no space between words. Pages that only sometimes have one are left as they are."""
    gaps = len(_CJK_GAP.findall(text))
    if gaps < 8 or gaps < 2 * len(_CJK_PAIR.findall(text)):
        return text
    return _CJK_GAP.sub("", text)


def _pdf_title(reader: object) -> str:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        title = (meta.title or "").strip() if meta else ""
    except Exception:
        return ""
    return title if len(title) > 2 else ""


# DOCX ------------------------------------------------------------------------------


def load_docx(path: Path, data: bytes) -> Document:
    import io
    import zipfile

    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise LoaderError("unsupported-type", "python-docx is not installed") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoaderError("corrupt", f"{path.name} is not a readable Word document") from exc
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    buf: list[str] = []
    offset = 0
    section_start = 0

    def flush() -> None:
        nonlocal section_start
        text = "".join(buf)
        if text.strip():
            sections.append(Section(text, section_start, None, " > ".join(t for _, t in stack)))
        section_start = offset
        buf.clear()

    for block in _docx_blocks(document):
        style, text = block
        m = re.match(r"(?:Heading|Überschrift|Titre)\s*(\d)", style or "")
        if m or style == "Title":
            flush()
            level = int(m.group(1)) if m else 0
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, heading_title(text))]
        line = text + "\n"
        buf.append(line)
        offset += len(line)
    flush()
    return Document(str(path), title_for(path), sections)


def _docx_blocks(document: object) -> list[tuple[str, str]]:
    """Paragraphs and table rows in body order, as ``(style name, text)``."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[tuple[str, str]] = []
    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Paragraph):
            blocks.append((item.style.name if item.style is not None else "", item.text))
        elif isinstance(item, Table):
            for row in item.rows:
                cells = [c.text.strip() for c in row.cells]
                blocks.append(("", " | ".join(c for c in cells if c)))
    return blocks


# Registry --------------------------------------------------------------------------

Loader = Callable[[Path, bytes], Document]


def loader_for(path: Path) -> Loader | None:
    ext = path.suffix.lower()
    if ext == ".pdf":
        return load_pdf
    if ext == ".docx":
        return load_docx
    if ext in MARKDOWN_EXTENSIONS:
        return load_markdown
    if ext in HTML_EXTENSIONS:
        return load_html
    if ext in TEXT_EXTENSIONS:
        return load_text
    return None


def is_supported(path: Path) -> bool:
    return loader_for(path) is not None


def load(path: Path, data: bytes | None = None) -> Document:
    """Load any supported file, or raise :class:`LoaderError` saying why not.

    ``data`` is the file's content when the caller has already read it (to hash it).
    """
    loader = loader_for(path)
    if loader is None:
        raise LoaderError("unsupported-type", f"{path.name}: unsupported file type")
    try:
        document = loader(path, path.read_bytes() if data is None else data)
    except OSError as exc:
        raise read_error(exc, path.name) from exc
    return without_long_lines(document)


def without_long_lines(document: Document) -> Document:
    """Leave out lines longer than MAX_LINE_CHARS; offsets of the rest stay as they were.
    A document that is nothing but such lines is refused with a specific reason."""
    if not any(len(s.text) > MAX_LINE_CHARS for s in document.sections):
        return document
    sections: list[Section] = []
    longest = 0
    for section in document.sections:
        start = 0
        for line_start, line_end in _long_lines(section.text):
            longest = max(longest, line_end - line_start)
            if section.text[start:line_start].strip():
                sections.append(Section(section.text[start:line_start], section.offset + start,
                                        section.page, section.heading))
            start = line_end
        if section.text[start:].strip():
            sections.append(Section(section.text[start:], section.offset + start,
                                    section.page, section.heading))
    if not sections:
        name = Path(document.path).name
        raise LoaderError(
            "machine-generated",
            f"{name} is one line of {longest / 1e6:.1f} million characters with no line "
            "breaks (minified code, a data dump or a log without newlines?); not indexed")
    return Document(document.path, document.title, sections)


def _long_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line longer than MAX_LINE_CHARS, found in one pass (a pattern
    such as ``[^\n]{200001,}`` reads every shorter line again from each of its characters)."""
    found: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            found.append((start, end))
        start = end + 1
    return found


def preload() -> None:
    """Import the parsers up front (the parse worker does this before limiting its memory)."""
    import docx  # noqa: F401
    import pypdf  # noqa: F401
    from charset_normalizer import from_bytes  # noqa: F401

"""Parsing takes time linear in the file (security review, issue 22, finding 12).

Each input here made a loader quadratic: a heading-like Markdown line (the ATX pattern tried a
run of blanks again from each of its characters: 100 kB took 54 s), HTML full of headings (the
offset of each heading summed the whole text so far: 100 kB took 7 s), html.parser's openings
that nothing closes (100 kB of "<a": 16 s), lines just under the line limit (the long-line
pattern read every shorter line again from each character: two of 100 kB, 8 s). Each is parsed
by the real parser child under a time limit that the old code overran many times over; the
right text must come out, well inside it.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from pathlib import Path

import pytest

from assistant.core import loaders
from assistant.core.parsing import PARSER_NICENESS, ParserProcess
from assistant.core.types import Document

LIMIT_S = 30.0  # the child's time limit: the old code needed minutes to hours for these
WELL_INSIDE_S = 10.0


@pytest.fixture(scope="module")
def parser():
    p = ParserProcess(timeout_s=LIMIT_S)
    yield p
    p.close()


def parse(parser: ParserProcess, path: Path, content: str) -> Document:
    path.write_text(content, encoding="utf-8")
    started = time.monotonic()
    document = parser.parse(str(path), path.read_bytes())
    elapsed = time.monotonic() - started
    assert elapsed < WELL_INSIDE_S, f"{path.name}: {elapsed:.1f} s"
    return document


def whole_text(document: Document) -> str:
    return "\n".join(s.text for s in document.sections)


def test_heading_like_markdown_lines(parser: ParserProcess, tmp_path: Path) -> None:
    """Six 150 kB lines that look like headings: a title, a long run of blanks (or of
    blanks and hashes), then more words (old: about two minutes a line)."""
    runs = [" " * 150_000, " \t#" * 50_000]
    parts = [f"# Part {i}{runs[i % 2]}done {i}\n\nBody of part {i}.\n\n" for i in range(6)]
    document = parse(parser, tmp_path / "headings.md", "".join(parts))
    assert len(document.sections) == 6
    for i, section in enumerate(document.sections):
        assert f"Body of part {i}." in section.text
        if i % 2 == 0:
            assert section.heading == f"Part {i} done {i}"
        else:  # 100,000 characters of heading, cut
            assert section.heading.startswith(f"Part {i} # # #")
            assert section.heading.endswith("…")
            assert len(section.heading) <= loaders.MAX_HEADING_CHARS


def test_a_long_heading_above_many_subheadings(parser: ParserProcess, tmp_path: Path) -> None:
    """An 80 kB heading over 20,000 subheadings: every section carries its heading path, so
    whole it would be 1.6 GB of paths (old: the parse ran out of time or memory)."""
    top = "# " + "word " * 16_000 + "\n\n"
    subs = "".join(f"## Sub {i}\n\nText {i}.\n\n" for i in range(20_000))
    document = parse(parser, tmp_path / "deep.md", top + subs)
    assert len(document.sections) == 20_000
    last = document.sections[-1]
    assert last.heading.endswith(" > Sub 19999") and "Text 19999." in last.text
    assert last.heading.startswith("word word")
    assert max(len(s.heading) for s in document.sections) <= loaders.MAX_HEADING_CHARS + 20


def test_html_full_of_headings(parser: ParserProcess, tmp_path: Path) -> None:
    """1 MB of headings, each over a short paragraph (old: the 144 kB of the review took
    4.6 s, this several minutes)."""
    body = "".join(f"<h2>Heading {i}</h2><p>Para {i}.</p>\n" for i in range(30_000))
    markup = f"<html><body><h1>Top</h1>{body}</body></html>"
    document = parse(parser, tmp_path / "headings.html", markup)
    sections = [s for s in document.sections if s.heading != "Top"]
    assert len(sections) == 30_000
    for i in (0, 1, 12_345, 29_999):
        assert sections[i].heading == f"Top > Heading {i}"
        assert sections[i].text.split() == ["Heading", str(i), "Para", f"{i}."]


@pytest.mark.parametrize("opening", ["<a", "</", "<?", "<!", "<!--x>", "<![CDATA[x>",
                                     "<a b='>'"])
def test_html_openings_nothing_closes(parser: ParserProcess, tmp_path: Path,
                                      opening: str) -> None:
    """400 kB of an opening that nothing after it closes (old, in html.parser: minutes).
    What follows such an opening is inside it, as browsers read it; the text before stays."""
    markup = "<html><body><h1>Title</h1><p>Readable words.</p>" + opening * (400_000 //
                                                                         len(opening))
    document = parse(parser, tmp_path / "unclosed.html", markup)
    assert whole_text(document).split() == ["Title", "Readable", "words."]


def test_html_marked_section_html_parser_cannot_read(tmp_path: Path) -> None:
    """"<![foo" stopped html.parser with an AssertionError: the whole page failed."""
    (tmp_path / "m.html").write_text("<p>Before.</p><![foo]><p>After.</p>")
    text = whole_text(loaders.load(tmp_path / "m.html"))
    assert "Before." in text and "After." in text


def test_lines_just_under_the_line_limit(parser: ParserProcess, tmp_path: Path) -> None:
    """Five lines a little shorter than MAX_LINE_CHARS beside one longer: the long one is
    left out, the others kept (old: about 40 s for each of the five)."""
    near = loaders.MAX_LINE_CHARS - 10
    lines = [f"line{i} " + "x" * (near - 6) for i in range(5)]
    content = "\n".join(lines[:3] + ["y" * (loaders.MAX_LINE_CHARS + 1)] + lines[3:]) + "\n"
    document = parse(parser, tmp_path / "dump.log", content)
    kept = whole_text(document).split()
    assert [w for w in kept if w.startswith("line")] == [f"line{i}" for i in range(5)]
    assert not any(w.startswith("y") for w in kept)


def test_atx_headings_read_as_the_commonmark_pattern_did() -> None:
    """The linear reading of an ATX heading gives what the pattern it replaces gave, on
    every line of up to 7 characters of blanks, hashes, letters and a form feed."""
    pattern = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
    for n in range(8):
        for chars in itertools.product(" \t#a\x0c", repeat=n):
            line = "".join(chars)
            m = pattern.match(line)
            expected = (len(m.group(1)), m.group(2).strip()) if m else None
            assert loaders.atx_heading(line) == expected, repr(line)


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX process priorities")
def test_the_parser_child_runs_at_a_lower_cpu_priority(parser: ParserProcess,
                                                        tmp_path: Path) -> None:
    """Parsing is background work: the child yields the CPU to the window and the answer."""
    parse(parser, tmp_path / "note.md", "# Note\n\nStarted the child.\n")
    assert parser._proc is not None
    child = os.getpriority(os.PRIO_PROCESS, parser._proc.pid)
    assert child >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + PARSER_NICENESS)

"""Sentences, headings and list items of a text, in any script.

A sentence ends at . ! ? before a capital, a digit or an opening quote/bracket (initials and
short abbreviations such as "J.", "e.g.", "Dr." do not end one), and at the full-width
。！？； and … of Chinese and Japanese, which need no space after them, and at Arabic's ؟ and
the Devanagari danda.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LATIN_END = (r"(?<![A-Z][a-z]\.)(?<!\b[A-Za-z]\.)(?<=[.!?])[\"')\]]*\s+"
              r"(?=[\"'(\[]?[A-Z0-9])")
_WIDE_END = r"(?<=[。！？；…])[”’」』）》\]\"')]*\s*(?=\S)|(?<=[؟।])\s+"
_SENTENCE_END = re.compile(f"{_LATIN_END}|{_WIDE_END}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_LIST_ITEM = re.compile(r"\s*(?:(?:[-*•]|\d{1,3}[.)])\s|\d{1,3}、)")
WIDE_CHAR = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_NUMBERING = re.compile(r"\s*\d{1,3}[.)]")
_WORD = re.compile(r"\w")
HEADING_CHARS = 60
# What ends a sentence or a clause (a line ending in one is not a heading).
SENTENCE_END = ".!?:;\"')”’»…。！？；：」』）"


def line_breaks(text: str) -> list[int]:
    """Where a line break ends a sentence: blank lines, list items, and after a short line
    without final punctuation (a heading). Other line breaks are the wrapping of a paragraph
    (PDF text, hard-wrapped files) and do not."""
    cuts = [m.end() for m in _BLANK_LINE.finditer(text)]
    pos = 0
    for line in text.split("\n")[:-1]:
        end = pos + len(line)
        stripped = line.strip()
        following = text[end + 1:end + 200]
        if stripped and (
                (_width(stripped) <= HEADING_CHARS and stripped[-1] not in ".!?,;:。！？，；：、")
                or _LIST_ITEM.match(following)):
            cuts.append(end + 1)
        pos = end + 1
    return sorted(set(cuts))


def _width(line: str) -> int:
    """A line's length for the heading test, a CJK character counting as three: a Chinese
    PDF's lines wrap at about 40 characters without punctuation, and a 40-character Chinese
    line says as much as a 120-character English one; a heading is rarely over 20."""
    return len(line) + 2 * len(WIDE_CHAR.findall(line))


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence, heading or list item of ``text``, trimmed."""
    start = 0
    for cut in line_breaks(text) + [len(text)]:
        block_end = cut
        for m in _SENTENCE_END.finditer(text, start, block_end):
            if m.start() <= start:
                continue
            if _NUMBERING.fullmatch(text, start, m.start()):
                continue  # "3. Hot and cold composting": a numbered heading, not a sentence
            yield from _trimmed(text, start, m.start())
            start = m.end()
        yield from _trimmed(text, start, block_end)
        start = cut


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and _WORD.search(text, start, end):
        yield start, end

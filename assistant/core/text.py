"""Text analysis shared by retrieval, evidence selection and the support check: content
words, stop words, stems, number words, negation and sentences.

One home for these, so that "what counts as the same word" is the same everywhere. Stems
come from the Snowball (Porter 2) English stemmer: "ends"/"end" and "Normans"/"Norman" meet,
"university"/"universe" stay apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import snowballstemmer

# Short English function words: they only add noise to a search or a claim.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also many much one ones s t whose""".split()
)

# Words that turn a statement around. They are stop words for search, never for a claim.
NEGATIONS = frozenset("not no never nor none neither without cannot nothing nobody "
                      "nowhere".split())
_NEGATED_VERB = re.compile(r"\b\w+n't\b|\bcan ?not\b", re.IGNORECASE)

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of a lower-case word (numbers are kept as they are)."""
    if word.isdigit() or len(word) <= 2:
        return word
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """Content words of ``text``, lower-cased, in order, without duplicates."""
    out: list[str] = []
    for w in words(text):
        if w not in STOPWORDS and w not in out and (len(w) > 1 or w.isdigit()):
            out.append(w)
    return out


# Number words ------------------------------------------------------------------------

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | {
    w: 20 + 10 * i for i, w in enumerate(_TENS)}
_NUMBER_PHRASE = re.compile(
    r"\b(" + "|".join(_TENS) + r")(?:[- ](" + "|".join(_UNITS[1:10]) + r"))?\b|\b("
    + "|".join(_UNITS) + r")\b", re.IGNORECASE)


def numbers_as_digits(text: str) -> str:
    """'forty-two' -> '42', so a model writing digits matches a source spelling them out."""
    def repl(m: re.Match[str]) -> str:
        if m.group(3):
            return str(_NUMBER_WORDS[m.group(3).lower()])
        value = _NUMBER_WORDS[m.group(1).lower()]
        return str(value + (_NUMBER_WORDS[m.group(2).lower()] if m.group(2) else 0))

    return _NUMBER_PHRASE.sub(repl, text)


def stems(text: str) -> set[str]:
    """Stems of the content words of ``text`` (number words as digits)."""
    return {stem(t) for t in terms(numbers_as_digits(text))}


def key_stems(text: str) -> set[str]:
    """Numbers and capitalised words after the first word: the facts a clause commits to."""
    out = set()
    for i, m in enumerate(_WORD.finditer(numbers_as_digits(text))):
        w = m.group(0)
        if any(ch.isdigit() for ch in w) or (i > 0 and w[0].isupper()
                                              and w.lower() not in STOPWORDS):
            out.add(stem(w.lower()))
    return out


def negated(text: str) -> bool:
    """Whether the text says something is not so ("not", "never", "without", "isn't", ...)."""
    return bool(NEGATIONS & set(words(text))) or bool(_NEGATED_VERB.search(text))


# Sentences ---------------------------------------------------------------------------

# A sentence ends at . ! ? before a capital, a digit or an opening quote/bracket. Initials
# and short abbreviations ("J.", "e.g.", "Dr.") do not end one.
_SENTENCE_END = re.compile(
    r"(?<![A-Z][a-z]\.)(?<!\b[A-Za-z]\.)(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d{1,3}[.)])\s")
_NUMBERING = re.compile(r"\s*\d{1,3}[.)]")
HEADING_CHARS = 60


def _line_breaks(text: str) -> list[int]:
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
                (len(stripped) <= HEADING_CHARS and stripped[-1] not in ".!?,;:")
                or _LIST_ITEM.match(following)):
            cuts.append(end + 1)
        pos = end + 1
    return sorted(set(cuts))


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence, heading or list item of ``text``, trimmed."""
    start = 0
    for cut in _line_breaks(text) + [len(text)]:
        block_end = cut
        for m in _SENTENCE_END.finditer(text, start, block_end):
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

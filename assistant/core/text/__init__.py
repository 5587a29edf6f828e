"""Text analysis shared by the keyword index, retrieval, evidence selection, the support
check and highlighting: terms, stop words, stems, number words, negation and sentences, in
every language (see :mod:`assistant.core.text.analysis` for how a text becomes terms).

One home for these, so that "what counts as the same word" is the same everywhere: the
full-text index holds :func:`index_terms` of each passage and is searched with
:func:`terms` of the question.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache

from assistant.core.text.analysis import (
    CJK_LANGUAGES,
    Term,
    analyse,
    detect_language,
    index_terms,
    is_cjk,
    language,
    surface_words,
    word_count,
    word_term,
    writing_system,
)
from assistant.core.text.languages import ENGLISH
from assistant.core.text.numbers import numbers_as_digits
from assistant.core.text.sentences import (
    HEADING_CHARS,
    SENTENCE_END,
    line_breaks,
    sentence_spans,
)

__all__ = [
    "ANALYZER_VERSION", "CJK_LANGUAGES", "HEADING_CHARS", "NEGATIONS", "SENTENCE_END",
    "STOPWORDS", "Term",
    "analyse", "detect_language", "highlight_spans", "index_terms", "is_cjk", "key_stems",
    "negated", "numbers_as_digits", "sentence_spans", "stem", "stems", "terms", "word_count",
    "words", "flat", "unwrapped", "writing_system",
]

# The full-text index is rebuilt when this changes (see catalog.FTS_SCHEMA): change it with
# anything that changes what analyse() makes of a text.
ANALYZER_VERSION = "1"

# English's lists, for callers that only need them (the other languages' are in languages).
STOPWORDS = ENGLISH.stopwords
NEGATIONS = ENGLISH.negations

_NEGATED_VERB = re.compile(r"\b\w+n't\b|\bcan ?not\b", re.IGNORECASE)
# Chinese negation, by its words: 不 except where it starts a word that negates nothing
# (不同 "different", 不断 "continually", 不仅 "not only", ...), and the words built on
# 没, 未, 无 and 非.
CJK_NEGATION = re.compile(
    r"不(?![同断仅久少过管论但然止得及足妨料外免愧])|没|并非|绝非|从未|未曾|未能|尚未|无法|毫无|"
    r"ない|ません|なかっ")


def stem(word: str, lang: str = "en") -> str:
    """The index term of one word (English unless ``lang`` says otherwise)."""
    return word_term(word.lower(), lang)


def words(text: str) -> list[str]:
    """Lower-cased words as written (CJK text as character bigrams)."""
    return surface_words(text)


@cache
def _stopwords(lang: str) -> frozenset[str]:
    """A language's stop words; English's too in Chinese, Japanese and Korean text, which
    often holds English words."""
    own = language(lang).stopwords
    return own | ENGLISH.stopwords if lang in CJK_LANGUAGES else own


def _content(text: str, lang: str | None = None) -> list[Term]:
    lang = lang or detect_language(text)
    stop = _stopwords(lang)
    out = []
    for t in analyse(text, lang):
        surface = text[t.start:t.end].lower()
        if t.cjk:
            if t.term in stop:
                continue
        elif surface in stop or t.term in stop or (len(t.term) <= 1 and not t.term.isdigit()):
            continue
        out.append(t)
    return out


def terms(text: str, lang: str | None = None) -> list[str]:
    """The content terms of ``text`` (stems, CJK bigrams), in order, without duplicates and
    without stop words: what a search for ``text`` looks for in the full-text index."""
    return list(dict.fromkeys(t.term for t in _content(text, lang)))


def stems(text: str) -> set[str]:
    """Content terms of ``text``, number words as digits."""
    return set(terms(numbers_as_digits(text)))


def key_stems(text: str) -> set[str]:
    """Numbers and names: the facts a clause commits to. A name is a capitalised word, not
    counting the text's first word (English capitalises every sentence's first word);
    Chinese has no capitals, so there only Latin names and numbers count."""
    converted = numbers_as_digits(text)
    lang = detect_language(converted)
    out = set()
    first = lang not in CJK_LANGUAGES
    for t in analyse(converted, lang):
        surface = converted[t.start:t.end]
        if t.cjk:
            first = False
            continue
        if any(ch.isdigit() for ch in surface):
            out.add(t.term)
        elif surface[0].isupper() and not first and surface.lower() not in ENGLISH.stopwords \
                and surface.lower() not in language(lang).stopwords:
            out.add(t.term)
        first = False
    return out


def negated(text: str) -> bool:
    """Whether the text says something is not so ("not", "never", "nicht", "没有", ...)."""
    lang = detect_language(text)
    if lang in CJK_LANGUAGES:
        return bool(CJK_NEGATION.search(text)) or bool(NEGATIONS & set(words(text)))
    said = set(words(text))
    return bool((NEGATIONS | language(lang).negations) & said) or bool(
        _NEGATED_VERB.search(text))


_CJK_WRAP = re.compile(
    r"(?<=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])[ \t]*\n\s*"
    r"(?=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])")


def unwrapped(text: str) -> str:
    """``text`` with the line breaks of its wrapping gone where they fall between two Chinese
    or Japanese characters (a PDF's lines break mid-word; Chinese puts no space there), so
    text flattened to one line for a quote, a prompt or a list reads "罗洛大军", not
    "罗洛 大军". Other line breaks and every space the writer typed are kept."""
    if "\n" not in text:
        return text
    ends = line_breaks(text)  # a heading's or a list item's line break stays

    def join(m: re.Match[str]) -> str:
        i = bisect_left(ends, m.start())
        return m.group() if i < len(ends) and ends[i] <= m.end() else ""

    return _CJK_WRAP.sub(join, text)


def flat(text: str) -> str:
    """``text`` on one line: wrapping undone as :func:`unwrapped` does, runs of white space
    made one space."""
    return " ".join(unwrapped(text).split())


def highlight_spans(text: str, question: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` holding the question's terms (overlapping CJK bigrams
    merged), for highlighting the words a passage was found by."""
    wanted = stems(question)
    spans: list[tuple[int, int]] = []
    for t in analyse(text):
        if t.term in wanted:
            if spans and t.start < spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], t.end))
            else:
                spans.append((t.start, t.end))
    return spans

"""The analyzer: text to the terms the index, the evidence and the support check compare.

Like a Lucene or Tantivy analyzer it runs in one fixed order, the same for a passage and for
a question, so that "what counts as the same word" is the same everywhere:

1. Split into runs: CJK (Han and kana, which Chinese and Japanese write without spaces),
   Hangul, and words of every other script (letters and digits, split at "_").
2. Normalise: NFKC (full-width ＡＢＣ１２３ are ABC123), lower case, Traditional Chinese
   folded to Simplified (臺灣 and 台湾 meet).
3. Words: stemmed with the Snowball stemmer of the text's language (English, German, Spanish,
   French, Italian, Portuguese, Dutch, Russian, Arabic; others as written), then diacritics
   removed (café and cafe meet, as FTS5's unicode61 did).
4. CJK and Hangul runs: overlapping character bigrams (Lucene's CJKBigramFilter); a run of
   one character is kept as itself. On the CMRC 2018 trial set (256 paragraphs, 1,002
   questions, paragraph-level BM25) bigrams found the paragraph first for 982 questions,
   jieba's words for 972 (search mode 972, both together 982): bigrams need no dictionary,
   no 50 MB segmenter in memory and no guess about where a word ends.

Each term keeps its span in the text, so highlights mark the words that matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from assistant.core.text import fold
from assistant.core.text.languages import ENGLISH, LANGUAGES, LATIN, Language

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3007\U00020000-\U0003134f"
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_CJK = _HAN + _KANA

_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<hangul>[{_HANGUL}]+)"
                   rf"|(?P<word>[^\W_{_CJK}{_HANGUL}]+)")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_KANA_CHAR = re.compile(f"[{_KANA}]")
_HANGUL_CHAR = re.compile(f"[{_HANGUL}]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f]")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_WORD = re.compile(r"[^\W\d_]+")

CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
_LATIN_CODES = frozenset(lang.code for lang in LATIN)


@dataclass(frozen=True, slots=True)
class Term:
    """One analysed term and where it stands in the text."""

    start: int
    end: int
    term: str
    cjk: bool  # a bigram (or lone character) of CJK or Hangul text


# Language -------------------------------------------------------------------------------

_OTHER_SCRIPT = re.compile(f"[{_CJK}{_HANGUL}\u0400-\u04ff\u0590-\u06ff\u0750-\u077f]")


def _script(ch: str) -> str:
    o = ord(ch)
    if 0x0400 <= o <= 0x04FF:
        return "ru"
    if 0x0590 <= o <= 0x05FF:
        return "he"
    if 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F:
        return "ar"
    if _HANGUL_CHAR.match(ch):
        return "ko"
    if _KANA_CHAR.match(ch):
        return "kana"
    return "han"


def detect_language(text: str) -> str:
    """The main language of ``text`` as an ISO 639-1 code ("und" when there is no letter).

    By script first (Han, kana, Hangul, Cyrillic, Arabic, Hebrew: counted over a sample of
    the text); text in the Latin alphabet by its stop words (English when none is clear)."""
    sample = text[:2000]
    if sample.isascii():
        return _latin_language(sample) if _LETTER.search(sample) else "und"
    letters = len(_LETTER.findall(sample))
    if not letters:
        return "und"
    counts = dict.fromkeys(("ru", "he", "ar", "ko", "kana", "han"), 0)
    for ch in _OTHER_SCRIPT.findall(sample):
        counts[_script(ch)] += 1
    kana, han = counts.pop("kana"), counts.pop("han")
    if kana * 10 >= han and kana:
        counts["ja"] = kana + han
    else:
        counts["zh"] = han
    script, n = max(counts.items(), key=lambda kv: kv[1])
    if n * 5 >= letters:  # a fifth of the letters: enough for a passage or a question
        return script
    return _latin_language(sample)


_WRITING_SYSTEMS = {"zh": "han", "ja": "han", "ko": "hangul", "ru": "cyrillic", "ar": "arabic",
                    "he": "hebrew"}


def writing_system(language: str) -> str | None:
    """The alphabet or script a language (as :func:`detect_language` names it) is written
    in: "latin", "han" (Chinese and Japanese share their characters), "hangul", "cyrillic",
    "arabic", "hebrew"; None for "und" (no letters: nothing to compare)."""
    if language == "und":
        return None
    return _WRITING_SYSTEMS.get(language, "latin")


# word -> the Latin-alphabet languages it is a stop word of
_STOP_LANGUAGES: dict[str, list[str]] = {}
for _lang in LATIN:
    for _w in _lang.stopwords:
        _STOP_LANGUAGES.setdefault(_w, []).append(_lang.code)


def _latin_language(text: str) -> str:
    votes: dict[str, int] = {}
    for w in _LATIN_WORD.findall(text[:1000].lower()):
        for code in _STOP_LANGUAGES.get(w, ()):
            votes[code] = votes.get(code, 0) + 1
    if not votes:
        return ENGLISH.code
    return max(votes, key=lambda code: (votes[code], code == ENGLISH.code))  # ties: English


def language(code: str) -> Language:
    return LANGUAGES.get(code, LANGUAGES["und"])


# Words ----------------------------------------------------------------------------------

_STEMMERS: dict[str, snowballstemmer.stemmer] = {}


def _stemmer(name: str) -> snowballstemmer.stemmer:
    found = _STEMMERS.get(name)
    if found is None:
        found = _STEMMERS[name] = snowballstemmer.stemmer(name)
    return found


def _plain(word: str) -> str:
    """Diacritics removed (combining marks after NFD), as FTS5's remove_diacritics did."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(
        ch for ch in decomposed if not unicodedata.combining(ch)))


@lru_cache(maxsize=131072)
def word_term(word: str, lang: str = "en") -> str:
    """The index term of one lower-case word in language ``lang``."""
    if word.isdigit() or len(word) <= 2:
        return _plain(word)
    algorithm = language(lang).stemmer
    if algorithm is None:
        return _plain(word)
    return _plain(str(_stemmer(algorithm).stemWord(word)))


def _word_language(text_lang: str, word: str) -> str:
    """The stemmer's language for a word: the text's, unless the word is in another script
    (English words in a Chinese passage are stemmed as English)."""
    if text_lang in CJK_LANGUAGES or text_lang == "und":
        if _CYRILLIC.match(word):
            return "ru"
        if _ARABIC.match(word):
            return "ar"
        return "en"
    if text_lang == "ru" and not _CYRILLIC.match(word):
        return "en"
    if text_lang == "ar" and not _ARABIC.match(word):
        return "en"
    return text_lang


def _normal(text: str) -> str:
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str, lang: str) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, term, cjk) of every term of ``text``."""
    latin = lang in _LATIN_CODES
    for m in _RUNS.finditer(text):
        start, end = m.span()
        if m.lastgroup == "word":
            word = m.group()
            if word.isascii():
                word = word.lower()
                word_lang = lang if latin else _word_language(lang, word)
                yield start, end, word_term(word, word_lang), False
            else:
                word = _normal(word)
                yield start, end, word_term(word, _word_language(lang, word)), False
            continue
        run = m.group()
        if m.lastgroup == "cjk":
            run = fold.simplified(run)
        run = unicodedata.normalize("NFKC", run)
        if len(run) != end - start:  # NFKC joined or split characters: spans per character
            run = "".join(unicodedata.normalize("NFKC", ch)[:1] or ch for ch in m.group())
        if len(run) == 1:
            yield start, end, run, True
            continue
        for i in range(len(run) - 1):
            yield start + i, start + i + 2, run[i:i + 2], True


def analyse(text: str, lang: str | None = None) -> Iterator[Term]:
    """Every term of ``text`` in order, stop words included (``terms`` leaves them out)."""
    for start, end, term, cjk in _runs(text, lang or detect_language(text)):
        yield Term(start, end, term, cjk)


def index_terms(text: str) -> str:
    """What the full-text index holds for a passage: every term, separated by spaces (FTS5's
    unicode61 then only splits at the spaces; stop words are kept, as BM25 weighs them)."""
    return " ".join([t[2] for t in _runs(text, detect_language(text))])


def surface_words(text: str) -> list[str]:
    """Lower-cased words as written, CJK as bigrams (for word lists such as months)."""
    out = []
    for m in _RUNS.finditer(text):
        run = _normal(m.group())
        if m.lastgroup == "word" or len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def word_count(text: str) -> int:
    """Words in ``text``, a CJK character counting as half a word (Chinese words average
    about two characters), for "is this a heading or a sentence" tests."""
    n = 0.0
    for m in _RUNS.finditer(text):
        n += 1 if m.lastgroup == "word" else (m.end() - m.start()) / 2
    return int(n + 0.5)


def is_cjk(text: str) -> bool:
    return detect_language(text) in CJK_LANGUAGES

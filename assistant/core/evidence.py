"""Evidence: the sentences of the retrieved passages that answer the question.

A small model given five passages often copies the wrong one; given the one or two
sentences that hold the answer it rarely does. So before the model writes, every sentence of
the best passages is scored against the question by meaning (the embedder) and by the
question's words it holds (weighted by how rare they are in the index); the passages are
re-ranked by their best sentence, and the best sentences become the model's context and,
when the model's draft does not hold up, the answer itself, quoted with its citation.

The same signals say how sure the engine can be that the documents answer the question at
all (:class:`Confidence`), which decides "not in your documents".
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.core.text import (
    SENTENCE_END,
    is_cjk,
    key_stems,
    negated,
    numbers_as_digits,
    sentence_spans,
    stems,
    terms,
    word_count,
    words,
)
from assistant.core.types import Passage

LEXICAL_WEIGHT = 1.0  # a sentence's question-word coverage, against its cosine similarity
RANK_WEIGHT = 0.3  # the retriever's own order, when re-ranking passages by their best sentence
CACHE_PASSAGES = 4096
MAX_SENTENCE_CHARS = 600

# The kind of thing a question asks for, from its first words.
_ASKS = [
    (re.compile(r"^\s*(what|which)\s+(year|decade|century|date|month|day)\b", re.I), "time"),
    (re.compile(r"^\s*when\b", re.I), "time"),
    (re.compile(r"^\s*((what|which)\s+temperatures?|how\s+(hot|cold|warm))\b", re.I),
     "temperature"),
    (re.compile(r"^\s*(what|which)\s+(size|height|weight|length|width|distance|speed|depth|"
                r"price|cost|population|area|volume|voltage|dose|dosage)\b", re.I), "number"),
    (re.compile(r"^\s*how\s+(many|much|long|old|far|big|large|often|tall|high)\b", re.I),
     "number"),
    (re.compile(r"^\s*(what|which)\s+(percentage|percent|number|amount|proportion)\b", re.I),
     "number"),
    (re.compile(r"^\s*who(m|se)?\b", re.I), "name"),
    # Chinese asks anywhere in the sentence ("OpenAI 的吞吐量提升了多少？").
    (re.compile(r"温度|多热|多冷|几度"), "temperature"),
    (re.compile(r"哪一?年|什么时候|何时|哪一?天|几月|几号|哪个?世纪|什么时间|哪个?时期|哪个?朝代|"
                r"哪一?年代"), "time"),
    (re.compile(r"多少|几[个位名次种岁年天倍项条件]|多[大长高远重久深宽厚]|百分之几|比例"),
     "number"),
    (re.compile(r"谁|哪位|什么人"), "name"),
]
_ZH_NUMERALS = re.compile("[零〇一二两三四五六七八九十百千万亿半倍几]")
_ZH_TIME = re.compile("[年月日]|世纪|朝|代|时期|以前|之后|期间")
_MONTHS = ("january february march april may june july august september october november "
           "december").split()


_DEGREES = re.compile(r"°|º|\bdegrees?\b|celsius|fahrenheit|kelvin|\d\s?[CFK]\b", re.I)


def asks_for(question: str) -> str:
    """"time", "number", "temperature", "name", or "" (anything)."""
    for pattern, kind in _ASKS:
        if pattern.search(question):
            return kind
    return ""


def has_kind(text: str, kind: str, question: str = "") -> bool:
    """Whether ``text`` holds the kind of thing asked for (beyond the question's own words)."""
    if not kind:
        return True
    if kind == "temperature":
        return any(ch.isdigit() for ch in text) and bool(_DEGREES.search(text) or "度" in text)
    if kind in ("time", "number"):
        if any(ch.isdigit() for ch in text):
            return True
        if is_cjk(text):
            return bool(_ZH_NUMERALS.search(text) or kind == "time" and _ZH_TIME.search(text))
        lowered = set(words(text))
        if kind == "time" and (lowered & set(_MONTHS) or lowered & {
                "century", "decade", "year", "years", "today", "ago", "during", "until"}):
            return True
        return kind == "number" and bool(lowered & {
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand",
            "million", "billion", "half", "dozen", "several", "few", "third", "thirds",
            "quarter", "quarters", "fifth", "fifths", "tenth", "tenths", "percent", "dozens",
            "hundreds", "thousands", "millions", "billions", "twice", "double", "triple"})
    if is_cjk(text):  # no capitals to tell a name by
        return True
    asked = {w.lower() for w in re.findall(r"\w+", question)}
    names = [w for i, w in enumerate(re.findall(r"\w+", text))
             if w[0].isupper() and w.lower() not in asked and i > 0]
    return bool(names) or bool(re.match(r"\s*[A-Z]", text) and len(text) < 80)


# Words whose opposite turns a question around ("the least difficult" asked of a text that
# says "the most difficult").
_OPPOSITES = [
    ("largest", "smallest"), ("biggest", "smallest"), ("larger", "smaller"), ("first", "last"),
    ("most", "least"), ("more", "less"), ("more", "fewer"), ("before", "after"),
    ("increase", "decrease"), ("earliest", "latest"), ("higher", "lower"), ("upper", "lower"),
    ("maximum", "minimum"), ("longest", "shortest"), ("easier", "harder"), ("easy", "hard"),
    ("best", "worst"), ("strongest", "weakest"), ("oldest", "newest"), ("input", "output"),
    ("inside", "outside"), ("above", "below"), ("positive", "negative"), ("always", "never"),
    ("include", "exclude"), ("included", "excluded"), ("internal", "external"),
    ("private", "public"), ("minor", "major"), ("won", "lost"), ("accept", "reject"),
    ("allowed", "forbidden"), ("success", "failure"),
    # Chinese, as the analyzer's bigrams
    ("最大", "最小"), ("最多", "最少"), ("最早", "最晚"), ("最高", "最低"), ("最长", "最短"),
    ("之前", "之后"), ("以前", "以后"), ("增加", "减少"), ("上升", "下降"), ("提高", "降低"),
    ("第一", "最后"), ("内部", "外部"), ("输入", "输出"), ("成功", "失败"), ("允许", "禁止"),
]
OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    OPPOSITE.setdefault(_a, set()).add(_b)
    OPPOSITE.setdefault(_b, set()).add(_a)
# "whether or not", "may or may not": not a negation of anything.
_OR_NOT = re.compile(r"\bor (?:\w+ )?not\b", re.IGNORECASE)


def contrary(question: str, evidence: list[str]) -> bool:
    """The question asks the opposite of what the evidence says: it is negated ("What did the
    Normans not conquer?") where no evidence sentence is, or it uses the opposite of a word
    the evidence uses ("least" for "most"). The documents then don't answer it."""
    if not evidence:
        return False
    asked = _OR_NOT.sub("", question)
    if negated(asked) and not any(negated(_OR_NOT.sub("", e)) for e in evidence):
        return True
    asked_words = set(words(asked))
    said = set(words(" ".join(evidence)))
    return any(w not in said and OPPOSITE[w] & said for w in asked_words & OPPOSITE.keys())


def _statement(text: str) -> bool:
    """A sentence that can say something: not a heading or a lone label."""
    stripped = text.lstrip()
    return word_count(text) >= 4 and not stripped.startswith("#")


HEADING_WORDS = 8  # a line this short without closing punctuation is a heading or a label


def heading_like(text: str) -> bool:
    """"3. Hot and cold composting" on its own line: kept as context for the model (it
    names the section), never quoted as an answer."""
    stripped = text.strip()
    return word_count(stripped) <= HEADING_WORDS and stripped[-1:] not in SENTENCE_END


@dataclass
class Sentence:
    passage: int  # index of its passage in the re-ranked list
    start: int  # character span in the passage's text
    end: int
    text: str
    score: float
    similarity: float
    coverage: float  # share (by rarity) of the question's words it holds


@dataclass
class Confidence:
    """How sure the engine is that the passages answer the question."""

    score: float  # the best sentence's score
    similarity: float  # best passage's cosine similarity to the question
    coverage: float  # question words (by rarity) in the best sentence
    keys_found: float  # share of the question's names and numbers found in the best passage
    numbers_missing: int  # numbers of the question the best passage does not hold
    contrary: bool  # the question asks the opposite of what the best sentences say
    kind: str  # what the question asks for
    kind_found: bool  # the best sentences hold that kind of thing
    evidence: str = ""  # the best sentence
    judged: float | None = None  # the model's yes/no log-odds that the sources answer it

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in self.__dict__.items()}


@dataclass
class Evidence:
    passages: list[Passage]  # re-ranked, best first
    sentences: list[Sentence]  # best first
    confidence: Confidence
    passage_scores: list[float] = field(default_factory=list)


class EvidenceFinder:
    """Scores sentences against a question. ``doc_freq(term)`` gives a word's document
    frequency in the index and ``total()`` the number of passages (for rarity weights)."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray],
                 doc_freq: Callable[[str], int], total: Callable[[], int],
                 embed_query: Callable[[str], np.ndarray] | None = None):
        self.embed = embed
        self.doc_freq = doc_freq
        self.total = total
        # The question as the embedder encodes a search (e5 reads "query: " before it and
        # "passage: " before the sentences); the sentences' encoder when not given.
        self.embed_query = embed_query or (lambda text: self.embed([text])[0])
        self._cache: OrderedDict[str, tuple[list[tuple[int, int]], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def _sentences(self, passage: Passage) -> tuple[list[tuple[int, int]], np.ndarray]:
        # Keyed by the text too: another index generation may reuse a chunk id.
        key = f"{passage.chunk_id}:{hash(passage.text)}"
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        spans = [(a, min(b, a + MAX_SENTENCE_CHARS)) for a, b in sentence_spans(passage.text)
                 if _statement(passage.text[a:b])]
        vectors = self.embed([passage.text[a:b] for a, b in spans]) if spans else \
            np.zeros((0, 1), dtype=np.float32)
        with self._lock:
            self._cache[key] = (spans, vectors)
            while len(self._cache) > CACHE_PASSAGES:
                self._cache.popitem(last=False)
        return spans, vectors

    def _weights(self, question: str) -> dict[str, float]:
        """Each of the question's terms, weighted by how rare it is in the index."""
        total = max(1, self.total())
        return {term: math.log(1 + total / (1 + self.doc_freq(term)))
                for term in terms(numbers_as_digits(question))}

    def find(self, question: str, passages: list[Passage], keep: int | None = None,
             question_vector: np.ndarray | None = None) -> Evidence:
        """Re-rank ``passages`` by their best sentences and keep the first ``keep``."""
        if not passages:
            return Evidence([], [], Confidence(0.0, 0.0, 0.0, 0.0, 0, False, asks_for(question),
                                                  False))
        q = question_vector if question_vector is not None else self.embed_query(question)
        weights = self._weights(question)
        weight_sum = sum(weights.values()) or 1.0
        scored: list[tuple[float, int, list[Sentence]]] = []
        n = len(passages)
        for rank, passage in enumerate(passages):
            spans, vectors = self._sentences(passage)
            found = []
            for (a, b), v in zip(spans, vectors, strict=True):
                text = passage.text[a:b]
                held = stems(text)
                coverage = sum(w for t, w in weights.items() if t in held) / weight_sum
                similarity = float(np.dot(q, v))
                found.append(Sentence(rank, a, b, text, similarity + LEXICAL_WEIGHT * coverage,
                                      similarity, coverage))
            best = max((s.score for s in found), default=-1.0)
            scored.append((best + RANK_WEIGHT * (1 - rank / n), rank, found))
        scored.sort(key=lambda x: (-x[0], x[1]))
        scored = scored[:keep] if keep else scored
        ranked = [passages[rank] for _, rank, _ in scored]
        sentences: list[Sentence] = []
        for new_rank, (_, _, found) in enumerate(scored):
            for s in found:
                s.passage = new_rank
                sentences.append(s)
        sentences.sort(key=lambda s: (-s.score, s.passage, s.start))
        return Evidence(ranked, sentences, self._confidence(question, ranked, sentences),
                        [x[0] for x in scored])

    def _confidence(self, question: str, passages: list[Passage],
                    sentences: list[Sentence]) -> Confidence:
        kind = asks_for(question)
        if not sentences:
            return Confidence(0.0, 0.0, 0.0, 0.0, 0, False, kind, False)
        best = sentences[0]
        top = passages[best.passage]
        keys = key_stems(question)
        have = stems(f"{top.context} {top.text}")
        keys_found = len(keys & have) / len(keys) if keys else 1.0
        numbers_missing = sum(1 for k in keys - have if k.isdigit())
        kind_found = any(has_kind(s.text, kind, question) for s in sentences[:2])
        similarity = max((p.similarity for p in passages if p.similarity is not None),
                         default=best.similarity)
        opposite = contrary(question, [s.text for s in sentences[:2]])
        return Confidence(best.score, similarity, best.coverage, keys_found, numbers_missing,
                          opposite, kind, kind_found, best.text)

"""Attach citations to an answer by checking each sentence against the sources.

Small local models rarely cite correctly, so the engine owns citations: a sentence is
cited to the passage that contains most of what it claims (the words it adds beyond the
question). The model's own [n] markers only break ties. Sentences no passage supports
are reported, so the caller can decide the answer is not grounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.retrieval import terms
from assistant.core.types import Citation, Passage

SUPPORT_THRESHOLD = 0.6

_MARKER = re.compile(r"\s*\[(\d{1,2})(?:\s*,\s*\d{1,2})*\]")
_MARKER_NUMS = re.compile(r"\d{1,2}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")


def stem(word: str) -> str:
    """Crude, language-light stemming: enough to match 'Normans' with 'Norman'."""
    return word if len(word) <= 4 or word.isdigit() else word[:5]


def stems(text: str) -> set[str]:
    return {stem(t) for t in terms(text)}


def split_sentences(text: str) -> list[str]:
    """Sentences and list items, without list markers and without repeats (small models loop)."""
    out: list[str] = []
    seen: set[str] = set()
    for part in _SENTENCE_END.split(text):
        if re.fullmatch(r"\s*\d{1,2}[.)]\s*", part or ""):
            continue  # a list number the split cut off its item
        sentence = _LIST_MARK.sub("", part or "").strip()
        key = " ".join(_MARKER.sub("", sentence).lower().split())
        if sentence and key not in seen and re.search(r"\w", sentence):
            seen.add(key)
            out.append(sentence)
    return out


@dataclass
class SentenceSupport:
    text: str
    sources: list[int]  # 1-based source numbers that support it
    score: float  # best support found (0..1)


@dataclass
class Attribution:
    answer: str  # answer text with the engine's [n] markers
    citations: list[Citation]
    sentences: list[SentenceSupport] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return any(s.sources for s in self.sentences)

    @property
    def supported_fraction(self) -> float:
        if not self.sentences:
            return 0.0
        return sum(1 for s in self.sentences if s.sources) / len(self.sentences)


def support(claim: set[str], passage_stems: set[str]) -> float:
    if not claim:
        return 0.0
    return len(claim & passage_stems) / len(claim)


def attach_citations(answer: str, question: str, passages: list[Passage],
                     threshold: float = SUPPORT_THRESHOLD) -> Attribution:
    """Cite each answer sentence to the passages (numbered 1..n) that support it."""
    passage_stems = [stems(f"{p.context} {p.text}") for p in passages]
    question_stems = stems(question)
    out_sentences: list[str] = []
    supports: list[SentenceSupport] = []
    best_scores: dict[int, float] = {}
    for sentence in split_sentences(answer):
        cited_by_model = {int(n) for m in _MARKER.finditer(sentence)
                          for n in _MARKER_NUMS.findall(m.group(0))}
        plain = _MARKER.sub("", sentence).strip()
        if not plain:
            continue
        # What the sentence adds beyond the question; a sentence that only restates the
        # question claims nothing, so it neither needs nor earns a citation.
        claim = stems(plain) - question_stems
        if not claim:
            out_sentences.append(plain)
            continue
        scores = [support(claim, ps) for ps in passage_stems]
        ranked = sorted(
            range(len(passages)),
            key=lambda i: (scores[i], (i + 1) in cited_by_model, -i),
            reverse=True,
        )
        chosen = [i for i in ranked[:1] if scores[i] >= threshold]
        chosen += [i for i in ranked[1:] if (i + 1) in cited_by_model and scores[i] >= threshold]
        numbers = sorted(i + 1 for i in chosen)
        for i in chosen:
            best_scores[i] = max(best_scores.get(i, 0.0), scores[i])
        supports.append(SentenceSupport(plain, numbers, max(scores) if scores else 0.0))
        out_sentences.append(_with_markers(plain, numbers))
    citations = [
        Citation(n=i + 1, path=passages[i].path, page=passages[i].page,
                 start=passages[i].start, end=passages[i].end, text=passages[i].text,
                 score=best_scores[i], heading=passages[i].heading)
        for i in sorted(best_scores)
    ]
    return Attribution(" ".join(out_sentences), citations, supports)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    if not numbers:
        return sentence
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?]+[\"')\]]*$", sentence)
    if m:
        return f"{sentence[: m.start()]} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"

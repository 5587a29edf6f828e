"""Attach citations to an answer by checking what each sentence claims against the sources.

Small local models rarely cite correctly, so the engine owns citations. A sentence is split
into clauses; a clause's claim is the words it adds beyond the question. A passage supports a
clause when it holds every key term of the claim (numbers, names) and most of the rest. A
sentence is cited to the passage that supports most of its clauses; the model's own [n]
markers only break ties. Unsupported clauses are kept in the report so the caller can flag
them, and an answer with no supported clause is not grounded at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.text import key_stems, negated, sentence_spans, stems
from assistant.core.types import Citation, Passage

SUPPORT_THRESHOLD = 0.6  # share of a clause's plain (non-key) claim words a passage must hold

_MARKER = re.compile(r"\s*\[(\d{1,2})(?:\s*,\s*\d{1,2})*\]")
_MARKER_NUMS = re.compile(r"\d{1,2}")
# "…in 2019. [1] Paid…": a marker a model put after the full stop belongs to the sentence
# before it.
_MARKER_AFTER_STOP = re.compile(r"([.!?。！？])((?:\s*\[\d{1,2}(?:\s*,\s*\d{1,2})*\])+)")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")
_CLAUSE = re.compile(r";\s+|,?\s+(?:and|but|while|whereas|which|because)\s+|,\s+|[，；]\s*"
                     r"|[，]?(?:但是|而且|并且|因为|所以)", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items, without list markers and without repeats (small models loop).
    A citation marker after a sentence's full stop stays with that sentence."""
    text = _MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    out: list[str] = []
    seen: set[str] = set()
    for start, end in sentence_spans(text):
        part = text[start:end]
        if re.fullmatch(r"\s*\d{1,2}[.)]\s*", part):
            continue  # a list number the split cut off its item
        sentence = _LIST_MARK.sub("", part).strip()
        key = " ".join(_MARKER.sub("", sentence).lower().split())
        if sentence and key not in seen and re.search(r"\w", sentence):
            seen.add(key)
            out.append(sentence)
    return out


@dataclass
class SentenceSupport:
    text: str
    sources: list[int]  # 1-based source numbers that support it
    score: float  # share of its claim-bearing clauses the cited passage supports
    unsupported: list[str] = field(default_factory=list)  # clauses no passage supports


@dataclass
class Attribution:
    answer: str  # answer text with the engine's [n] markers
    citations: list[Citation]
    sentences: list[SentenceSupport] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return any(s.sources for s in self.sentences)


@dataclass
class _Claim:
    text: str
    words: set[str]
    keys: set[str]
    negated: bool


# Words about the answer rather than about the world ("The answer to this question is:",
# "According to the sources, ..."): they are not claims a passage has to hold.
META = stems("answer answers question questions source sources according based information "
             "provided text document documents context passage passages mentioned stated says") \
    | stems("答案 问题 来源 根据 资料 文档 信息 提供 提到 段落 文本 上下文")


def _claims(sentence: str, question_stems: set[str]) -> list[_Claim]:
    """The clauses of a sentence that say something beyond the question."""
    out = []
    for clause in _CLAUSE.split(sentence):
        words = stems(clause) - question_stems - META
        if words:
            out.append(_Claim(clause.strip(), words, key_stems(clause) & words,
                              negated(clause)))
    return out


@dataclass
class _Source:
    """A passage as the support check sees it: all its stems, and each sentence's."""

    stems: set[str]
    sentences: list[tuple[set[str], bool]]  # (stems, negated)

    @classmethod
    def of(cls, passage: Passage) -> _Source:
        text = passage.text
        sentences = [(stems(text[a:b]), negated(text[a:b])) for a, b in sentence_spans(text)]
        return cls(stems(f"{passage.context} {text}"), sentences)


def supports(claim: _Claim, source: _Source | set[str], threshold: float) -> bool:
    """The passage holds the claim's key terms and most of its other words, and says it the
    same way round: a claim with "not"/"never"/"without" is not backed by a sentence saying
    the opposite (nor the reverse)."""
    passage_stems = source.stems if isinstance(source, _Source) else source
    if not claim.keys <= passage_stems:
        return False
    plain = claim.words - claim.keys
    if plain and len(plain & passage_stems) / len(plain) < threshold:
        return False
    if not isinstance(source, _Source) or not source.sentences:
        return True
    # The sentence that holds most of the claim decides its polarity.
    best = max(source.sentences, key=lambda s: len(claim.words & s[0]))
    return best[1] == claim.negated


def attach_citations(answer: str, question: str, passages: list[Passage],
                     threshold: float = SUPPORT_THRESHOLD) -> Attribution:
    """Cite each answer sentence to the passages (numbered 1..n) that support it."""
    sources = [_Source.of(p) for p in passages]
    question_stems = stems(question)
    out_sentences: list[str] = []
    report: list[SentenceSupport] = []
    best: dict[int, float] = {}
    for sentence in split_sentences(answer):
        cited_by_model = {int(n) for m in _MARKER.finditer(sentence)
                          for n in _MARKER_NUMS.findall(m.group(0))}
        plain = _MARKER.sub("", sentence).strip()
        claims = _claims(plain, question_stems)
        if not claims:
            # Restates the question or is filler: it claims nothing, so it earns no citation.
            out_sentences.append(plain)
            continue
        held = [[supports(c, src, threshold) for c in claims] for src in sources]
        counts = [sum(h) for h in held]
        ranked = sorted(range(len(passages)),
                        key=lambda i: (counts[i], (i + 1) in cited_by_model, -i), reverse=True)
        chosen = [i for i in ranked[:1] if counts[i]]
        chosen += [i for i in ranked[1:] if (i + 1) in cited_by_model and counts[i]]
        unsupported = [c.text for j, c in enumerate(claims)
                       if not any(held[i][j] for i in range(len(passages)))]
        score = counts[chosen[0]] / len(claims) if chosen else 0.0
        for i in chosen:
            best[i] = max(best.get(i, 0.0), counts[i] / len(claims))
        numbers = sorted(i + 1 for i in chosen)
        report.append(SentenceSupport(plain, numbers, score, unsupported))
        out_sentences.append(with_markers(plain, numbers))
    citations = [citation_for(i + 1, passages[i], best[i]) for i in sorted(best)]
    return Attribution(" ".join(out_sentences), citations, report)


def citation_for(n: int, passage: Passage, support: float) -> Citation:
    """Citation [n] of ``passage``, carrying why it ranked (for "why this answer")."""
    return Citation(n=n, path=passage.path, page=passage.page, start=passage.start,
                    end=passage.end, text=passage.text, score=support, heading=passage.heading,
                    fused_score=passage.score, similarity=passage.similarity,
                    dense_rank=passage.dense_rank, lexical_rank=passage.lexical_rank)


def with_markers(sentence: str, numbers: list[int]) -> str:
    if not numbers:
        return sentence
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?。！？]+[\"')\]”」』）]*$", sentence)
    if m:
        return f"{sentence[: m.start()]} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"

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

from assistant.core.retrieval import terms
from assistant.core.types import Citation, Passage

SUPPORT_THRESHOLD = 0.6  # share of a clause's plain (non-key) claim words a passage must hold

_MARKER = re.compile(r"\s*\[(\d{1,2})(?:\s*,\s*\d{1,2})*\]")
_MARKER_NUMS = re.compile(r"\d{1,2}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")
_CLAUSE = re.compile(r";\s+|,?\s+(?:and|but|while|whereas|which|because)\s+|,\s+", re.I)
_WORD = re.compile(r"\w+", re.UNICODE)


def stem(word: str) -> str:
    """Crude, language-light stemming: enough to match 'Normans' with 'Norman'."""
    return word if len(word) <= 4 or word.isdigit() else word[:5]


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
    return {stem(t) for t in terms(numbers_as_digits(text))}


def key_stems(text: str) -> set[str]:
    """Numbers and capitalised words after the first word: the facts a clause commits to."""
    out = set()
    for i, m in enumerate(_WORD.finditer(numbers_as_digits(text))):
        w = m.group(0)
        if any(ch.isdigit() for ch in w) or (i > 0 and w[0].isupper()):
            out.add(stem(w.lower()))
    return out


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


# Words about the answer rather than about the world ("The answer to this question is:",
# "According to the sources, ..."): they are not claims a passage has to hold.
META = stems("answer answers question questions source sources according based information "
             "provided text document documents context passage passages mentioned stated says")


def _claims(sentence: str, question_stems: set[str]) -> list[_Claim]:
    """The clauses of a sentence that say something beyond the question."""
    out = []
    for clause in _CLAUSE.split(sentence):
        words = stems(clause) - question_stems - META
        if words:
            out.append(_Claim(clause.strip(), words, key_stems(clause) & words))
    return out


def supports(claim: _Claim, passage_stems: set[str], threshold: float) -> bool:
    if not claim.keys <= passage_stems:
        return False
    plain = claim.words - claim.keys
    if not plain:
        return True
    return len(plain & passage_stems) / len(plain) >= threshold


def attach_citations(answer: str, question: str, passages: list[Passage],
                     threshold: float = SUPPORT_THRESHOLD) -> Attribution:
    """Cite each answer sentence to the passages (numbered 1..n) that support it."""
    passage_stems = [stems(f"{p.context} {p.text}") for p in passages]
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
        held = [[supports(c, ps, threshold) for c in claims] for ps in passage_stems]
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
        out_sentences.append(_with_markers(plain, numbers))
    citations = [
        Citation(n=i + 1, path=passages[i].path, page=passages[i].page,
                 start=passages[i].start, end=passages[i].end, text=passages[i].text,
                 score=best[i], heading=passages[i].heading)
        for i in sorted(best)
    ]
    return Attribution(" ".join(out_sentences), citations, report)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    if not numbers:
        return sentence
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?]+[\"')\]]*$", sentence)
    if m:
        return f"{sentence[: m.start()]} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"

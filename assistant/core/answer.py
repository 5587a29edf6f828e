"""Answer a question from the index: retrieve, prompt, stream, then cite and check.

``Answerer.answer`` returns an :class:`AnswerStream`: iterate it for :class:`SourcesFound`,
:class:`ModelState` (only when the model has to load first), :class:`TokenStreamed` pieces,
then one :class:`AnswerDone` carrying the final text with the engine's citations. When
retrieval finds nothing relevant the model is not called at all. ``cancel()`` on the stream,
from any thread, stops it at the next token; the AnswerDone then keeps what was written.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.core.errors import EmptyQuestionError
from assistant.core.evidence import (
    Confidence,
    Evidence,
    EvidenceFinder,
    has_kind,
    heading_like,
)
from assistant.core.llm import GenerationCancelled, LocalGenerator
from assistant.core.prompting import evidence_messages, judge_messages, not_found
from assistant.core.text import detect_language, flat, is_cjk, stems, terms, unwrapped
from assistant.core.types import (
    FAILED,
    READY,
    AnswerDone,
    AnswerEvent,
    Citation,
    ModelState,
    Passage,
    SourcesFound,
    TokenStreamed,
)
from assistant.core.verify import (
    Attribution,
    attach_citations,
    citation_for,
    split_sentences,
    with_markers,
)

EVIDENCE_SENTENCES = 3  # sentences the model reads

# Small models sometimes carry on by writing the next question or source themselves.
STOP = ["\nQuestion:", "Question:", "\nSources:", "问题：", "\n资料："]

# How models say they can't answer from the sources.
# How models say they can't answer from the sources: a refusal is a sentence of its own
# *form* (who can't find what), read at the start of the draft, after an optional lead such
# as "Unfortunately," or "Based on the sources,".
_LEAD = r"^\W*(?:(?:i'?m sorry|sorry|unfortunately|however|based on (?:the|these) " \
        r"(?:sources|documents|passages|text)|according to (?:the|these) (?:sources|documents|" \
        r"passages|text))\W+)?"
_DECLINE = re.compile(
    _LEAD + r"(?:"
    r"(?:i|we) (?:can'?t|cannot|can not|could ?n[o']t|am unable to|was unable to|don'?t|do "
    r"not|did not) (?:find|answer|know|see|determine|tell|say|provide)"
    r"|(?:the )?(?:provided |given )?(?:sources?|documents?|context|text|passages?|information)"
    r"(?: provided| given| above)? (?:do|does|did)(?: not|n'?t) (?:contain|mention|say|provide|"
    r"include|specify|state|answer|give|tell|cover|discuss)"
    r"|there (?:is|are|was)(?: no|n'?t any) (?:relevant |specific )?(?:information|mention|"
    r"answer|data|details)"
    r"|(?:this|that|it) is not (?:mentioned|stated|specified|provided|given|covered|answered)"
    r"|no (?:relevant )?(?:information|answer) (?:is|was|can be) (?:found|given|provided)"
    r"|not (?:mentioned|stated|specified|provided) in"
    r")",
    re.IGNORECASE,
)
# The same in Chinese: "资料中没有提到…", "无法回答", "抱歉，…".
_DECLINE_ZH = re.compile(
    r"^\W*(?:抱歉|对不起|很遗憾|根据(?:资料|文档|来源)[，,]?)?\W*(?:"
    r"(?:我)?(?:无法|不能|没有办法|没法)(?:从\S{0,6})?(?:找到|回答|确定|得知|判断|提供)"
    r"|(?:所给|提供的)?(?:资料|文档|来源|上下文|文本|段落|内容)(?:中|里)?(?:并)?(?:没有|未|不)"
    r"(?:提到|提及|包含|说明|给出|涉及|回答)"
    r"|没有(?:相关|足够)?(?:的)?(?:信息|内容|资料|答案)"
    r"|(?:我)?不知道|找不到)")


# Words that point back to an earlier turn ("And who founded it?").
_BACK_REFERENCES = frozenset(
    "it its they them their theirs he him his she her hers this that these those there "
    "then same former latter one".split())

# Chinese pronouns and demonstratives ("它是哪一年建成的？").
_ZH_BACK_REFERENCE = re.compile("它们|他们|她们|它|他|她|这个|那个|这些|那些|该|其|此")
_BACK_REFERENCES = _BACK_REFERENCES | {"它们", "他们", "她们", "它", "他", "她", "这个", "那个",
                                       "这些", "那些", "该", "其", "此"}

History = list[tuple[str, str]]  # earlier (question, answer) pairs, oldest first


def contextual_query(question: str, history: History | None) -> str:
    """The text to retrieve with: the question, plus the previous question when this one
    leans on it (a back-reference, or too few words of its own to search with)."""
    if not history:
        return question
    words = set(re.findall(r"\w+", question.lower()))
    if is_cjk(question):
        words = set(_ZH_BACK_REFERENCE.findall(question))
    if words & _BACK_REFERENCES or len(terms(question)) <= 2:
        return f"{question} {history[-1][0]}"
    return question


def declines(draft: str) -> bool:
    """The model says it can't answer: decided on the draft's opening sentence and its form,
    so "The NDA says no information may be shared" is not taken for a refusal."""
    sentences = split_sentences(draft)
    first = sentences[0] if sentences else draft
    return bool(_DECLINE.search(first) or _DECLINE_ZH.search(first))


def answers_question(draft: str, question: str) -> bool:
    """The draft is about what was asked: it holds some of the question's own words (the
    lighthouse sentence copied for "Who mapped the salt marshes?" holds none)."""
    asked = stems(question)
    return not asked or len(asked & stems(draft)) / len(asked) >= 0.25


_PREAMBLE = re.compile(r"^\s*(?:the\s+)?(?:short\s+)?answer(?:\s+to\s+(?:this|the)\s+question)?"
                       r"\s+is\s*:\s*|^\s*answer\s*:\s*|^\s*(?:答案是|答案|回答|答)\s*[:：]\s*",
                       re.IGNORECASE)


def _without_trailing_chatter(att: Attribution) -> Attribution:
    """Drop what follows the last sentence a source backs (small models ramble on after
    answering: "This is the only source that provides ...") and an "The answer is:" lead."""
    last = max(i for i, s in enumerate(att.sentences) if s.sources)
    kept = att.sentences[: last + 1]
    cited = {n for s in kept for n in s.sources}
    text = _PREAMBLE.sub("", " ".join(with_markers(s.text, s.sources) for s in kept))
    text = text[:1].upper() + text[1:]
    return Attribution(text, [c for c in att.citations if c.n in cited], kept)


QUOTE_FROM = 3  # the quoted sentence is one of the best this many


def _quotable(found: Any, used: list[Any], threshold: float, kind: str,
              question: str) -> Any:
    """The sentence to quote when the draft fails: among the best few, the first scoring at
    least ``threshold`` that holds the kind of thing asked; None when there is none."""
    for sentence in found.sentences[:QUOTE_FROM]:
        if sentence.score < threshold:
            break
        if (found.passages[sentence.passage] in used and not heading_like(sentence.text)
                and has_kind(sentence.text, kind, question)):
            return sentence
    return None


_DOCUMENT_MARK = re.compile(r"\[(\d{1,2})\]")


def quote(text: str) -> str:
    """A document's sentence, quoted. Its own footnote marks ("[2]" in a Wikipedia article)
    would read as this answer's citations and link to another source: they keep their look
    in full-width brackets, which nothing takes for a citation."""
    line = _DOCUMENT_MARK.sub(lambda m: f"［{m.group(1)}］", flat(text))
    return "“" + line + "”"


def _drawn_from(draft: str, sentence: str, question: str) -> bool:
    """The draft says what it says from this sentence (its own words beyond the question's
    are mostly the sentence's), so quoting the sentence too would only repeat it."""
    said = stems(draft) - stems(question)
    return not said or len(said & stems(sentence)) / len(said) >= 0.8


def _same_passage(citation: Citation, found: Evidence, used: list[Passage]) -> bool:
    """The citation points at a passage holding one of the two best sentences."""
    top = {found.passages[s.passage].chunk_id for s in found.sentences[:2]}
    return 0 < citation.n <= len(used) and used[citation.n - 1].chunk_id in top


def _with_citation(citations: list[Citation], used: list[Passage], n: int,
                   support: float) -> list[Citation]:
    if any(c.n == n for c in citations):
        return citations
    p = used[n - 1]
    return sorted([*citations, citation_for(n, p, support)], key=lambda c: c.n)


def evidence_blocks(found: Evidence, sentences: int = EVIDENCE_SENTENCES
                    ) -> tuple[list[Passage], list[tuple[Passage, str]]]:
    """The passages the model reads (numbered in this order) and, for each, the sentences
    of it that scored best, in document order."""
    chosen: dict[int, list[Any]] = {}
    for s in found.sentences:
        if len(chosen) >= sentences and s.passage not in chosen:
            break
        chosen.setdefault(s.passage, []).append(s)
        if sum(len(v) for v in chosen.values()) >= sentences:
            break
    used, blocks = [], []
    for index, picked in chosen.items():
        passage = found.passages[index]
        picked.sort(key=lambda s: s.start)
        text = ""
        for i, s in enumerate(picked):
            gap = i and s.start > picked[i - 1].end + 2
            text += (" … " if gap else " " if i else "") + unwrapped(s.text)
        used.append(passage)
        blocks.append((passage, text))
    return used, blocks


class Searcher(Protocol):
    def search(self, query: str, k: int) -> list[Passage]: ...


class AnswerStream:
    """One answer in progress: iterate it for its events; ``cancel()`` from any thread.

    The inference lane is held only while the model writes, and is released when the stream
    ends, is cancelled, closed, or dropped before the end.
    """

    def __init__(self, produce: Callable[[threading.Event], Iterator[AnswerEvent]]):
        self._cancel = threading.Event()
        self._events = produce(self._cancel)
        self.done: AnswerDone | None = None

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> AnswerEvent:
        event = next(self._events)
        if isinstance(event, AnswerDone):
            self.done = event
        return event

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def result(self) -> AnswerDone:
        """Run to the end and return the final event."""
        for _ in self:
            pass
        assert self.done is not None
        return self.done

    def close(self) -> None:
        self._events.close()

    def __del__(self) -> None:
        try:
            self._events.close()
        except Exception:  # noqa: BLE001,S110 - interpreter shutdown
            pass


@dataclass
class Thresholds:
    """When the evidence is too weak or contrary to answer. Chosen with scripts/calibrate.py
    on the tuning half of ../shared/eval (the most abstention on unanswerable questions with
    false abstention on answerable ones at most 0.10); see the README's figures."""

    skip_model: float = 0.85  # best sentence score below this: "not in your documents" at once
    quote: float = 0.89  # at or above: the best sentence is quoted when the model's draft fails
    keys: float = 0.5  # share of the question's names and numbers the best passage must hold
    numbers: bool = False  # every number in the question must be in the best passage
    contrary: bool = True  # a question asking the opposite of the evidence is not answered
    # The model's yes/no log-odds, asked after its draft, that the best evidence sentence
    # answers the question as asked; below this: not answered. None: not asked.
    judged: float | None = None


# Log-odds are on each model's own scale, so a judge threshold belongs to one model; the
# best sentence's score is on the embedder's scale (its cosine similarity plus the
# question's words it holds), so the other thresholds belong to one embedder with that model.
# Calibrated on the tuning half of ../shared/eval (scripts/eval.py --split tune --open
# --dump, scripts/calibrate.py), at most 0.10 false abstention: with Qwen2.5-Coder-0.5B and
# MiniLM abstention on unanswerable questions went from 0.39 to 0.45; with e5 (100 sampled
# questions) 0.44 with MiniLM's thresholds, 0.54 with its own, and the report half, not
# tuned on, is in the README. A model not listed is not judged and gets the defaults; an
# embedder not listed (a server's) gets MiniLM's.
MINILM, E5 = "minilm", "multilingual-e5-small"  # E5: the embedder's name, exactly
MODEL_THRESHOLDS = {
    ("qwen2.5-coder-0.5b-instruct.gguf", MINILM): Thresholds(
        skip_model=0.765, quote=0.765, keys=0.5, judged=-1.041),
    ("qwen2.5-coder-0.5b-instruct.gguf", E5): Thresholds(
        skip_model=0.995, quote=0.995, keys=0.5, judged=-0.774),
}


def thresholds_for(model_name: str, embedder_name: str = "") -> Thresholds:
    family = E5 if embedder_name == E5 else MINILM  # a server's e5 is another scale
    return dataclasses.replace(MODEL_THRESHOLDS.get((model_name.lower(), family), Thresholds()))


class Answerer:
    def __init__(self, retriever: Searcher, generator: LocalGenerator, evidence: EvidenceFinder,
                 top_k: int = 5, max_answer_tokens: int = 200, temperature: float = 0.1,
                 thresholds: Thresholds | None = None, candidates: int = 8):
        self.retriever = retriever
        self.generator = generator
        self.evidence = evidence
        self.top_k = top_k
        self.max_answer_tokens = max_answer_tokens
        self.temperature = temperature
        self.thresholds = thresholds or Thresholds()
        self.candidates = max(candidates, top_k)

    def answer(self, question: str, history: History | None = None) -> AnswerStream:
        """Answer ``question``; ``history`` (earlier turns of the conversation) lets a
        follow-up such as "And who founded it?" find what "it" is."""
        question = question.strip()
        if not question:
            raise EmptyQuestionError("the question is empty")
        return AnswerStream(lambda cancel: self._answer(question, cancel, history))

    def _answer(self, question: str, cancel: threading.Event,
                history: History | None = None) -> Iterator[AnswerEvent]:
        t0 = time.perf_counter()
        not_here = not_found(detect_language(question))  # "not in your documents", in its language
        query = contextual_query(question, history)
        found = self.evidence.find(query, self.retriever.search(query, self.candidates),
                                   keep=self.top_k)
        passages = found.passages
        timings = {"retrieval_s": time.perf_counter() - t0}
        yield SourcesFound(passages)
        confidence = found.confidence
        th = self.thresholds
        if not passages:
            yield self._done(question, not_here, True, [], timings, t0, "no-documents",
                             confidence=confidence)
            return
        if th.contrary and confidence.contrary:
            yield self._done(question, not_here, True, [], timings, t0, "contrary",
                             confidence=confidence)
            return
        if (confidence.score < th.skip_model or confidence.keys_found < th.keys
                or (th.numbers and confidence.numbers_missing)):
            yield self._done(question, not_here, True, [], timings, t0, "not-relevant",
                             confidence=confidence)
            return
        if cancel.is_set():
            yield self._done(question, "", False, [], timings, t0, "cancelled",
                             cancelled=True, confidence=confidence)
            return
        yield from self._load_model()

        used, blocks = evidence_blocks(found)
        earlier = history[-1][0] if query != question and history else ""
        messages = evidence_messages(question, blocks, self.generator.count_tokens,
                                     self.generator.n_ctx - self.max_answer_tokens, earlier)
        pieces: list[str] = []
        cancelled = yield from self._stream(messages, pieces, timings, cancel)
        draft = "".join(pieces).strip()
        timings["generation_s"] = time.perf_counter() - t0 - timings["retrieval_s"]

        if cancelled:  # keep what was written, cited where a source holds it
            att = attach_citations(draft, query, used)
            yield self._done(question, att.answer if draft else "", False, att.citations,
                             timings, t0, "cancelled", draft, cancelled=True,
                             confidence=confidence)
            return
        best = found.sentences[0]
        best_n = used.index(found.passages[best.passage]) + 1
        att = attach_citations(draft, query, used) if draft else None
        if att is not None and att.supported:
            att = _without_trailing_chatter(att)
        declined = bool(draft) and declines(draft)
        on_topic = att is not None and att.supported and answers_question(draft, query) and any(
            c.n == best_n or _same_passage(c, found, used) for c in att.citations)
        kind_ok = has_kind(draft, confidence.kind, question)
        answers = att is not None and on_topic and kind_ok and not declined
        # The model's draft is off, but a sentence of the documents may answer: quote it
        # (the best one that holds what was asked: a number for "how many", ...).
        pick = None if answers else _quotable(found, used, th.quote, confidence.kind, question)
        quotes = pick is not None and confidence.kind_found
        # The judge is asked only when something would be shown: its "no" then abstains.
        if (answers or quotes) and self._judged_no(th, confidence, question, best.text,
                                                    earlier):
            yield self._done(question, not_here, True, [], timings, t0, "judged", draft,
                             confidence=confidence)
            return
        if answers:
            assert att is not None
            answer = att.answer
            citations = list(att.citations)
            if not _drawn_from(draft, best.text, query):  # the best evidence says more
                answer += f"\n\n> {quote(best.text)} [{best_n}]"
                citations = _with_citation(citations, used, best_n, best.score)
            unsupported = [c for snt in att.sentences for c in snt.unsupported]
            yield self._done(question, answer, False, citations, timings, t0, "", draft,
                             unsupported=unsupported, attribution=att, confidence=confidence)
            return
        if quotes:
            assert pick is not None
            n = used.index(found.passages[pick.passage]) + 1
            answer = f"> {quote(pick.text)} [{n}]"
            citations = _with_citation([], used, n, pick.score)
            yield self._done(question, answer, False, citations, timings, t0, "quoted", draft,
                             confidence=confidence)
            return
        reason = "model-declined" if declined or not draft else "unsupported"
        yield self._done(question, not_here, True, [], timings, t0, reason, draft,
                         confidence=confidence)

    def _judged_no(self, th: Thresholds, confidence: Confidence, question: str,
                   sentence: str, earlier: str) -> bool:
        """Ask the model whether the best evidence sentence answers the question as asked
        (its yes/no log-odds, recorded in ``confidence``; one forward pass over about 100
        tokens, no sampling); True when it clearly says no."""
        odds = getattr(self.generator, "yes_odds", None)
        if th.judged is None or odds is None:  # not calibrated, or a generator that can't say
            return False
        confidence.judged = float(odds(judge_messages(question, sentence, earlier)))
        return confidence.judged < th.judged

    def _stream(self, messages: list[dict[str, str]], pieces: list[str],
                timings: dict[str, float], cancel: threading.Event
                ) -> Generator[AnswerEvent, None, bool]:
        """Stream the model's reply into ``pieces``; returns True when it was cancelled."""
        t1 = time.perf_counter()
        cancelled = False
        try:
            for piece in self.generator.stream_chat(messages, self.max_answer_tokens,
                                                    self.temperature, stop=STOP,
                                                    cancel=cancel):
                if not pieces:
                    timings["first_token_s"] = time.perf_counter() - t1
                pieces.append(piece)
                yield TokenStreamed(piece)
        except GenerationCancelled:
            cancelled = True
        gen_s = time.perf_counter() - t1
        timings["tokens"] = float(len(pieces))
        if pieces and gen_s > 0:
            timings["tokens_per_s"] = len(pieces) / gen_s
        return cancelled

    def _done(self, question: str, answer: str, abstained: bool, citations: list[Citation],
              timings: dict[str, float], t0: float, reason: str = "", draft: str = "",
              **extra: Any) -> AnswerDone:
        timings["total_s"] = time.perf_counter() - t0
        attribution = extra.pop("attribution", None)
        confidence = extra.pop("confidence", None)
        done = AnswerDone(question, answer, abstained, citations, timings, reason, draft,
                          **extra)
        if attribution is not None:
            done.sentences = [{"text": snt.text, "sources": snt.sources,
                               "support": round(snt.score, 4), "unsupported": snt.unsupported}
                              for snt in attribution.sentences]
        if confidence is not None:
            done.confidence = confidence.to_json()
        return done

    def _load_model(self) -> Iterator[ModelState]:
        """Load the model if it isn't yet (or wait for the thread loading it), saying so."""
        generator: Any = self.generator
        if getattr(generator, "loaded", True):
            return
        yield ModelState("loading", generator.name)
        t0 = time.perf_counter()
        try:
            generator.load()
        except Exception as exc:
            yield ModelState(FAILED, generator.name, str(exc))
            raise
        yield ModelState(READY, generator.name, seconds=time.perf_counter() - t0)

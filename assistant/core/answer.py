"""Answer a question from the index: retrieve, prompt, stream, then cite and check.

``Answerer.answer`` returns an :class:`AnswerStream`: iterate it for :class:`SourcesFound`,
:class:`ModelState` (only when the model has to load first), :class:`TokenStreamed` pieces,
then one :class:`AnswerDone` carrying the final text with the engine's citations. When
retrieval finds nothing relevant the model is not called at all. ``cancel()`` on the stream,
from any thread, stops it at the next token; the AnswerDone then keeps what was written.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from assistant.core.errors import EmptyQuestionError
from assistant.core.llm import GenerationCancelled, LocalGenerator
from assistant.core.prompting import NOT_FOUND, build_messages
from assistant.core.retrieval import terms
from assistant.core.types import (
    FAILED,
    READY,
    AnswerDone,
    AnswerEvent,
    ModelState,
    Passage,
    SourcesFound,
    TokenStreamed,
)
from assistant.core.verify import attach_citations, stem, stems

# Small models sometimes carry on by writing the next question or source themselves.
STOP = ["\nQuestion:", "Question:", "\nSources:"]

# How models say they can't answer from the sources.
_DECLINE = re.compile(
    r"can(?:'|no)t find|cannot find|can ?not answer|unable to (?:find|answer)|"
    r"(?:sources|documents|context|text) (?:do(?:es)? not|don't|doesn't) "
    r"(?:contain|mention|say|provide|include)|no (?:relevant )?information|"
    r"not (?:mentioned|provided|stated|specified) in|i don't know|i do not know",
    re.IGNORECASE,
)


# Words that point back to an earlier turn ("And who founded it?").
_BACK_REFERENCES = frozenset(
    "it its they them their theirs he him his she her hers this that these those there "
    "then same former latter one".split())

History = list[tuple[str, str]]  # earlier (question, answer) pairs, oldest first


def contextual_query(question: str, history: History | None) -> str:
    """The text to retrieve with: the question, plus the previous question when this one
    leans on it (a back-reference, or too few words of its own to search with)."""
    if not history:
        return question
    words = set(re.findall(r"\w+", question.lower()))
    if words & _BACK_REFERENCES or len(terms(question)) <= 2:
        return f"{question} {history[-1][0]}"
    return question


def question_coverage(question: str, passage: Passage) -> float:
    """Share of the question's content words found in the passage (and its title/heading)."""
    wanted = set(terms(question))
    if not wanted:
        return 0.0
    have = stems(f"{passage.context} {passage.text}")
    return sum(1 for w in wanted if stem(w) in have) / len(wanted)


def focus(passages: list[Passage], margin: float, keep: int = 2) -> list[Passage]:
    """Drop passages far less similar to the question than the best one.

    Small models lose the thread in long contexts full of near-misses; the first ``keep``
    passages always stay (fusion may rank a lexical hit high that the embedding misjudges).
    """
    sims = [p.similarity for p in passages if p.similarity is not None]
    if not sims:
        return passages
    floor = max(sims) - margin
    return [p for i, p in enumerate(passages)
            if i < keep or (p.similarity is not None and p.similarity >= floor)]


def is_relevant(question: str, passages: list[Passage], min_similarity: float) -> bool:
    """Whether the best passages plausibly address the question at all."""
    for p in passages:
        if p.similarity is not None and p.similarity >= min_similarity:
            return True
        if question_coverage(question, p) >= 0.6:
            return True
    return False


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


class Answerer:
    def __init__(self, retriever: Searcher, generator: LocalGenerator, top_k: int = 5,
                 min_similarity: float = 0.3, max_answer_tokens: int = 200,
                 temperature: float = 0.1, focus_margin: float = 0.1):
        self.retriever = retriever
        self.generator = generator
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.max_answer_tokens = max_answer_tokens
        self.temperature = temperature
        self.focus_margin = focus_margin

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
        query = contextual_query(question, history)
        passages = self.retriever.search(query, self.top_k)
        timings = {"retrieval_s": time.perf_counter() - t0}
        yield SourcesFound(passages)

        if not passages or not is_relevant(query, passages, self.min_similarity):
            timings["total_s"] = time.perf_counter() - t0
            reason = "no-documents" if not passages else "not-relevant"
            yield AnswerDone(question, NOT_FOUND, True, [], timings, reason)
            return
        if cancel.is_set():
            yield AnswerDone(question, "", False, [], timings, "cancelled", cancelled=True)
            return
        yield from self._load_model()

        budget = self.generator.n_ctx - self.max_answer_tokens
        offered = focus(passages, self.focus_margin)
        earlier = history[-1][0] if query != question and history else ""
        messages, used = build_messages(question, offered, self.generator.count_tokens, budget,
                                        earlier)
        t1 = time.perf_counter()
        pieces: list[str] = []
        cancelled = False
        try:
            for piece in self.generator.stream_chat(messages, self.max_answer_tokens,
                                                    self.temperature, stop=STOP, cancel=cancel):
                if not pieces:
                    timings["first_token_s"] = time.perf_counter() - t1
                pieces.append(piece)
                yield TokenStreamed(piece)
        except GenerationCancelled:
            cancelled = True
        gen_s = time.perf_counter() - t1
        timings["generation_s"] = gen_s
        timings["tokens"] = float(len(pieces))
        if pieces and gen_s > 0:
            timings["tokens_per_s"] = len(pieces) / gen_s
        draft = "".join(pieces).strip()

        if cancelled:  # keep what was written, cited where a source holds it
            attribution = attach_citations(draft, query, used)
            timings["total_s"] = time.perf_counter() - t0
            yield AnswerDone(question, attribution.answer if draft else "", False,
                             attribution.citations, timings, "cancelled", draft,
                             cancelled=True)
            return
        if not draft or _DECLINE.search(draft):
            timings["total_s"] = time.perf_counter() - t0
            yield AnswerDone(question, NOT_FOUND, True, [], timings, "model-declined", draft)
            return
        attribution = attach_citations(draft, query, used)
        timings["total_s"] = time.perf_counter() - t0
        if not attribution.supported:
            yield AnswerDone(question, NOT_FOUND, True, [], timings, "unsupported", draft)
            return
        unsupported = [c for s in attribution.sentences for c in s.unsupported]
        yield AnswerDone(question, attribution.answer, False, attribution.citations, timings,
                         unsupported=unsupported)

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

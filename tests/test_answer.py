"""Answer control flow with a scripted model and a bag-of-words embedder: the event order,
what is cited, when the engine quotes the documents instead of the model, and when it says
"not in your documents"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pytest

from assistant.core.answer import Answerer, Thresholds, declines
from assistant.core.evidence import EvidenceFinder, asks_for
from assistant.core.text import words
from assistant.core.types import AnswerDone, Passage, SourcesFound, TokenStreamed


def embed(texts: list[str]) -> np.ndarray:
    """Bag of words hashed into 256 dimensions, normalised: similar words, similar vectors."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for w in words(text):
            out[row, int(hashlib.md5(w.encode()).hexdigest(), 16) % 256] += 1.0
        norm = np.linalg.norm(out[row])
        if norm:
            out[row] /= norm
    return out


def passage(text: str, page: int, cid: str = "") -> Passage:
    return Passage(cid or f"c{page}", "/d/r.pdf", page, 0, len(text), text, similarity=0.5,
                   score=1.0 / page)


class FakeRetriever:
    def __init__(self, passages: list[Passage]):
        self.passages = passages

    def search(self, query: str, k: int) -> list[Passage]:
        return self.passages[:k]


class ScriptedModel:
    """Streams a fixed reply, like llm's MockModel."""

    n_ctx = 2048
    name = "scripted"
    loaded = True

    def __init__(self, reply: str):
        self.reply = reply
        self.calls = 0
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(self, messages, max_tokens, temperature, stop=None,  # noqa: ANN001
                    cancel=None) -> Iterator[str]:  # noqa: ANN001
        self.calls += 1
        self.prompts.append(messages[-1]["content"])
        words_ = self.reply.split(" ")
        yield from (w if i == 0 else " " + w for i, w in enumerate(words_))


PASSAGES = [passage("The bridge opened to traffic in May 1937. It spans the strait.", 3),
            passage("Fog is common in the bay in summer. Sea lions rest on the piers.", 4)]
NOTES = [passage("The cartographer Quillon Ashgrove mapped the salt marshes in 1887.", 1, "a"),
         passage("The lighthouse at Penwithick burns whale oil.", 2, "b")]


def run(reply: str, passages: list[Passage] = PASSAGES, question: str = "When did the bridge "
        "open?", thresholds: Thresholds | None = None) -> tuple[list, ScriptedModel]:
    model = ScriptedModel(reply)
    finder = EvidenceFinder(embed, lambda w: 1, lambda: 100)
    answerer = Answerer(FakeRetriever(passages), model, finder,  # type: ignore[arg-type]
                        thresholds=thresholds or Thresholds(skip_model=0.3, quote=0.6))
    return list(answerer.answer(question)), model


def test_event_order_and_citation() -> None:
    events, model = run("It opened in May 1937.")
    assert isinstance(events[0], SourcesFound)
    assert all(isinstance(e, TokenStreamed) for e in events[1:-1])
    done = events[-1]
    assert isinstance(done, AnswerDone) and not done.abstained
    assert [c.page for c in done.citations] == [3]
    assert done.answer.startswith("It opened in May 1937 [1].")
    assert "opened to traffic in May 1937" in model.prompts[0]  # the evidence, not all text
    assert done.sentences and done.confidence["kind"] == "time"


def test_a_copied_wrong_passage_is_replaced_by_the_quote_that_answers() -> None:
    """The issue's salt-marsh case: the model copies the second note, which is in the
    documents (so it "passes" a plain support check) but does not answer the question."""
    events, _ = run("The lighthouse at Penwithick burns whale oil [2].", NOTES,
                    "Who mapped the salt marshes?")
    done = events[-1]
    assert not done.abstained and done.reason == "quoted"
    assert "Quillon Ashgrove mapped the salt marshes in 1887" in done.answer
    assert "whale oil" not in done.answer
    assert [c.path for c in done.citations] == ["/d/r.pdf"] and done.citations[0].page == 1


def test_a_quoted_sentence_keeps_its_footnote_marks_out_of_the_citations() -> None:
    """Document text holding "[2]" (a Wikipedia footnote) is quoted: it must not become a
    citation of the answer's second source."""
    notes = [passage("The cartographer Quillon Ashgrove mapped the salt marshes in 1887 [2].",
                     1, "a"), NOTES[1]]
    events, _ = run("The lighthouse at Penwithick burns whale oil [2].", notes,
                    "Who mapped the salt marshes?")
    done = events[-1]
    assert done.reason == "quoted" and "Quillon Ashgrove" in done.answer
    assert "[2]" not in done.answer and "［2］" in done.answer
    assert [c.n for c in done.citations] == [1]


def test_chatter_after_the_answer_and_its_preamble_are_dropped() -> None:
    events, _ = run("The answer is: it opened in May 1937. This is the only source that "
                    "talks about bridges in great detail.")
    done = events[-1]
    assert done.answer.startswith("It opened in May 1937 [1].")
    assert "only source" not in done.answer


def test_model_decline_with_weak_evidence_is_abstention() -> None:
    events, _ = run("The sources do not contain that information.",
                    thresholds=Thresholds(skip_model=0.3, quote=9.0))
    done = events[-1]
    assert done.abstained and done.reason == "model-declined"


def test_unsupported_answer_with_weak_evidence_is_abstention_with_draft_kept() -> None:
    events, _ = run("It opened in 1952 by order of the mayor.",
                    thresholds=Thresholds(skip_model=0.3, quote=9.0))
    done = events[-1]
    assert done.abstained and done.reason == "unsupported"
    assert "1952" in done.draft and done.citations == []


def test_irrelevant_sources_skip_the_model() -> None:
    weak = [passage("Bananas are yellow and grow in bunches.", 1)]
    events, model = run("whatever", weak)
    assert model.calls == 0 and events[-1].reason == "not-relevant"


def test_missing_names_and_numbers_skip_the_model() -> None:
    """Asked about Oslo and 1951 when the documents speak of 1937: not answered from them."""
    events, model = run("It opened in May 1937.", question="What opened in Oslo in 1951?")
    assert model.calls == 0 and events[-1].abstained
    strict = Thresholds(skip_model=0.3, quote=0.6, keys=0.0, numbers=True)
    events, model = run("It opened in May 1937.", question="What opened in May 1951?",
                        thresholds=strict)
    assert model.calls == 0 and events[-1].abstained


def test_a_question_asking_the_opposite_is_not_answered() -> None:
    events, model = run("It opened in May 1937.", question="When did the bridge not open?")
    assert model.calls == 0 and events[-1].abstained and events[-1].reason == "contrary"


def test_declining_is_read_from_the_opening() -> None:
    assert declines("I can't find the answer to that in your documents.")
    assert declines("The sources do not mention the lease.")
    assert not declines("The NDA says no information may be shared with third parties.")
    assert not declines("Paid leave is 25 days. The sources do not mention sick leave.")


@pytest.mark.parametrize("question,kind", [
    ("When was it lit?", "time"), ("What year did it open?", "time"),
    ("How many lighthouses were visited?", "number"), ("Who mapped the marshes?", "name"),
    ("Why is the sky blue?", ""), ("What temperature should the heap reach?", "temperature"),
    ("How hot does the centre get?", "temperature"), ("What height is the tower?", "number"),
])
def test_what_the_question_asks_for(question: str, kind: str) -> None:
    assert asks_for(question) == kind


def test_a_failed_draft_is_replaced_by_a_quote_that_holds_what_was_asked() -> None:
    """The model's draft misses; the best sentences are a heading and one without any
    temperature: nothing is quoted. With a sentence that holds one, that sentence is."""
    heat = [passage("Hot and cold heaps\nA hot heap is built at once from garden waste. "
                    "It is turned every week.", 3)]
    question = "What temperature does a hot heap reach?"
    events, _ = run("Heaps are nice.", heat, question, Thresholds(skip_model=0.1, quote=0.1))
    assert events[-1].abstained
    heat = [passage("Hot and cold heaps\nA hot heap is built at once from garden waste. "
                    "The hot heap reaches 60 degrees Celsius.", 3)]
    events, _ = run("Heaps are nice.", heat, question, Thresholds(skip_model=0.1, quote=0.1))
    assert events[-1].reason == "quoted" and "60 degrees" in events[-1].answer


def test_a_heading_is_never_quoted_as_the_answer() -> None:
    heat = [passage("Hot and cold heaps\nA hot heap is built at once from garden waste.", 3)]
    events, _ = run("Heaps are nice.", heat, "Which heaps are hot and cold heaps?",
                    Thresholds(skip_model=0.1, quote=0.1))
    assert events[-1].reason == "quoted"
    assert "garden waste" in events[-1].answer and "heaps”" not in events[-1].answer


@pytest.mark.parametrize("text,kind,holds", [
    ("Roughly a third of household rubbish could be composted.", "number", True),
    ("Microbes heat the centre to between 55 and 65 degrees Celsius.", "temperature", True),
    ("It is turned every week, 3 times.", "temperature", False),
    ("Hot composting builds a large heap.", "number", False),
])
def test_what_a_sentence_holds(text: str, kind: str, holds: bool) -> None:
    from assistant.core.evidence import has_kind

    assert has_kind(text, kind) is holds


class JudgingModel(ScriptedModel):
    """A scripted model that also answers the judge's yes/no question with fixed odds."""

    def __init__(self, reply: str, odds: float):
        super().__init__(reply)
        self.odds = odds
        self.judged: list[list[dict]] = []

    def yes_odds(self, messages: list[dict]) -> float:
        self.judged.append(messages)
        return self.odds


def judged_run(odds: float, judged: float | None, question: str = "When did the bridge open?",
               history: list | None = None) -> tuple[AnswerDone, JudgingModel]:
    model = JudgingModel("It opened in May 1937.", odds)
    finder = EvidenceFinder(embed, lambda w: 1, lambda: 100)
    answerer = Answerer(FakeRetriever(PASSAGES), model, finder,  # type: ignore[arg-type]
                        thresholds=Thresholds(skip_model=0.3, quote=0.6, judged=judged))
    return list(answerer.answer(question, history))[-1], model


def test_the_judge_saying_no_is_abstention() -> None:
    done, model = judged_run(odds=-3.0, judged=-1.0)
    assert done.abstained and done.reason == "judged" and not done.citations
    assert done.draft == "It opened in May 1937."  # what the model wrote is kept for --json
    assert done.confidence["judged"] == -3.0
    # The judge reads the best sentence and the question only, not the five sources.
    asked = model.judged[0][-1]["content"]
    assert "opened to traffic in May 1937" in asked and "When did the bridge open?" in asked
    assert "Fog is common" not in asked


def test_the_judge_saying_yes_keeps_the_answer() -> None:
    done, _ = judged_run(odds=2.0, judged=-1.0)
    assert not done.abstained and done.answer.startswith("It opened in May 1937 [1].")
    assert done.confidence["judged"] == 2.0


def test_no_judge_threshold_asks_no_judge() -> None:
    done, model = judged_run(odds=-9.0, judged=None)
    assert not done.abstained and model.judged == []
    assert done.confidence["judged"] is None


def test_the_judge_of_a_follow_up_sees_the_earlier_question() -> None:
    done, model = judged_run(odds=1.0, judged=-1.0, question="And when did it open?",
                             history=[("Where is the bridge?", "Over the strait [1].")])
    assert "Earlier question: Where is the bridge?" in model.judged[0][-1]["content"]


def test_a_generator_without_a_judge_is_not_judged() -> None:
    model = ScriptedModel("It opened in May 1937.")
    finder = EvidenceFinder(embed, lambda w: 1, lambda: 100)
    answerer = Answerer(FakeRetriever(PASSAGES), model, finder,  # type: ignore[arg-type]
                        thresholds=Thresholds(skip_model=0.3, quote=0.6, judged=5.0))
    done = list(answerer.answer("When did the bridge open?"))[-1]
    assert not done.abstained and done.confidence["judged"] is None


def test_the_judge_threshold_belongs_to_the_model_it_was_calibrated_on() -> None:
    from assistant.config import DEFAULT_MODEL
    from assistant.core.answer import thresholds_for

    assert thresholds_for(DEFAULT_MODEL).judged is not None
    assert thresholds_for("SmolLM2-135M-Instruct.Q4_1.gguf").judged is None  # other scale
    mine = thresholds_for(DEFAULT_MODEL)
    mine.judged = 99.0  # a caller's change stays its own
    assert thresholds_for(DEFAULT_MODEL).judged != 99.0
    # the best sentence's score is on the embedder's scale: e5's cosines run higher
    e5 = thresholds_for(DEFAULT_MODEL, "multilingual-e5-small")
    minilm = thresholds_for(DEFAULT_MODEL, "all-MiniLM-L6-v2")
    assert e5.skip_model > minilm.skip_model and e5.judged is not None
    assert thresholds_for(DEFAULT_MODEL, "nomic-embed-text at 127.0.0.1:8080") == minilm
    assert thresholds_for(DEFAULT_MODEL, "multilingual-e5-large at 127.0.0.1:8080") == minilm


def test_evidence_encodes_the_question_as_a_search() -> None:
    """An embedder with separate question and passage encodings (e5's "query: " and
    "passage: ") gets the question through the question's encoder, the sentences through
    the passages'."""
    asked: list[str] = []
    sentences: list[str] = []

    def embed_sentences(texts: list[str]) -> np.ndarray:
        sentences.extend(texts)
        return embed(texts)

    def embed_question(text: str) -> np.ndarray:
        asked.append(text)
        return embed([text])[0]

    finder = EvidenceFinder(embed_sentences, lambda w: 1, lambda: 100, embed_question)
    finder.find("When did the bridge open?", PASSAGES)
    assert asked == ["When did the bridge open?"]
    assert "When did the bridge open?" not in sentences and sentences

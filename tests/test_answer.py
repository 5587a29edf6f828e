"""Answer control flow with a scripted model: abstention paths and the event order."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.core.answer import Answerer, focus
from assistant.core.types import AnswerDone, Passage, SourcesFound, TokenStreamed


def passage(text: str, sim: float, page: int = 1) -> Passage:
    return Passage(f"c{page}", "/d/r.pdf", page, 0, len(text), text, similarity=sim)


class FakeRetriever:
    def __init__(self, passages: list[Passage]):
        self.passages = passages

    def search(self, query: str, k: int) -> list[Passage]:
        return self.passages[:k]


class ScriptedModel:
    """Streams a fixed reply, like llm's MockModel."""

    n_ctx = 2048

    def __init__(self, reply: str):
        self.reply = reply
        self.calls = 0

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(self, messages, max_tokens, temperature, stop=None, cancel=None) -> Iterator[str]:  # noqa: ANN001, E501
        self.calls += 1
        words = self.reply.split(" ")
        yield from (w if i == 0 else " " + w for i, w in enumerate(words))


PASSAGES = [passage("The bridge opened to traffic in May 1937.", 0.7, 3),
            passage("Fog is common in the bay in summer.", 0.4, 4)]


def run(reply: str, passages=PASSAGES) -> tuple[list, ScriptedModel]:  # noqa: ANN001
    model = ScriptedModel(reply)
    answerer = Answerer(FakeRetriever(passages), model)  # type: ignore[arg-type]
    return list(answerer.answer("When did the bridge open?")), model


def test_event_order_and_citation() -> None:
    events, model = run("It opened in May 1937.")
    assert isinstance(events[0], SourcesFound)
    assert all(isinstance(e, TokenStreamed) for e in events[1:-1])
    done = events[-1]
    assert isinstance(done, AnswerDone) and not done.abstained
    assert [c.page for c in done.citations] == [3]
    assert done.answer == "It opened in May 1937 [1]."


def test_model_decline_is_abstention() -> None:
    events, _ = run("The sources do not contain that information.")
    done = events[-1]
    assert done.abstained and done.reason == "model-declined"


def test_unsupported_answer_is_abstention_with_draft_kept() -> None:
    events, _ = run("It opened in 1952 by order of the mayor.")
    done = events[-1]
    assert done.abstained and done.reason == "unsupported"
    assert "1952" in done.draft and done.citations == []


def test_irrelevant_sources_skip_the_model() -> None:
    weak = [passage("Bananas are yellow.", 0.05)]
    events, model = run("whatever", weak)
    assert model.calls == 0 and events[-1].reason == "not-relevant"


def test_focus_drops_far_weaker_passages() -> None:
    ps = [passage("a", 0.8, 1), passage("b", 0.5, 2), passage("c", 0.75, 3), passage("d", 0.3, 4)]
    assert [p.page for p in focus(ps, 0.1)] == [1, 2, 3]

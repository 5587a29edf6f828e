"""The prompt keeps numbered sources within the model's token budget."""

from __future__ import annotations

from assistant.core.prompting import build_messages
from assistant.core.types import Passage


def count(text: str) -> int:  # a word is a token, for the test
    return len(text.split())


def passages(n: int, words: int) -> list[Passage]:
    return [Passage(f"c{i}", f"/d/doc{i}.pdf", i + 1, 0, 10, " ".join(["word"] * words))
            for i in range(n)]


def test_sources_numbered_with_location() -> None:
    messages, used = build_messages("Why?", passages(2, 10), count, 1000)
    user = messages[-1]["content"]
    assert "[1] doc0.pdf, page 1" in user and "[2] doc1.pdf, page 2" in user
    assert user.rstrip().endswith("Question: Why?")
    assert len(used) == 2


def test_budget_is_respected() -> None:
    budget = 400
    messages, used = build_messages("Why?", passages(10, 100), count, budget)
    total = sum(count(m["content"]) for m in messages)
    assert total <= budget
    assert 1 <= len(used) < 10

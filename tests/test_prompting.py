"""The prompt: the evidence sentences, numbered by source, within the token budget."""

from __future__ import annotations

from assistant.core.prompting import evidence_messages
from assistant.core.types import Passage


def count(text: str) -> int:  # a word is a token, for the test
    return len(text.split())


def blocks(n: int, words: int) -> list[tuple[Passage, str]]:
    return [(Passage(f"c{i}", f"/d/doc{i}.pdf", i + 1, 0, 10, "x"), " ".join(["word"] * words))
            for i in range(n)]


def test_sources_numbered_with_location() -> None:
    messages = evidence_messages("Why?", blocks(2, 10), count, 1000)
    user = messages[-1]["content"]
    assert "[1] doc0.pdf, page 1" in user and "[2] doc1.pdf, page 2" in user
    assert user.rstrip().endswith("Question: Why?")


def test_budget_is_respected() -> None:
    budget = 300
    messages = evidence_messages("Why?", blocks(10, 100), count, budget)
    assert sum(count(m["content"]) for m in messages) <= budget
    assert "[1] doc0.pdf" in messages[-1]["content"]


def test_follow_up_names_the_earlier_question() -> None:
    user = evidence_messages("And who founded it?", blocks(1, 5), count, 500,
                             "What does Northwind make?")[-1]["content"]
    assert "Earlier question: What does Northwind make?" in user

"""Conversations: stored in SQLite, searchable, deletable with undo; follow-up questions find
what they refer back to."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.answer import contextual_query
from assistant.core.conversations import Conversations, title_from


def test_conversations_store_search_rename_delete_and_undo(tmp_path: Path) -> None:
    store = Conversations(tmp_path / "conversations.sqlite3")
    first = store.create(title_from("What does Northwind Traders make?"))
    store.add(first, "user", "What does Northwind Traders make?")
    store.add(first, "assistant", "Northwind Traders makes cedar canoes [1].",
              {"citations": [{"n": 1, "path": "/d/a.md"}]})
    second = store.create("Bread")
    store.add(second, "user", "How long does sourdough rise?")
    assert [c.id for c in store.list()] == [second, first]
    hits = store.list("canoes")
    assert [c.id for c in hits] == [first] and "canoes" in hits[0].snippet
    store.rename(first, "  Canoe   makers ")
    assert store.get(first).title == "Canoe makers"
    assert store.messages(first)[1].data["citations"][0]["path"] == "/d/a.md"
    assert store.history(first) == [("What does Northwind Traders make?",
                                     "Northwind Traders makes cedar canoes [1].")]
    store.delete(first)
    assert [c.id for c in store.list()] == [second] and store.list("canoes") == []
    store.restore(first)  # Undo
    assert {c.id for c in store.list()} == {first, second}
    store.delete(first)
    assert store.purge() == 1
    assert store.get(first) is None and store.messages(first) == []


def test_regenerate_drops_the_answer_and_what_follows(tmp_path: Path) -> None:
    store = Conversations(tmp_path / "c.sqlite3")
    c = store.create()
    store.add(c, "user", "q1")
    answer = store.add(c, "assistant", "a1")
    store.add(c, "user", "q2")
    store.delete_from(answer)
    assert [m.text for m in store.messages(c)] == ["q1"]


def test_contextual_query_only_leans_on_history_when_the_question_does() -> None:
    history = [("What does Northwind Traders make?", "Cedar canoes.")]
    assert "Northwind" in contextual_query("And who founded it?", history)
    assert "Northwind" in contextual_query("When?", history)
    standalone = "How long does sourdough bread rise before baking?"
    assert contextual_query(standalone, history) == standalone
    assert contextual_query("And who founded it?", None) == "And who founded it?"


@pytest.mark.integration
def test_follow_up_question_finds_the_company_passage(services, tmp_path: Path) -> None:
    docs = tmp_path / "companies"
    docs.mkdir()
    (docs / "northwind.md").write_text(
        "# Northwind Traders\n\nNorthwind Traders builds cedar canoes in a workshop by the "
        "lake.\n\nThe company was founded in 1987 by the boat builder Ada Lindqvist.\n")
    for name, what, founder in [("Contoso", "solar panels", "Marek Hill"),
                                ("Fabrikam", "bicycle frames", "June Okafor"),
                                ("Tailspin", "kites", "Ravi Menon")]:
        (docs / f"{name.lower()}.md").write_text(
            f"# {name}\n\n{name} makes {what}. The firm was founded by {founder} in a garage.\n")
    list(services.indexer.index([docs]))
    history = [("What does Northwind Traders build?", "Northwind Traders builds cedar canoes.")]
    alone = services.search(contextual_query("And who founded it?", None), 1)[0]
    assert not alone.path.endswith("northwind.md")  # the question alone is ambiguous
    stream = services.answerer.answer("And who founded it?", history)
    sources = next(stream).passages
    stream.close()
    assert sources[0].path.endswith("northwind.md")
    assert "Ada Lindqvist" in sources[0].text

"""End to end on the real parts: real PDFs, the real embedding model, Chroma on disk, a real
GGUF model in llama-cpp-python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.core import loaders
from assistant.core.types import AnswerDone, FileFailed, IndexSummary, TokenStreamed
from tests.helpers import FACT_PAGES, consistent, make_pdf

pytestmark = pytest.mark.integration


def index(services, *paths) -> IndexSummary:
    events = list(services.indexer.index(list(paths)))
    summary = events[-1]
    assert isinstance(summary, IndexSummary)
    return summary


def assert_consistent(services) -> None:
    assert consistent(services)


def ask(services, question: str) -> tuple[AnswerDone, int]:
    events = list(services.answerer.answer(question))
    tokens = sum(isinstance(e, TokenStreamed) for e in events)
    done = events[-1]
    assert isinstance(done, AnswerDone)
    return done, tokens


@pytest.fixture
def library(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "lighthouse-survey.pdf", FACT_PAGES, title="Lighthouse Survey")
    (docs / "notes.md").write_text(
        "# Garden notes\n\n## Tomatoes\n\nTomatoes need at least six hours of sun a day.\n\n"
        "## Roses\n\nPrune roses in late winter, just above an outward-facing bud.\n"
    )
    (docs / "recipe.txt").write_text(
        "Pancakes: whisk 200 g flour, 2 eggs and 300 ml milk. Rest the batter 30 minutes.\n"
    )
    return docs


def test_question_about_page_three_cites_page_three(services, library: Path) -> None:
    summary = index(services, library)
    assert (summary.added, summary.failed) == (3, 0)
    assert_consistent(services)

    hits = services.retriever.search("When was the Lindesnes lighthouse first lit?", 3)
    assert hits[0].path.endswith("lighthouse-survey.pdf") and hits[0].page == 3

    done, tokens = ask(services, "When was the Lindesnes lighthouse first lit?")
    assert tokens > 0
    assert not done.abstained, done.draft
    assert 3 in {c.page for c in done.citations}
    # every citation resolves to its page and exact span of the extracted text
    doc = loaders.load(Path(done.citations[0].path))
    for c in done.citations:
        section = next(s for s in doc.sections if s.page == c.page)
        assert section.text[c.start - section.offset : c.end - section.offset] == c.text
        assert f"[{c.n}]" in done.answer


def test_reindexing_unchanged_files_embeds_nothing(services, library: Path) -> None:
    first = index(services, library)
    vectors = services.store.count()
    again = index(services, library)
    assert (again.unchanged, again.embedded_chunks, again.added) == (3, 0, 0)
    # touched but identical content: read and hashed, still not embedded
    note = library / "notes.md"
    os.utime(note, ns=(note.stat().st_atime_ns, note.stat().st_mtime_ns + 10**9))
    touched = index(services, library)
    assert (touched.unchanged, touched.embedded_chunks) == (3, 0)
    assert services.store.count() == vectors == first.embedded_chunks
    assert_consistent(services)


def test_edited_file_replaces_its_chunks(services, library: Path) -> None:
    index(services, library)
    recipe = library / "recipe.txt"
    recipe.write_text("Flatbread: mix 250 g flour with 150 ml warm water and a pinch of salt.\n")
    summary = index(services, library)
    assert (summary.updated, summary.unchanged) == (1, 2)
    texts = [p.text for p in services.retriever.search("pancakes batter eggs milk", 10)]
    assert not any("Pancakes" in t for t in texts)
    assert any("Flatbread" in t for t in texts)
    assert_consistent(services)


def test_deleted_and_forgotten_files_leave_every_store(services, library: Path) -> None:
    index(services, library)
    (library / "recipe.txt").unlink()
    summary = index(services, library)
    assert summary.removed == 1
    assert services.catalog.file(str(library / "recipe.txt")) is None
    assert_consistent(services)
    assert services.indexer.forget(library) == 2
    assert services.catalog.counts()["chunks"] == 0
    assert services.store.count() == 0
    assert_consistent(services)


def test_bad_files_are_reported_and_others_indexed(services, tmp_path: Path) -> None:
    docs = tmp_path / "mixed"
    docs.mkdir()
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    make_pdf(docs / "locked.pdf", ["secret"], user_password="pw")
    make_pdf(docs / "scan.pdf", [""])
    (docs / "good.md").write_text("# Good\n\nThis file is fine and mentions zebras.\n")
    events = list(services.indexer.index([docs]))
    failures = {Path(e.path).name: e.reason for e in events if isinstance(e, FileFailed)}
    assert failures == {"broken.pdf": "corrupt", "locked.pdf": "encrypted",
                        "scan.pdf": "no-text-layer"}
    summary = events[-1]
    assert (summary.added, summary.failed) == (1, 3)
    status = services.status()
    assert status["files"] == 1
    assert {Path(e["path"]).name: e["reason"] for e in status["errors"]} == failures
    assert services.retriever.search("zebras", 1)[0].path.endswith("good.md")
    # a fixed file is picked up on the next run
    (docs / "broken.pdf").unlink()
    make_pdf(docs / "broken.pdf", ["now a fine pdf about giraffes"])
    assert index(services, docs).added == 1
    assert_consistent(services)


def test_unrelated_question_abstains_without_the_model(services, library: Path) -> None:
    index(services, library)
    done, tokens = ask(services, "What is the airspeed velocity of an unladen swallow?")
    assert done.abstained and done.reason == "not-relevant"
    assert tokens == 0 and done.citations == []


def test_empty_index_abstains(services) -> None:
    done, tokens = ask(services, "What is in my documents?")
    assert done.abstained and done.reason == "no-documents" and tokens == 0


def test_the_models_judge_tells_an_answering_sentence_from_a_near_miss(generator) -> None:
    """The real model's yes/no odds: higher for the sentence that answers than for one on the
    same topic that does not, and the same however often it is asked and whatever the model
    did before (a cached prefix once moved them by 0.02)."""
    from assistant.core.prompting import judge_messages

    question = "When did the bridge open to traffic?"
    answering = judge_messages(question, "The bridge opened to traffic in May 1937.")
    missing = judge_messages(question, "Sea lions rest on the piers below the bridge.")
    yes = generator.yes_odds(answering)
    no = generator.yes_odds(missing)
    assert yes > no
    assert generator.yes_odds(answering) == pytest.approx(yes, abs=1e-6)
    "".join(generator.stream_chat(answering, 8, 0.0))  # the same prompt, now in the cache
    assert generator.yes_odds(answering) == pytest.approx(yes, abs=1e-6)
    "".join(generator.stream_chat(missing, 8, 0.0))
    assert generator.yes_odds(answering) == pytest.approx(yes, abs=1e-6)

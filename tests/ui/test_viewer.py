"""Twenty citations opened one after another from the sample documents and the evaluation
articles (as Markdown and as a PDF): the viewer lands on the cited page with the passage
highlighted (PDF), or on the passage's characters (text) every time."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.ui.conftest import wait_indexed

pytestmark = [pytest.mark.ui, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
EVAL = REPO.parent / "shared" / "eval" / "squad2-dev.json"


def latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def corpus(folder: Path) -> list[str]:
    """Sample documents, plus the evaluation articles when they are there; returns
    questions to find passages with."""
    from tests.helpers import FACT_PAGES, make_pdf

    shutil.copytree(REPO / "resources" / "sample-docs", folder)
    queries = ["How long does hot composting take?", "What makes a heap smell of ammonia?",
               "How often should a sourdough starter be fed?", "How do you fix a bike chain?",
               "How much light do house plants need?", "What are greens and browns?"]
    # Enough distinct passages without the evaluation data too (CI may not have it).
    make_pdf(folder / "lighthouse-survey.pdf", FACT_PAGES)
    queries += ["Which lighthouses were surveyed in Norway?", "How many lighthouses did the "
                "team visit?", "When was Lindesnes first lit?", "Who funded the survey?",
                "What does the final report recommend?"]
    birds = ["heron", "kingfisher", "osprey", "curlew", "lapwing", "bittern", "avocet",
             "dunlin", "redshank", "oystercatcher", "shelduck", "wigeon"]
    (folder / "birds.md").write_text("# Estuary birds\n\n" + "".join(
        f"## The {b}\n\nThe {b} was counted {10 + i} times on the north shore in "
        f"{1990 + i}. It feeds on the mudflats at low tide and roosts in the reed beds.\n\n"
        for i, b in enumerate(birds)))
    queries += [f"How many times was the {b} counted?" for b in birds]
    if EVAL.is_file():
        data = json.loads(EVAL.read_text(encoding="utf-8"))
        for n, article in enumerate(data["data"]):
            paragraphs = [p["context"] for p in article["paragraphs"]]
            title = article["title"].replace("_", " ")
            if n == 0:  # one article as a PDF, a few paragraphs per page
                pages = [latin1("\n\n".join(paragraphs[i:i + 3]))
                         for i in range(0, len(paragraphs), 3)]
                make_pdf(folder / f"{article['title']}.pdf", pages, title=title)
            else:
                (folder / f"{article['title']}.md").write_text(
                    f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
            queries += [q["question"] for p in article["paragraphs"][::6] for q in p["qas"][:1]
                        if not q.get("is_impossible")]
    return queries


def test_twenty_citations_land_on_their_page_or_span(window, engine, qtbot,
                                                     tmp_path: Path) -> None:
    docs = tmp_path / "library"
    queries = corpus(docs)
    window.add_paths([docs])
    wait_indexed(qtbot, engine, len(list(docs.iterdir())), timeout=300_000)
    opened = 0
    kinds = {"pdf": 0, "text": 0}
    seen: set[str] = set()
    for query in queries:
        for hit in engine.services.search(query, 3):
            if hit.chunk_id in seen:
                continue
            seen.add(hit.chunk_id)
            source = hit.to_json(1)
            with qtbot.waitSignal(window.viewer.opened, timeout=20_000):
                window.open_source(source)
            viewer = window.viewer
            if hit.path.endswith(".pdf"):
                kinds["pdf"] += 1
                assert viewer.current_page == hit.page, (hit.path, hit.page)
                assert viewer.highlighted, (hit.path, hit.page, viewer.note)
            else:
                kinds["text"] += 1
                assert viewer.text.span == (hit.start, hit.end), (hit.path, viewer.note)
                shown = viewer.text.textCursor()
                assert shown.position() == hit.start
                span_text = viewer.text.toPlainText()[hit.start:hit.end]
                assert re.sub(r"\s+", " ", span_text).strip() == \
                    re.sub(r"\s+", " ", hit.text).strip()
            opened += 1
            break
        if opened == 20:
            break
    assert opened == 20 and kinds["pdf"] >= 3 and kinds["text"] >= 3, kinds


def test_a_source_named_with_bytes_that_are_not_utf8_opens_its_own_file(
        window, engine, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """caf<0xff>.txt is keyed caf\\xff.txt, which is also the real name of another file
    beside it: opening the first one's passage must show the first file."""
    import os

    from tests.ui.conftest import drop, wait_indexed

    docs = tmp_path / "docs"
    docs.mkdir()
    raw = docs / os.fsdecode(b"caf\xff.txt")
    raw.write_text("The raw byte name is about pistachio ice cream.\n")
    (docs / "caf\\xff.txt").write_text("The written name is about hazelnut biscuits.\n")
    drop(window, [docs])
    wait_indexed(qtbot, engine, 2)
    hit = engine.services.search("pistachio ice cream", 1)[0]
    assert hit.path != str(raw)  # the key, shown to the user, is not the path
    window.open_source(hit.to_json(1))
    qtbot.waitUntil(lambda: "pistachio" in window.viewer.text.toPlainText(), timeout=20_000)
    assert window.viewer.source["path"] == str(raw)

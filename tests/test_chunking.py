"""Chunker: every chunk fits the embedding model whole and maps back to its text."""

from __future__ import annotations

import pytest

from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder
from assistant.core.types import Document, Section


@pytest.fixture(scope="module")
def tokenizer():
    # Only the tokenizer: the model itself is not loaded.
    return Embedder()


def long_text(n: int) -> str:
    sentences = [
        f"Sentence number {i} talks about topic {i % 7} with some extra words."
        for i in range(n)
    ]
    return " ".join(sentences)


def test_chunks_fit_model_and_map_back(tokenizer) -> None:
    text = long_text(200)
    doc = Document("/x/report.txt", "report", [Section(text, 100, page=4, heading="Intro")])
    chunker = Chunker(tokenizer.token_spans, max_tokens=120, overlap_tokens=20)
    chunks = chunker.chunk(doc)
    assert len(chunks) > 5
    for c in chunks:
        embedded = f"{c.context}\n{c.text}"
        assert tokenizer.count_tokens(embedded) == c.tokens <= 120
        assert text[c.start - 100 : c.end - 100] == c.text
        assert c.page == 4 and c.heading == "Intro"
        assert c.context == "report — Intro"


def test_chunks_cover_everything_with_overlap(tokenizer) -> None:
    text = long_text(120)
    doc = Document("/x/a.txt", "a", [Section(text, 0)])
    chunks = Chunker(tokenizer.token_spans, 80, 16).chunk(doc)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    letters = {i for i, ch in enumerate(text) if not ch.isspace()}
    assert letters <= covered
    overlaps = [a.end > b.start for a, b in zip(chunks, chunks[1:], strict=False)]
    assert all(overlaps)


def test_chunks_prefer_sentence_boundaries(tokenizer) -> None:
    text = long_text(80)
    chunks = Chunker(tokenizer.token_spans, 100, 20).chunk(Document("/a", "", [Section(text, 0)]))
    assert sum(c.text.rstrip().endswith(".") for c in chunks[:-1]) >= len(chunks[:-1]) - 1


def test_text_without_boundaries_still_splits(tokenizer) -> None:
    text = "ab1," * 2000  # no spaces, no sentence ends: many word pieces
    chunks = Chunker(tokenizer.token_spans, 64, 8).chunk(Document("/a", "", [Section(text, 0)]))
    assert len(chunks) > 1
    assert all(tokenizer.count_tokens(c.text) == c.tokens <= 64 for c in chunks)


def test_pages_are_never_mixed(tokenizer) -> None:
    doc = Document("/a.pdf", "a", [Section("page one words. " * 30, 0, 1),
                                   Section("page two words. " * 30, 600, 2)])
    chunks = Chunker(tokenizer.token_spans, 64, 8).chunk(doc)
    assert {c.page for c in chunks} == {1, 2}
    assert all(("one" in c.text) != ("two" in c.text) for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_empty_document(tokenizer) -> None:
    assert Chunker(tokenizer.token_spans, 64, 8).chunk(Document("/a", "a", [])) == []


def test_each_chunk_knows_how_many_word_pieces_the_encoder_reads(tokenizer) -> None:
    """Paragraphs packed together, a long one cut in overlapping pieces, a heading prefix:
    every chunk's count is what the tokenizer makes of the text it is embedded as (the
    indexer sorts by it)."""
    paras = ["Short note 3.14159 about π.", long_text(40), "Ünïcode wörds and CamelCaseNames.",
             "Tiny.", "A 2nd paragraph with 12,345 items @ $6.78 each."]
    doc = Document("/x/notes.md", "Notes", [Section("\n\n".join(paras), 0, heading="Misc")])
    chunks = Chunker(tokenizer.token_spans, 60, 10).chunk(doc)
    assert len(chunks) > 3
    assert [c.tokens for c in chunks] == [tokenizer.count_tokens(f"{c.context}\n{c.text}")
                                          for c in chunks]

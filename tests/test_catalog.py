"""Catalog: chunks, FTS and file states stay in step."""

from __future__ import annotations

from pathlib import Path

from assistant.core.catalog import Catalog, chunk_id
from assistant.core.types import Chunk


def chunks(*texts: str) -> list[Chunk]:
    return [Chunk(i, t, i * 100, i * 100 + len(t), 1, "", "doc") for i, t in enumerate(texts)]


def test_replace_swaps_chunks_and_fts(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.ensure_file("/docs/a.txt")
    cat.replace_chunks(fid, chunks("apples are red", "bananas are yellow"), "h1" * 8, 10, 1)
    assert [cid for cid, _ in cat.bm25('"bananas"', 5)] == [chunk_id(fid, "h1" * 8, 1)]
    stale = cat.replace_chunks(fid, chunks("cherries are dark"), "h2" * 8, 11, 2)
    assert sorted(stale) == sorted(chunk_id(fid, "h1" * 8, i) for i in (0, 1))
    assert cat.bm25('"bananas"', 5) == []
    assert cat.fts_count() == cat.counts()["chunks"] == 1
    rec = cat.file("/docs/a.txt")
    assert rec and rec.state == "indexed" and rec.chunk_count == 1 and rec.size == 11


def test_failed_file_drops_its_chunks(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.ensure_file("/docs/a.pdf")
    cat.replace_chunks(fid, chunks("old text"), "aa" * 8, 1, 1)
    cat.mark_failed("/docs/a.pdf", "corrupt", "a.pdf is not a readable PDF")
    rec = cat.file("/docs/a.pdf")
    assert rec and rec.state == "failed" and rec.reason == "corrupt"
    assert cat.counts()["files"] == 0 and cat.counts()["failed"] == 1
    assert cat.fts_count() == 0


def test_files_under_matches_folder_not_prefix(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    for p in ("/d/a.txt", "/d/sub/b.txt", "/dx/c.txt"):
        cat.ensure_file(p)
    assert sorted(r.path for r in cat.files_under("/d")) == ["/d/a.txt", "/d/sub/b.txt"]
    assert [r.path for r in cat.files_under("/d/a.txt")] == ["/d/a.txt"]


def test_remove_files_returns_chunk_ids(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.ensure_file("/d/a.txt")
    cat.replace_chunks(fid, chunks("one", "two"), "cc" * 8, 1, 1)
    removed = cat.remove_files([fid])
    assert len(removed) == 2
    assert cat.counts()["chunks"] == 0 and cat.fts_count() == 0 and cat.file("/d/a.txt") is None


def test_passages_resolve_location(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.ensure_file("/d/r.pdf")
    cat.replace_chunks(fid, chunks("alpha", "beta"), "dd" * 8, 1, 1)
    cid = chunk_id(fid, "dd" * 8, 1)
    p = cat.passages([cid])[cid]
    assert (p.path, p.page, p.start, p.end, p.text) == ("/d/r.pdf", 1, 100, 104, "beta")

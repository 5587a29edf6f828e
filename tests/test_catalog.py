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
    assert [cid for cid, _ in cat.bm25('"banana"', 5)] == [chunk_id(fid, "h1" * 8, 1)]
    stale = cat.replace_chunks(fid, chunks("cherries are dark"), "h2" * 8, 11, 2)
    assert sorted(stale) == sorted(chunk_id(fid, "h1" * 8, i) for i in (0, 1))
    assert cat.bm25('"banana"', 5) == []
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


def old_key(path: str) -> str:
    """The catalog's key before schema 3: undecodable bytes as \\xNN, nothing else escaped."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# Names that the old key mixed up, or that an escape could: raw bytes, written escapes,
# backslashes before either, at the end, doubled.
ODD = [b"caf\xff.txt", b"caf\\xff.txt", b"caf\\\\xff.txt", b"caf\\\xff.txt", b"caf\\\\\xff.txt",
       b"a\\", b"a\\\\", b"\\x", b"\xff", b"\\xff\xff", b"plain.txt", "d\u00e9j\u00e0.txt".encode()]


def test_every_name_has_its_own_key(tmp_path: Path) -> None:
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return  # byte names: Linux
    from assistant.core.catalog import path_key

    names = [os.fsdecode(b"/d/" + n) for n in ODD]
    keys = [path_key(n) for n in names]
    assert len(set(keys)) == len(keys)
    assert all(k.encode("utf-8") for k in keys)  # text SQLite can store
    # keys nest as paths do: a folder's key begins every key inside it
    for n in names:
        assert path_key(n + "/x.txt").startswith(path_key(n) + "/")
    cat = Catalog(tmp_path / "c.sqlite3")
    ids = [cat.ensure_file(n) for n in names]
    assert len(set(ids)) == len(ids)
    assert [cat.file(n).path for n in names] == names
    assert len(cat.files_under("/d")) == len(names)


def test_an_old_catalog_is_migrated_to_the_new_keys(tmp_path: Path) -> None:
    """Rows keyed the old way get their new keys, with their ids (so their vectors) kept;
    the row two names shared is given to the file its bytes say it is."""
    import os
    import sqlite3
    import sys

    if not sys.platform.startswith("linux"):
        return
    db = tmp_path / "c.sqlite3"
    cat = Catalog(db)
    escaped = os.fsdecode(b"/d/caf\\xff.txt")  # the name written with an escape
    names: list[str] = []
    for n in (os.fsdecode(b"/d/" + n) for n in ODD if n != b"caf\xff.txt"):
        if old_key(n) not in {old_key(m) for m in names}:  # one row per old key
            names.append(n)
    ids = {}
    for n in names:
        ids[n] = cat.ensure_file(n)
        cat.replace_chunks(ids[n], chunks(f"text of {n!r}"), "ab" * 8, 1, 1)
    cat.close()
    con = sqlite3.connect(db)  # what schema 2 wrote
    for n in names:
        con.execute("UPDATE files SET path = ? WHERE id = ?", (old_key(n), ids[n]))
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    cat = Catalog(db)
    assert cat.get_meta("schema_version") == "3"
    assert {n: cat.file(n).id for n in names} == ids
    assert cat.chunk_count() == len(names)
    raw = os.fsdecode(b"/d/caf\xff.txt")  # shared the escaped name's old key: a new file now
    assert cat.file(raw) is None and cat.file(escaped).id == ids[escaped]
    assert cat.ensure_file(raw) not in ids.values()


def test_files_under_a_name_ending_in_a_backslash(tmp_path: Path) -> None:
    """'data\\' is a name of its own on Linux and macOS, not the folder 'data'."""
    import os

    if os.sep == "\\":
        return
    cat = Catalog(tmp_path / "c.sqlite3")
    for p in ("/d/data/a.txt", "/d/data\\", "/e/data/b.txt", "/e/data\\/c.txt"):
        cat.ensure_file(p)
    assert [r.path for r in cat.files_under("/d/data\\")] == ["/d/data\\"]
    assert [r.path for r in cat.files_under("/e/data\\")] == ["/e/data\\/c.txt"]
    assert [r.path for r in cat.files_under("/e/data/")] == ["/e/data/b.txt"]


def test_meta_keys_may_name_any_path(tmp_path: Path) -> None:
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return
    cat = Catalog(tmp_path / "c.sqlite3")
    root = os.fsdecode(b"/media/caf\xe9")
    cat.set_meta(f"root-device:{root}", "42")
    assert cat.get_meta(f"root-device:{root}") == "42"
    assert cat.get_meta("root-device:/media/caf\\xe9") is None


def test_a_failure_naming_a_file_that_is_not_utf8_is_kept(tmp_path: Path) -> None:
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return
    cat = Catalog(tmp_path / "c.sqlite3")
    path = os.fsdecode(b"/d/caf\xe9.pdf")
    cat.mark_failed(path, "corrupt", f"{Path(path).name} is not a readable PDF")
    record = cat.file(path)
    assert record.state == "failed" and record.error == "caf\\xe9.pdf is not a readable PDF"


def test_an_index_of_another_analyzer_is_rebuilt_and_a_damaged_one_repaired(
        tmp_path: Path) -> None:
    """A catalog whose full-text index was built by an older analyzer (FTS5's own porter
    tokens, schema 3) is re-analysed when opened: Chinese is then found by its words."""
    import sqlite3

    db = tmp_path / "c.sqlite3"
    cat = Catalog(db)
    fid = cat.ensure_file("/docs/简介.md")
    cat.replace_chunks(fid, chunks("单节点吞吐量提升200%", "bananas are yellow"), "h1" * 8, 10, 1)
    cat.close()
    con = sqlite3.connect(db)  # what the porter-tokenized catalog held
    con.executescript("""
        DROP TRIGGER chunks_ai; DROP TRIGGER chunks_ad; DROP TABLE chunks_fts;
        DROP VIEW chunks_terms; DELETE FROM meta WHERE key = 'analyzer';
        CREATE VIRTUAL TABLE chunks_fts USING fts5(text, context, content='chunks',
            content_rowid='rowid', tokenize='porter unicode61');
        INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild');""")
    con.close()
    cat = Catalog(db)
    assert [c for c, _ in cat.bm25('"吞吐"', 5)] == [chunk_id(fid, "h1" * 8, 0)]
    assert cat.check_fts()
    cat.db.execute("DELETE FROM chunks_fts_docsize WHERE id = (SELECT MIN(id) FROM "
                   "chunks_fts_docsize)")  # one row of the index lost
    assert not cat.check_fts()  # rebuilt
    assert cat.check_fts() and [c for c, _ in cat.bm25('"banana"', 5)] == [
        chunk_id(fid, "h1" * 8, 1)]
    cat.close()

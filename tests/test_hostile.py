"""The hostile-file corpus (tests/hostile.py) indexed in one run beside an ordinary document:
every file becomes what its case promises, the run ends, the ordinary document is found, and
catalog, full-text index and vectors agree. A second run changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import consistent, run
from tests.hostile import CASES, INDEXED, SKIPPED, write_corpus

pytestmark = pytest.mark.integration


def outcomes(services, folder: Path, failures_by_path: dict[str, str]) -> dict[str, str]:  # noqa: ANN001
    got = {}
    for record in services.catalog.files_under(str(folder)):
        rel = os.path.relpath(record.path, folder)
        if record.state == "failed":
            got[rel] = record.reason or "failed"
        elif record.state == "indexed":
            got[rel] = INDEXED
        else:
            got[rel] = record.state
    for rel, reason in failures_by_path.items():
        got.setdefault(rel, reason)
    return got


def test_the_hostile_corpus_keeps_every_promise(services, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "hostile"
    expected = write_corpus(folder)
    (folder / "ordinary.md").write_text("# Ordinary\n\nThe aardvark sleeps in the afternoon.\n")
    expected["ordinary.md"] = INDEXED
    events = list(services.indexer.index([folder]))
    from assistant.core.types import FileFailed

    failed = {os.path.relpath(e.path, folder): e.reason for e in events
              if isinstance(e, FileFailed)}
    got = outcomes(services, folder, failed)
    wrong = {rel: (want, got.get(rel, SKIPPED)) for rel, want in expected.items()
             if got.get(rel, SKIPPED) != want}
    assert not wrong, f"(expected, got) per file: {wrong}"
    unexpected = sorted(set(got) - set(expected))
    assert not unexpected, f"files the corpus did not name were read: {unexpected}"
    hits = services.search("aardvark afternoon", k=3)
    assert hits and Path(hits[0].path).name == "ordinary.md"
    last_line = services.catalog.bm25("zebracorn", 5)  # the end of a log past one window
    assert [Path(p.path).name for p in services.catalog.passages(
        [chunk for chunk, _ in last_line]).values()] == ["service.log"]
    assert consistent(services)
    summary, _ = run(services.indexer, folder)
    assert summary.added == 0 and consistent(services)


def test_every_case_is_named_once() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))

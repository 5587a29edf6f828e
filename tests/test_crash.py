"""Kill -9 a real indexing process at chosen and random moments; the next run must repair
the index (no orphan vectors, no duplicates, nothing marked done without its chunks), finish
the job, and not embed again anything that was already stored."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
FILES = 150

INSPECT = """
import json
from assistant.services import Services
s = Services()
gen = s.active
cat = gen.catalog
print(json.dumps({
    "catalog": sorted(cat.chunk_ids()),
    "store": sorted(gen.store.ids()),
    "fts": cat.fts_count(),
    "states": {r.key: r.state for r in cat.files()},
    "chunk_counts": {str(k): v for k, v in cat.chunk_counts_by_file().items()},
    "claimed": {str(r.id): r.chunk_count for r in cat.files() if r.state == "indexed"},
}))
"""


def env(home: Path, crash: str | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    e.update({"ASSISTANT_HOME": str(home), "ASSISTANT_EMBEDDING__BATCH_SIZE": "8"})
    if crash:
        e["ASSISTANT_CRASH_AT"] = crash
    return e


def index(home: Path, folder: Path, crash: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "index", "--json", str(folder)],
                          capture_output=True, text=True, env=env(home, crash), cwd=REPO,
                          timeout=600)


def inspect(home: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", INSPECT], capture_output=True, text=True,
                         env=env(home), cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def make_corpus(folder: Path) -> None:
    folder.mkdir(parents=True)
    rng = random.Random(3)
    words = ("river stone lantern orchard copper violin harbour meadow thistle falcon "
             "granite saffron quartz willow ember").split()
    for i in range(FILES):
        text = " ".join(rng.choice(words) for _ in range(60))
        (folder / f"note-{i:03d}.txt").write_text(f"Note {i}. {text}.\n")


def assert_complete_and_consistent(state: dict) -> None:
    assert state["catalog"] == state["store"], "catalog and vector store disagree"
    assert state["fts"] == len(state["catalog"]), "FTS and chunks disagree"
    assert set(state["states"].values()) == {"indexed"}
    assert len(state["states"]) == FILES
    assert state["claimed"] == state["chunk_counts"], "a file is marked done without its chunks"


def recover_and_check(home: Path, folder: Path) -> None:
    after_kill = inspect(home)
    # the kill may leave at most: extra vectors (repaired) and files not yet done
    assert set(after_kill["catalog"]) <= set(after_kill["store"]) | set(after_kill["catalog"])
    rerun = index(home, folder)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    final = inspect(home)
    assert_complete_and_consistent(final)
    already = set(after_kill["store"]) & set(final["catalog"])
    assert summary["embedded_chunks"] == len(set(final["catalog"]) - already), \
        "chunks already in the store were embedded again"


@pytest.mark.parametrize("crash", ["marked-indexing:2", "vectors-added:2", "chunks-swapped:70"])
def test_kill_at_chosen_points(tmp_path: Path, crash: str) -> None:
    home, folder = tmp_path / "home", tmp_path / "docs"
    make_corpus(folder)
    killed = index(home, folder, crash)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    recover_and_check(home, folder)


def test_kill_while_removing_and_updating(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "docs"
    make_corpus(folder)
    assert index(home, folder).returncode == 0
    for i in range(5):  # five deleted, five edited, five new
        (folder / f"note-{i:03d}.txt").unlink()
        (folder / f"note-{i + 5:03d}.txt").write_text(f"Edited note {i} about tamarind.\n")
        (folder / f"new-{i}.txt").write_text(f"New note {i} about juniper.\n")
    killed = index(home, folder, "files-removed:1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    recover_and_check(home, folder)
    final = inspect(home)
    assert not any(k.endswith("note-000.txt") for k in final["states"])


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_at_random_moments(tmp_path: Path, seed: int) -> None:
    home, folder = tmp_path / "home", tmp_path / "docs"
    make_corpus(folder)
    delay = random.Random(seed).uniform(4.0, 14.0)
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "index", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env(home), cwd=REPO)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    recover_and_check(home, folder)

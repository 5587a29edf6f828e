"""Shared fixtures. Every test gets its own ASSISTANT_HOME; heavy models load once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def assistant_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") and key != "ASSISTANT_HOME":
            monkeypatch.delenv(key)
    return home


@pytest.fixture(scope="session")
def embedder():
    from assistant.core.embedding import Embedder

    e = Embedder()
    e.model  # load once for the session  # noqa: B018
    return e


@pytest.fixture(scope="session")
def model_path() -> Path:
    from assistant.config import DEFAULT_MODEL

    path = REPO / "models" / DEFAULT_MODEL
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make model` (make test does it)")
    return path


@pytest.fixture(scope="session")
def generator(model_path: Path):
    from assistant.core.llm import LocalGenerator

    g = LocalGenerator(model_path, n_ctx=4096)
    g.llama  # noqa: B018
    yield g
    g.close()


@pytest.fixture
def services(assistant_home: Path, embedder, generator):
    """The real composition root on a fresh data dir, sharing the session's loaded models."""
    from assistant.config import load_settings
    from assistant.services import Services

    svc = Services(load_settings(), embedder=embedder, generator=generator)
    yield svc
    svc.close()

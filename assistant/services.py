"""Composition root: builds the engine's parts from the settings, each on first use.

An *index generation* is one consistent index (catalog + FTS + vectors) built with one set of
chunking and embedding settings; it lives in ``data_dir/indexes/<profile>/``. The active
generation answers questions. When those settings change, a new generation is built in the
background (``assistant reindex`` or the watcher) while the old one keeps answering, and
the switch happens only once the new one is complete.

Heavy parts (embedding model, vector store, language model) load lazily, so ``status`` and
``forget`` stay quick, and ``search`` never loads the language model.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assistant.config import Settings, load_settings
from assistant.core.answer import Answerer
from assistant.core.catalog import Catalog, profile_key
from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder
from assistant.core.ignore import IgnoreRules
from assistant.core.indexer import Indexer, RepairReport
from assistant.core.llm import LocalGenerator
from assistant.core.lock import WriterLock
from assistant.core.parsing import ParserProcess
from assistant.core.retrieval import Retriever
from assistant.core.store import VectorStore
from assistant.core.types import IndexSummary, RebuildDone, RebuildStarted

CHUNKER_VERSION = 1
GENERATIONS_FILE = "indexes.json"


@dataclass(frozen=True)
class IndexSpec:
    """The settings an index generation is built with."""

    model_dir: str
    max_tokens: int
    overlap_tokens: int

    def embedder(self, device: str, batch_size: int) -> Embedder:
        return Embedder(self.model_dir or None, device, batch_size)

    def profile(self, embedder: Embedder) -> str:
        return profile_key({"embedder": embedder.identity, "max_tokens": self.max_tokens,
                            "overlap": self.overlap_tokens, "chunker": CHUNKER_VERSION})

    def to_json(self) -> dict[str, Any]:
        return {"model_dir": self.model_dir, "max_tokens": self.max_tokens,
                "overlap_tokens": self.overlap_tokens}


class IndexGeneration:
    """One generation's catalog, store, embedder and chunker."""

    def __init__(self, services: Services, spec: IndexSpec, embedder: Embedder | None = None):
        self.services = services
        self.spec = spec
        s = services.settings
        self.embedder = embedder or spec.embedder(s.embedding.device, s.embedding.batch_size)
        self.profile = spec.profile(self.embedder)
        self.dir = services.data_dir / "indexes" / self.profile

    @functools.cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.dir / "catalog.sqlite3")

    @functools.cached_property
    def chunker(self) -> Chunker:
        limit = min(self.spec.max_tokens, self.embedder.max_text_tokens)
        return Chunker(self.embedder.token_spans, limit, self.spec.overlap_tokens)

    @functools.cached_property
    def store(self) -> VectorStore:
        s = self.services.settings.store
        name = f"chunks_{self.profile}"
        if s.mode == "server":
            return VectorStore(name, host=s.host, port=s.port)
        return VectorStore(name, path=self.dir / "chroma")

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()


class Services:
    """``embedder`` and ``generator`` may be passed in already loaded (tests, the desktop app
    sharing one model between windows); they are borrowed and not closed here."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None,
                 generator: LocalGenerator | None = None):
        self.settings = settings or load_settings()
        self._borrowed_embedder = embedder
        if generator is not None:
            self.__dict__["generator"] = generator
        self._borrowed_generator = generator
        self.data_dir = self.settings.data_path
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.writer_lock = WriterLock(self.data_dir)
        self.repair_report: RepairReport | None = None

    # Generations -----------------------------------------------------------------

    @property
    def wanted_spec(self) -> IndexSpec:
        s = self.settings
        return IndexSpec(s.embedding.model_dir, s.chunking.max_tokens, s.chunking.overlap_tokens)

    def _generations(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.data_dir / GENERATIONS_FILE).read_text()))
        except (OSError, ValueError):
            return {}

    def _write_generations(self, data: dict[str, Any]) -> None:
        path = self.data_dir / GENERATIONS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)

    @functools.cached_property
    def active(self) -> IndexGeneration:
        """The generation that answers: the one recorded as active, or a new one."""
        recorded = self._generations().get("active")
        if recorded:
            spec = IndexSpec(recorded["model_dir"], recorded["max_tokens"],
                             recorded["overlap_tokens"])
            if spec == self.wanted_spec:
                return self.wanted
            return IndexGeneration(self, spec)
        gen = self.wanted
        self._write_generations({"active": {**gen.spec.to_json(), "profile": gen.profile}})
        return gen

    @functools.cached_property
    def wanted(self) -> IndexGeneration:
        """The generation the current settings ask for."""
        return IndexGeneration(self, self.wanted_spec, self._borrowed_embedder)

    @property
    def rebuild_pending(self) -> bool:
        return self.active is not self.wanted

    def rebuild_estimate(self) -> tuple[int, int, float]:
        """(files, chunks, seconds) a rebuild for the current settings would take, from the
        active index's size and a short timing of the new embedder on its own chunks."""
        source, target = self.active, self.wanted
        counts = source.catalog.counts()
        files, chunks = counts["files"] + counts["unavailable"], counts["chunks"]
        rows = source.catalog.db.execute("SELECT text FROM chunks LIMIT 32").fetchall()
        sample = [r[0] for r in rows] or ["calibration text"] * 8
        target.embedder.encode(sample[:2])  # load the model outside the timing
        t = time.perf_counter()
        target.embedder.encode(sample)
        per_chunk = (time.perf_counter() - t) / len(sample)
        # parsing, chunking and store writes add roughly a third on top of embedding
        return files, chunks, chunks * per_chunk * 1.35 + files * 0.005

    def build_wanted(self, indexer: Indexer, estimate: bool = True) -> Iterator[Any]:
        """Fill the generation the current settings ask for (``indexer`` writes to it) from the
        files the active one holds. Yields RebuildStarted, then index events."""
        source = self.active
        files, chunks, seconds = self.rebuild_estimate() if estimate else (0, 0, 0.0)
        yield RebuildStarted(files, chunks, seconds)
        self.drop_extra(indexer, source)
        yield from indexer.index([r.path for r in source.catalog.files()], missing_ok=True)

    def rebuild(self, estimate: bool = True) -> Iterator[Any]:
        """Build the wanted generation, then switch to it. The active index keeps answering
        until the switch; an interrupted rebuild resumes where it stopped."""
        if not self.rebuild_pending:
            return
        t0 = time.perf_counter()
        target = self.wanted
        indexer = self.make_indexer(target)
        summary = None
        files = 0
        try:
            for event in self.build_wanted(indexer, estimate):
                if isinstance(event, IndexSummary):
                    summary = event
                    continue
                if isinstance(event, RebuildStarted):
                    files = event.files
                yield event
        finally:
            indexer.close()
        self.activate(target)
        yield RebuildDone(files, summary.embedded_chunks if summary else 0,
                          time.perf_counter() - t0)

    @staticmethod
    def drop_extra(indexer: Indexer, source: IndexGeneration) -> int:
        """Drop from a new generation the files the old one no longer has (a rebuild that was
        interrupted and resumed after files were forgotten)."""
        keep = {r.key for r in source.catalog.files()}
        extra = [r for r in indexer.catalog.files() if r.key not in keep]
        for record in extra:
            indexer.remove(record.path)
        return len(extra)

    def activate(self, generation: IndexGeneration) -> None:
        """Make a fully built generation the one that answers, and drop the old one."""
        old = self.active
        self._write_generations({"active": {**generation.spec.to_json(),
                                            "profile": generation.profile}})
        self.__dict__["active"] = generation
        if "indexer" in self.__dict__:
            self.__dict__.pop("indexer").close()
        for name in ("retriever", "answerer"):
            self.__dict__.pop(name, None)
        if old is not generation:
            old.close()
            shutil.rmtree(old.dir, ignore_errors=True)

    # Engine parts ----------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self.active.catalog

    @property
    def store(self) -> VectorStore:
        return self.active.store

    @property
    def embedder(self) -> Embedder:
        return self.active.embedder

    @property
    def chunker(self) -> Chunker:
        return self.active.chunker

    @functools.cached_property
    def rules(self) -> IgnoreRules:
        i = self.settings.indexing
        return IgnoreRules(i.skip_hidden, i.skip_sensitive, list(i.ignore_patterns))

    def make_indexer(self, generation: IndexGeneration) -> Indexer:
        """An indexer on ``generation``; takes the data dir's writer lock and repairs first."""
        if not self.writer_lock.held:
            self.writer_lock.acquire()
        i = self.settings.indexing
        indexer = Indexer(
            generation.catalog, generation.store, generation.embedder, generation.chunker,
            self.rules, ParserProcess(i.parse_timeout_s, i.parse_memory_mb),
            max_file_bytes=int(i.max_file_mb * 1024 * 1024),
            flush_chunks=max(64, self.settings.embedding.batch_size * 4),
        )
        report = indexer.repair()
        if generation is self.active:
            self.repair_report = report
        return indexer

    @functools.cached_property
    def indexer(self) -> Indexer:
        return self.make_indexer(self.active)

    @functools.cached_property
    def retriever(self) -> Retriever:
        r = self.settings.retrieval
        return Retriever(self.catalog, self.store, self.embedder, r.dense_k, r.lexical_k,
                         r.rrf_k)

    @functools.cached_property
    def generator(self) -> LocalGenerator:
        s = self.settings.llm
        return LocalGenerator(self.settings.model_path, s.n_ctx, s.n_gpu_layers, s.threads,
                              s.seed)

    @functools.cached_property
    def answerer(self) -> Answerer:
        s = self.settings
        return Answerer(self.retriever, self.generator, s.retrieval.top_k,
                        s.retrieval.min_similarity, s.llm.max_answer_tokens, s.llm.temperature,
                        s.retrieval.focus_margin)

    def status(self) -> dict[str, Any]:
        counts = self.catalog.counts()
        errors = [{"path": f.key, "reason": f.reason, "message": f.error}
                  for f in self.catalog.files("failed")]
        unavailable = [f.key for f in self.catalog.files("unavailable")]
        return {
            "files": counts["files"],
            "chunks": counts["chunks"],
            "errors": errors,
            "unavailable": unavailable,
            "pending": counts["pending"],
            "model": str(self.settings.model_path),
            "model_present": self.settings.model_path.is_file(),
            "embedder": str(self.embedder.model_dir),
            "data_dir": str(self.data_dir),
            "index_profile": self.active.profile,
            "rebuild_pending": self.rebuild_pending,
            "watched_folders": list(self.settings.watch.folders),
        }

    def close(self) -> None:
        if "generator" in self.__dict__ and self._borrowed_generator is None:
            self.generator.close()
        if "indexer" in self.__dict__:
            self.indexer.close()
        for name in ("active", "wanted"):
            if name in self.__dict__:
                self.__dict__[name].close()
        self.writer_lock.release()

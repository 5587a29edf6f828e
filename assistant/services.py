"""Composition root: builds the engine's parts from the settings, each on first use.

Heavy parts (embedding model, vector store, language model) load lazily, so ``status`` and
``forget`` stay quick, and ``search`` never loads the language model.
"""

from __future__ import annotations

import functools
from typing import Any

from assistant.config import Settings, load_settings
from assistant.core.answer import Answerer
from assistant.core.catalog import Catalog, profile_key
from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder
from assistant.core.indexer import Indexer
from assistant.core.llm import LocalGenerator
from assistant.core.retrieval import Retriever
from assistant.core.store import VectorStore

CHUNKER_VERSION = 1


class Services:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()
        self.data_dir = self.settings.data_path
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @functools.cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.data_dir / "catalog.sqlite3")

    @functools.cached_property
    def embedder(self) -> Embedder:
        s = self.settings.embedding
        return Embedder(s.model_dir or None, s.device, s.batch_size)

    @functools.cached_property
    def chunker(self) -> Chunker:
        c = self.settings.chunking
        limit = min(c.max_tokens, self.embedder.max_text_tokens)
        return Chunker(self.embedder.token_spans, limit, c.overlap_tokens)

    @property
    def embedding_profile(self) -> str:
        """Vectors from different embedders never share a collection."""
        return self.embedder.identity

    @property
    def index_profile(self) -> str:
        """Files chunked with other settings are re-chunked on the next index run."""
        c = self.chunker
        return profile_key({"embedding": self.embedding_profile, "max_tokens": c.max_tokens,
                            "overlap": c.overlap_tokens, "chunker": CHUNKER_VERSION})

    @functools.cached_property
    def store(self) -> VectorStore:
        s = self.settings.store
        name = f"chunks_{self.embedding_profile}"
        if s.mode == "server":
            return VectorStore(name, host=s.host, port=s.port)
        return VectorStore(name, path=self.data_dir / "chroma")

    @functools.cached_property
    def indexer(self) -> Indexer:
        return Indexer(
            self.catalog, self.store, self.embedder, self.chunker, self.index_profile,
            max_file_bytes=int(self.settings.indexing.max_file_mb * 1024 * 1024),
            flush_chunks=max(64, self.settings.embedding.batch_size * 4),
        )

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
        errors = [{"path": f.path, "reason": f.reason, "message": f.error}
                  for f in self.catalog.files("failed")]
        return {
            "files": counts["files"],
            "chunks": counts["chunks"],
            "errors": errors,
            "model": str(self.settings.model_path),
            "model_present": self.settings.model_path.is_file(),
            "embedder": str(self.embedder.model_dir),
            "data_dir": str(self.data_dir),
        }

    def close(self) -> None:
        if "generator" in self.__dict__:
            self.generator.close()
        if "catalog" in self.__dict__:
            self.catalog.close()

"""Vector store: Chroma, embedded on disk by default or a Chroma server over HTTP.

Embeddings are computed by our embedder; Chroma never embeds (its default embedder would
download a model). Telemetry is off. The collection name carries the index profile, so a
different embedding model never mixes vectors of different spaces.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.errors import StoreError

# Chroma caps the ids in one call; stay well below it.
_MAX_BATCH = 4000
# HNSW search breadth: Chroma's default (10) is below the 30 candidates asked for, which made
# rankings differ between runs over the same index; a wide search returns the true nearest.
EF_SEARCH = 128
EF_CONSTRUCTION = 200


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class _Remote:
    """A server's collection whose failures read as one clear line: a server that stopped
    answering, refused the token, or answered something else. What was written before stays
    consistent: the indexer's next run repairs from the catalog."""

    def __init__(self, collection: Any, where: str):
        self._collection = collection
        self._where = where

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except Exception as exc:
                raise server_error(self._where, exc) from exc
        return call


def server_error(where: str, exc: Exception) -> StoreError:
    import httpx

    if isinstance(exc, StoreError):
        return exc
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, httpx.TransportError):
        cause = cause.__cause__ or cause.__context__
    if cause is not None or "could not connect to a chroma server" in str(exc).lower():
        exc = cause if isinstance(cause, Exception) else exc
        return StoreError(f"the Chroma server at {where} does not answer ({exc}); start it, "
                          "or set store.mode = \"embedded\" (what was indexed is kept, and the "
                          "next run repairs the index)")
    name = type(exc).__name__
    text = str(exc).strip() or name
    if name in ("AuthorizationError", "AuthenticationError") or "unauthorized" in text.lower() \
            or "forbidden" in text.lower():
        return StoreError(f"the Chroma server at {where} refused the token ({text[:200]}): set "
                          "it with `assistant key set chroma` or ASSISTANT_CHROMA_TOKEN")
    if "not found" in text.lower() or "<html" in text.lower():
        return StoreError(f"the server at {where} is not a Chroma server this app can use (it "
                          f"answered: {text[:200]}); it needs Chroma 1.x (API v2)")
    return StoreError(f"the Chroma server at {where} failed: {name}: {text[:300]}")


class VectorStore:
    def __init__(self, collection: str, path: Path | None = None, host: str | None = None,
                 port: int = 8000, ssl: bool = False, token: str | None = None):
        logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
        import chromadb

        self.where = f"{'https' if ssl else 'http'}://{host}:{port}" if host else str(path)
        self.name = collection
        self.remote = bool(host)
        try:
            if host:
                headers = {"Authorization": f"Bearer {token}"} if token else None
                self.client = chromadb.HttpClient(host=host, port=port, ssl=ssl,
                                                  headers=headers, settings=_chroma_settings())
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path),
                                                        settings=_chroma_settings())
            self.collection = self.client.get_or_create_collection(
                collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH,
                                        "ef_construction": EF_CONSTRUCTION}},
            )
            if host:
                self.collection = _Remote(self.collection, self.where)
            self._search_wide_enough()
        except Exception as exc:
            if host:
                raise server_error(self.where, exc) from exc
            raise StoreError(f"cannot open the vector store at {self.where}: {exc}") from exc

    def drop(self) -> None:
        """Delete the collection (a retired index generation): on a server its vectors would
        otherwise stay there for ever, since no folder of ours holds them."""
        try:
            self.client.delete_collection(self.name)
        except Exception as exc:
            if self.remote:
                raise server_error(self.where, exc) from exc
            raise StoreError(f"cannot delete {self.name} at {self.where}: {exc}") from exc

    def _search_wide_enough(self) -> None:
        """Widen the search of a collection made by an older version."""
        try:
            hnsw = (self.collection.configuration or {}).get("hnsw") or {}
            if int(hnsw.get("ef_search") or 0) < EF_SEARCH:
                self.collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        except Exception:  # noqa: BLE001,S110 - a server that can't: keep its setting
            pass

    def add(self, ids: Sequence[str], vectors: np.ndarray,
            metadatas: Sequence[dict[str, Any]]) -> None:
        # The array as it is: converting it to lists first made each call 20% slower.
        for i in range(0, len(ids), _MAX_BATCH):
            self.collection.upsert(
                ids=list(ids[i : i + _MAX_BATCH]),
                embeddings=vectors[i : i + _MAX_BATCH],
                metadatas=list(metadatas[i : i + _MAX_BATCH]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), _MAX_BATCH):
            self.collection.delete(ids=list(ids[i : i + _MAX_BATCH]))

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        # No count first: at 100k vectors counting took 11 ms, the search itself 2. This
        # Chroma returns fewer results (none from an empty collection) on its own; an older
        # server may refuse to, and is then asked for no more than it holds.
        try:
            res = self.collection.query(query_embeddings=[vector.tolist()], n_results=n,
                                        include=["distances"])
        except Exception:  # noqa: BLE001 - retried below; a real failure raises again
            total = self.count()
            if total == 0:
                return []
            res = self.collection.query(query_embeddings=[vector.tolist()],
                                        n_results=min(n, total), include=["distances"])
        ids = res["ids"][0]
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True)]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        res = self.collection.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32)
                for i, e in zip(res["ids"], res["embeddings"], strict=True)}

    def pages(self) -> Iterator[tuple[list[str], np.ndarray, list[dict[str, Any]]]]:
        """Every (ids, vectors, metadatas), a page at a time (to copy the store elsewhere)."""
        offset = 0
        while True:
            res = self.collection.get(include=["embeddings", "metadatas"], limit=_MAX_BATCH,
                                      offset=offset)
            if not res["ids"]:
                return
            yield (list(res["ids"]), np.asarray(res["embeddings"], dtype=np.float32),
                   [dict(m or {}) for m in res["metadatas"]])
            offset += len(res["ids"])

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the store already holds."""
        out: set[str] = set()
        for i in range(0, len(ids), _MAX_BATCH):
            out.update(self.collection.get(ids=list(ids[i : i + _MAX_BATCH]), include=[])["ids"])
        return out

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            res = self.collection.get(include=[], limit=_MAX_BATCH, offset=offset)
            if not res["ids"]:
                return out
            out.update(res["ids"])
            offset += len(res["ids"])

    def count(self) -> int:
        return int(self.collection.count())

"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (llama.cpp's server with
an embedding model, vLLM, Ollama, a hosted API) instead of the local sentence-transformers
model.

Passages are still cut with the bundled MiniLM tokenizer (the API has no tokenizer); the
vectors are L2-normalised here, as the local ones are. A server whose model has no pooling
answers with one vector per token: those are averaged, as sentence-transformers' mean
pooling does. The index profile records the server and the model (:attr:`identity`), so
switching embedders builds a new index in the background, as for a local model.

A remote embedder is named in the index spec as ``openai+BASE_URL#MODEL`` (see
:func:`remote_spec`), so the generations machinery handles it like a model folder.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np

from assistant.core.embedding import Embedder
from assistant.core.remote_llm import ModelServerError, OpenAIEndpoint

PREFIX = "openai+"
REMOTE_BATCH = 64


def remote_spec(base_url: str, model: str) -> str:
    return f"{PREFIX}{base_url.rstrip('/')}#{model}"


def is_remote(spec: str) -> bool:
    return spec.startswith(PREFIX)


def parse_spec(spec: str) -> tuple[str, str]:
    base_url, _, model = spec[len(PREFIX):].partition("#")
    return base_url, model


class RemoteEmbedder(Embedder):
    def __init__(self, spec: str, api_key: str | None = None, batch_size: int = 0,
                 timeout_s: float = 120.0):
        super().__init__(None, "cpu", batch_size)  # the bundled tokenizer cuts passages
        base_url, model = parse_spec(spec)
        self.spec = spec
        self.server_model = model
        self.endpoint = OpenAIEndpoint(base_url, api_key, timeout_s, what="embedding server")
        self._dimension = 0
        self._ready = threading.Lock()
        self._loaded = False

    @property
    def batch_size(self) -> int:
        return self._batch_size if self._batch_size > 0 else REMOTE_BATCH

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    @property
    def name(self) -> str:
        return f"{self.server_model or 'the model'} at {self.endpoint.where}"

    @property
    def identity(self) -> str:
        """The server and the model it was asked for: vectors of another are not mixed in."""
        return hashlib.sha256(self.spec.encode()).hexdigest()[:12]

    @property
    def max_seq_length(self) -> int:
        return 256  # passages are sized for MiniLM's tokenizer; servers read at least this

    @property
    def model(self) -> Any:
        self.load()
        return self

    def load(self) -> None:
        """Check that the server answers, takes the key and has the model."""
        with self._ready:
            if not self._loaded:
                self.server_model = self.endpoint.models(self.server_model)
                self._loaded = True

    @property
    def dimension(self) -> int:
        if not self._dimension:
            self.encode(["dimension"])
        return self._dimension

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode(self, texts: list[str], batch_size: int | None = None,
               threads: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        step = batch_size or self.batch_size
        out = []
        for start in range(0, len(texts), step):
            part = texts[start:start + step]
            answer = self.endpoint.post_json(
                "/embeddings", {"model": self.server_model, "input": part})
            try:
                rows = sorted(answer["data"], key=lambda d: d.get("index", 0))
                vectors = [_pooled(row["embedding"]) for row in rows]
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelServerError(
                    f"the embedding server at {self.endpoint.where} answered something that "
                    f"is not embeddings ({str(answer)[:120]!r})") from exc
            if len(vectors) != len(part):
                raise ModelServerError(
                    f"the embedding server at {self.endpoint.where} returned {len(vectors)} "
                    f"vectors for {len(part)} texts")
            out.extend(vectors)
        matrix = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms > 0, norms, 1.0)
        self._dimension = int(matrix.shape[1])
        return matrix


def _pooled(embedding: Any) -> np.ndarray:
    """One vector: as given, or the mean of per-token vectors."""
    array = np.asarray(embedding, dtype=np.float32)
    if array.ndim == 2:
        return array.mean(axis=0)  # type: ignore[no-any-return]
    if array.ndim != 1 or not array.size:
        raise ValueError(f"an embedding of shape {array.shape}")
    return array

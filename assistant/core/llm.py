"""The local generator: llama-cpp-python on a GGUF file, one inference at a time.

The chat template comes from the GGUF's own metadata. Layers are offloaded to Metal or
CUDA when the llama.cpp build supports it; otherwise it runs on the CPU's physical cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.core.errors import ModelMissingError

Message = dict[str, str]


def physical_cores() -> int:
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except Exception:  # psutil can fail in odd containers
        n = None
    return max(1, n or os.cpu_count() or 1)


def gpu_offload_supported() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


class LocalGenerator:
    def __init__(self, model_path: Path, n_ctx: int = 4096, n_gpu_layers: int = -1,
                 threads: int = 0, seed: int = 0):
        if not model_path.is_file():
            raise ModelMissingError(
                f"model file not found: {model_path}. Fetch the default model with "
                "`python scripts/fetch_model.py` (or `make model`), or set llm.model to a GGUF file"
            )
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_gpu_layers = n_gpu_layers
        self.threads = threads or physical_cores()
        self.seed = seed
        self._llama: Any = None
        self._load_lock = threading.Lock()
        # llama.cpp contexts are not thread-safe: one inference lane per model.
        self.lane = threading.Lock()

    @property
    def name(self) -> str:
        return self.model_path.name

    @property
    def llama(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                import llama_cpp

                gpu = gpu_offload_supported()
                try:
                    self._llama = llama_cpp.Llama(
                        model_path=str(self.model_path),
                        n_ctx=self.n_ctx,
                        n_threads=self.threads,
                        n_gpu_layers=self.n_gpu_layers if gpu else 0,
                        seed=self.seed,
                        verbose=False,
                    )
                except ValueError as exc:
                    raise ModelMissingError(
                        f"cannot load {self.model_path.name}: {exc} (is it a GGUF file?)"
                    ) from exc
                self.gpu_offload = gpu
        return self._llama

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream_chat(self, messages: list[Message], max_tokens: int, temperature: float,
                    stop: list[str] | None = None) -> Iterator[str]:
        """Yield the reply's text pieces. Holds the inference lane until exhausted or closed."""
        llama = self.llama
        with self.lane:
            llama.reset()
            chunks = llama.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_tokens,
                temperature=temperature, seed=self.seed, stop=stop,
                top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def close(self) -> None:
        """Free the model now: llama-cpp-python's own finaliser fails at interpreter exit."""
        with self._load_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def info(self) -> dict[str, Any]:
        return {
            "path": str(self.model_path),
            "name": self.name,
            "n_ctx": self.n_ctx,
            "threads": self.threads,
            "gpu_offload": gpu_offload_supported(),
        }

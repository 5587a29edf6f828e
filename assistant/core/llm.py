"""The local generator: llama-cpp-python on a GGUF file, one inference at a time.

The chat template comes from the GGUF's own metadata. Layers are offloaded to Metal or
CUDA when the llama.cpp build supports it; otherwise it runs on the CPU's physical cores.

A long-lived app shares one generator between the window, the tray popup and the terminal:

- Loading happens once, on whichever thread asks first (others wait for it), and reports its
  state (:class:`ModelState`: loading, ready, failed with the reason) to listeners.
- llama.cpp contexts are not thread-safe: one inference *lane* (a lock) per model. A stream
  holds it only while it runs; it is released when the stream ends, is cancelled, is closed,
  or is dropped unfinished.
- Cancelling (from any thread) stops a stream between tokens, and during the prompt's
  processing, which can take seconds on a CPU, through llama.cpp's abort callback.
"""

from __future__ import annotations

import collections
import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError, ModelMissingError
from assistant.core.types import FAILED, LOADING, READY, UNLOADED, ModelState

Message = dict[str, str]


class GenerationCancelled(AssistantError):
    pass


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


_log_callback: Any = None
llama_errors: collections.deque[str] = collections.deque(maxlen=16)  # llama.cpp's latest


class _NoStreamSwap:
    def __init__(self, disable: bool = True):
        pass

    def __enter__(self) -> _NoStreamSwap:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _keep_process_streams(llama_cpp: Any) -> None:
    """Stop llama-cpp-python's ``verbose=False`` from silencing the whole process.

    Around a model load it points ``sys.stdout``/``sys.stderr`` and file descriptors 1 and 2
    at /dev/null: process-wide, while other threads print. In the app, a terminal command
    served during a model load lost its output that way (``status --json`` printed nothing,
    exit 0). llama.cpp's own messages go through a log callback instead: all of them on
    stderr with ASSISTANT_DEBUG=1, else only its errors are kept (:data:`llama_errors`), for
    the one-line reason a failed load gives. The swap is replaced by a no-op."""
    import importlib

    global _log_callback
    if _log_callback is None:
        debug = os.environ.get("ASSISTANT_DEBUG") == "1"

        last = [0]

        @llama_cpp.llama_log_callback
        def log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            # ggml's levels: 1 debug, 2 info, 3 warn, 4 error, 5 continues the last one
            if level != 5:
                last[0] = level
            message = text.decode("utf-8", "replace")
            if debug:
                sys.stderr.write(message)
            elif last[0] >= 4 and message.strip():  # errors: kept for the one-line reason
                llama_errors.append(message.strip())

        _log_callback = log  # kept: llama.cpp holds a pointer to it
        llama_cpp.llama_log_set(log, ctypes.c_void_p(0))

    for name in ("llama_cpp.llama", "llama_cpp._internals", "llama_cpp.llama_chat_format"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "suppress_stdout_stderr"):
            module.suppress_stdout_stderr = _NoStreamSwap


class ReportsState:
    """A generator's loading state (:class:`ModelState`), told to listeners at every change
    (on the thread that changes it)."""

    name: str

    def __init__(self) -> None:
        self.state = UNLOADED
        self.failure = ""
        self._listeners: list[Callable[[ModelState], None]] = []

    def add_listener(self, listener: Callable[[ModelState], None]) -> None:
        self._listeners.append(listener)

    def _report(self, state: str, reason: str = "", seconds: float = 0.0) -> ModelState:
        self.state = state
        event = ModelState(state, self.name, reason, seconds)
        for listener in list(self._listeners):
            listener(event)
        return event


class LocalGenerator(ReportsState):
    def __init__(self, model_path: Path, n_ctx: int = 4096, n_gpu_layers: int = -1,
                 threads: int = 0, seed: int = 0):
        super().__init__()
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
        self.gpu_offload = False
        self.gpu_fallback = ""  # why the GPU was not used although the build supports it
        self._llama: Any = None
        self._load_lock = threading.Lock()
        # llama.cpp contexts are not thread-safe: one inference lane per model.
        self.lane = threading.Lock()
        self._abort = threading.Event()  # close(): stop whatever runs
        self._cancel: threading.Event | None = None  # the running stream's cancel request
        self._abort_callback: Any = None
        self._judging: tuple[Any, Any, list[int], list[int]] | None = None

    @property
    def name(self) -> str:
        return self.model_path.name

    # Loading ---------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> None:
        """Load the model now (once: other threads asking meanwhile wait for this load)."""
        with self._load_lock:
            if self._llama is not None:
                return
            import llama_cpp

            _keep_process_streams(llama_cpp)
            llama_errors.clear()
            t0 = time.perf_counter()
            self._report(LOADING)
            gpu = gpu_offload_supported() and self.n_gpu_layers != 0
            self.gpu_fallback = ""
            try:
                try:
                    llama = self._open(llama_cpp, gpu)
                except (ValueError, RuntimeError, OSError):
                    if not gpu:
                        raise
                    # The GPU could not take it (out of memory, a driver that fails to start):
                    # the CPU can; say so once instead of failing.
                    self.gpu_fallback = (f"the GPU could not be used ({self._llama_error('')})"
                                         "; the model runs on the CPU")
                    llama_errors.clear()
                    gpu = False
                    llama = self._open(llama_cpp, gpu)
            except (ValueError, RuntimeError, OSError) as exc:
                why = self._llama_error(str(exc))
                self.failure = f"cannot load {self.model_path.name}: {why} (is it a GGUF file?)"
                self._report(FAILED, self.failure)
                raise ModelMissingError(self.failure) from exc
            self.gpu_offload = gpu
            self._install_abort(llama)
            self._llama = llama
            self.failure = ""
            self._report(READY, self.gpu_fallback, seconds=time.perf_counter() - t0)

    def _open(self, llama_cpp: Any, gpu: bool) -> Any:
        return llama_cpp.Llama(model_path=str(self.model_path), n_ctx=self.n_ctx,
                               n_threads=self.threads,
                               n_gpu_layers=self.n_gpu_layers if gpu else 0, seed=self.seed,
                               verbose=False)

    @staticmethod
    def _llama_error(default: str) -> str:
        """llama.cpp's own reason (it logs the cause first, then "failed to load model")."""
        return next((e.split(": ", 1)[-1] for e in llama_errors if "failed to" not in e),
                    "") or default

    @property
    def llama(self) -> Any:
        self.load()
        return self._llama

    def _install_abort(self, llama: Any) -> None:
        """Let cancel() interrupt the prompt's processing (llama.cpp asks between steps)."""
        import llama_cpp

        ctx = getattr(getattr(llama, "_ctx", None), "ctx", None)
        setter = getattr(llama_cpp, "llama_set_abort_callback", None)
        if ctx is None or setter is None:
            return
        def should_abort(_data: ctypes.c_void_p) -> bool:
            cancel = self._cancel
            return self._abort.is_set() or (cancel is not None and cancel.is_set())

        self._abort_callback = llama_cpp.ggml_abort_callback(should_abort)  # keep it alive
        self._set_abort = lambda on: setter(ctx, self._abort_callback if on else
                                            llama_cpp.ggml_abort_callback(), None)

    def _checking_abort(self, on: bool) -> None:
        # Only while the prompt is processed: the check runs at every step of llama.cpp's
        # graph, which costs too much per generated token; between tokens Python checks.
        setter = getattr(self, "_set_abort", None)
        if setter is not None:
            setter(on)

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # Generating ------------------------------------------------------------------

    def stream_chat(self, messages: list[Message], max_tokens: int, temperature: float,
                    stop: list[str] | None = None,
                    cancel: threading.Event | None = None) -> Iterator[str]:
        """Yield the reply's text pieces, holding the inference lane while it runs.

        ``cancel`` set from any thread ends the stream at the next token (or aborts the
        prompt's processing) and raises :class:`GenerationCancelled` in the consuming thread.
        Closing or dropping the iterator releases the lane too.
        """
        llama = self.llama
        cancel = cancel or threading.Event()
        with self.lane:
            if cancel.is_set():
                raise GenerationCancelled("cancelled before it started")
            self._cancel = cancel
            llama.reset()
            self._checking_abort(True)
            chunks = llama.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_tokens,
                temperature=temperature, seed=self.seed, stop=stop,
                top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1,
            )
            try:
                first = True
                for chunk in chunks:
                    if first:
                        self._checking_abort(False)
                        first = False
                    if cancel.is_set() or self._abort.is_set():
                        raise GenerationCancelled("cancelled")
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except RuntimeError as exc:  # llama_decode returned 2: aborted by the callback
                if cancel.is_set() or self._abort.is_set():
                    raise GenerationCancelled("cancelled") from exc
                raise
            finally:
                self._checking_abort(False)
                self._cancel = None
                chunks.close()

    def _judge_setup(self) -> tuple[Any, list[int], list[int]]:
        """The chat template's formatter and the token ids of "yes" and "no" (with and
        without a leading space or capital), made once per loaded model."""
        llama = self.llama
        if self._judging is None or self._judging[0] is not llama:
            from llama_cpp import llama_chat_format

            template = llama.metadata.get("tokenizer.chat_template")
            formatter: Any = llama_chat_format.format_chatml
            if template:
                model = llama._model
                eos, bos = model.token_eos(), model.token_bos()
                formatter = llama_chat_format.Jinja2ChatFormatter(
                    template=template,
                    eos_token=model.token_get_text(eos) if eos != -1 else "",
                    bos_token=model.token_get_text(bos) if bos != -1 else "")
            ids = [llama.tokenize(v.encode("utf-8"), add_bos=False, special=False)
                   for v in ("yes", " yes", "Yes", " Yes", "no", " no", "No", " No")]
            yes = sorted({t[0] for t in ids[:4] if t})
            no = sorted({t[0] for t in ids[4:] if t})
            self._judging = (llama, formatter, yes, no)
        return self._judging[1], self._judging[2], self._judging[3]

    def yes_odds(self, messages: list[Message]) -> float:
        """The model's log-odds of replying "yes" rather than "no" to ``messages`` (one
        forward pass, no sampling). The prompt is always evaluated whole: a prefix reused from
        llama.cpp's cache was computed in other batches and moved the odds by about 0.02,
        enough to flip a decision at its threshold; the same question must get the same
        verdict."""
        import numpy as np

        llama = self.llama
        formatter, yes, no = self._judge_setup()
        result = formatter(messages=messages)
        tokens = llama.tokenize(result.prompt.encode("utf-8"),
                                add_bos=not result.added_special, special=True)
        with self.lane:
            llama.reset()
            llama.eval(tokens)
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))
            logits = np.asarray(logits, dtype=np.float64)
            return float(np.logaddexp.reduce(logits[yes]) - np.logaddexp.reduce(logits[no]))

    def close(self, timeout: float = 10.0) -> None:
        """Free the model (llama-cpp-python's own finaliser fails at interpreter exit). A
        running generation is stopped first: closing waits for the lane."""
        with self._load_lock:
            if self._llama is None:
                return
            self._abort.set()
            got = self.lane.acquire(timeout=timeout)
            try:
                self._llama.close()
                self._llama = None
                self._judging = None
                self.state = UNLOADED
            finally:
                self._abort.clear()
                if got:
                    self.lane.release()

    def info(self) -> dict[str, Any]:
        return {
            "path": str(self.model_path),
            "name": self.name,
            "n_ctx": self.n_ctx,
            "threads": self.threads,
            "gpu_offload": self.gpu_offload if self.loaded else gpu_offload_supported(),
            "gpu_fallback": self.gpu_fallback,
            "state": self.state,
        }

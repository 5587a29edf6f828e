"""A model on an OpenAI-compatible server: llama.cpp's server, llama-cpp-python's, vLLM,
Ollama, or a hosted API, through ``/v1/models`` and a streamed ``/v1/chat/completions``.

The engine around it is the same as for the local model: the same prompts, the citations the
engine attaches, the same checks and abstention. What differs is how it fails, and each way
is one clear :class:`ModelServerError`: a server that does not answer, refuses the API key,
answers with an error, takes longer than the timeout, or stops mid-answer. An answer cut off
is never passed on as complete: the stream raises instead of ending quietly.

The API key comes from :mod:`assistant.secrets` (the OS keychain or the environment) and is
sent as ``Authorization: Bearer ...``; it never appears in a message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from assistant.core.errors import AssistantError
from assistant.core.llm import GenerationCancelled, Message, ReportsState
from assistant.core.types import FAILED, LOADING, READY


class ModelServerError(AssistantError):
    pass


class RemoteGenerator(ReportsState):
    def __init__(self, base_url: str, model: str = "", api_key: str | None = None,
                 n_ctx: int = 4096, timeout_s: float = 120.0, seed: int = 0):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.n_ctx = n_ctx
        self.timeout_s = timeout_s
        self.seed = seed
        parts = urlsplit(self.base_url)
        self.where = f"{parts.scheme}://{parts.netloc}" if parts.netloc else self.base_url
        self._client: Any = None
        self._load_lock = threading.Lock()
        self._loaded = False

    @property
    def name(self) -> str:
        return self.model or f"the model at {self.where}"

    @property
    def loaded(self) -> bool:
        return self._loaded

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.Client(headers=headers,
                                        timeout=httpx.Timeout(self.timeout_s, connect=10.0))
        return self._client

    def _error(self, exc: Exception, started: bool = False) -> ModelServerError:
        import httpx

        if isinstance(exc, ModelServerError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return ModelServerError(
                f"the model server at {self.where} took longer than {self.timeout_s:g} s to "
                "answer" + ("; the answer is incomplete and was not kept" if started else "")
                + " (llm.timeout_s sets the limit)")
        if isinstance(exc, httpx.TransportError):
            if started:
                return ModelServerError(
                    f"the model server at {self.where} stopped mid-answer ({exc}); the answer "
                    "is incomplete and was not kept")
            return ModelServerError(
                f"the model server at {self.where} does not answer ({exc}); start it, or set "
                "llm.backend = \"local\"")
        return ModelServerError(f"the model server at {self.where} failed: {exc}")

    def _http_error(self, status: int, text: str) -> ModelServerError:
        try:
            body = json.loads(text)
            detail = body.get("detail") or body.get("error") or body
            if isinstance(detail, dict):
                detail = detail.get("message") or detail
        except (ValueError, AttributeError):
            detail = text
        detail = " ".join(str(detail).split())[:200]
        if status in (401, 403):
            return ModelServerError(
                f"the model server at {self.where} refused the API key ({status} {detail}): "
                "set it with `assistant key set openai` or ASSISTANT_OPENAI_API_KEY")
        return ModelServerError(f"the model server at {self.where} answered {status}: {detail}")

    # Loading ---------------------------------------------------------------------

    def load(self) -> None:
        """Ask the server which models it serves (the first is used when llm.server_model is
        empty): checks that it answers and takes the key, before the first question."""
        with self._load_lock:
            if self._loaded:
                return
            t0 = time.perf_counter()
            self._report(LOADING)
            try:
                try:
                    resp = self._http().get(f"{self.base_url}/models")
                except Exception as exc:
                    raise self._error(exc) from exc
                if resp.status_code >= 400:
                    raise self._http_error(resp.status_code, resp.text)
                try:
                    served = [m["id"] for m in resp.json().get("data", [])]
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise ModelServerError(
                        f"{self.base_url}/models did not answer as an OpenAI-compatible server "
                        f"does ({resp.text[:120]!r})") from exc
                if not self.model:
                    if not served:
                        raise ModelServerError(f"the model server at {self.where} serves no "
                                               "model; set llm.server_model")
                    self.model = served[0]
                elif served and self.model not in served:
                    raise ModelServerError(
                        f"the model server at {self.where} has no model {self.model!r} (it "
                        f"serves: {', '.join(served[:5])}); set llm.server_model")
            except ModelServerError as exc:
                self.failure = str(exc)
                self._report(FAILED, self.failure)
                raise
            self._loaded = True
            self.failure = ""
            self._report(READY, seconds=time.perf_counter() - t0)

    def count_tokens(self, text: str) -> int:
        """An estimate (the API has no tokenizer): one token per 3 characters, more than
        English text takes in the tokenizers of these models, so a prompt fitted to the
        context window with it fits."""
        return len(text) // 3 + 1

    # Generating ------------------------------------------------------------------

    def stream_chat(self, messages: list[Message], max_tokens: int, temperature: float,
                    stop: list[str] | None = None,
                    cancel: threading.Event | None = None) -> Iterator[str]:
        """Yield the reply's text pieces as the server streams them. ``cancel`` ends the
        stream at the next piece (raising :class:`GenerationCancelled`); a stream that ends
        without the server saying it is finished raises :class:`ModelServerError`."""
        self.load()
        cancel = cancel or threading.Event()
        if cancel.is_set():
            raise GenerationCancelled("cancelled before it started")
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True,
                                "max_tokens": max_tokens, "temperature": temperature,
                                "seed": self.seed}
        if stop:
            body["stop"] = stop
        started = finished = False
        try:
            with self._http().stream("POST", f"{self.base_url}/chat/completions",
                                     json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise self._http_error(resp.status_code, resp.text)
                for line in resp.iter_lines():
                    if cancel.is_set():
                        raise GenerationCancelled("cancelled")
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    chunk = json.loads(data)
                    if chunk.get("error"):
                        raise self._http_error(500, json.dumps(chunk))
                    choice = (chunk.get("choices") or [{}])[0]
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        started = True
                        yield piece
                    if choice.get("finish_reason"):
                        finished = True
        except (GenerationCancelled, ModelServerError):
            raise
        except json.JSONDecodeError as exc:
            raise ModelServerError(f"the model server at {self.where} sent something that is "
                                   f"not a streamed answer ({exc})") from exc
        except Exception as exc:
            if finished:  # the server had said the answer was complete; only [DONE] was lost
                return
            raise self._error(exc, started) from exc
        if not finished:
            raise ModelServerError(
                f"the model server at {self.where} ended the stream before the answer was "
                "complete; the answer is incomplete and was not kept")

    def close(self, timeout: float = 10.0) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._loaded = False

    def info(self) -> dict[str, Any]:
        return {"backend": "openai", "base_url": self.base_url, "name": self.name,
                "n_ctx": self.n_ctx, "state": self.state}

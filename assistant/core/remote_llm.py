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


class OpenAIEndpoint:
    """An OpenAI-compatible API root (``.../v1``): one HTTP client, the API key as a bearer
    token, and every failure turned into one :class:`ModelServerError` line."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 120.0,
                 what: str = "model server"):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.what = what
        parts = urlsplit(self.base_url)
        self.where = f"{parts.scheme}://{parts.netloc}" if parts.netloc else self.base_url
        self._client: Any = None

    def http(self) -> Any:
        if self._client is None:
            import httpx

            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.Client(headers=headers,
                                        timeout=httpx.Timeout(self.timeout_s, connect=10.0))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def error(self, exc: Exception, started: bool = False) -> ModelServerError:
        import httpx

        if isinstance(exc, ModelServerError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return ModelServerError(
                f"the {self.what} at {self.where} took longer than {self.timeout_s:g} s to "
                "answer" + ("; the answer is incomplete and was not kept" if started else "")
                + " (llm.timeout_s sets the limit)")
        if isinstance(exc, httpx.TransportError):
            if started:
                return ModelServerError(
                    f"the {self.what} at {self.where} stopped mid-answer ({exc}); the answer "
                    "is incomplete and was not kept")
            return ModelServerError(
                f"the {self.what} at {self.where} does not answer ({exc}); start it, or set "
                "the backend back to \"local\"")
        return ModelServerError(f"the {self.what} at {self.where} failed: {exc}")

    def http_error(self, status: int, text: str) -> ModelServerError:
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
                f"the {self.what} at {self.where} refused the API key ({status} {detail}): "
                "set it with `assistant key set openai` or ASSISTANT_OPENAI_API_KEY")
        return ModelServerError(f"the {self.what} at {self.where} answered {status}: {detail}")

    def get_json(self, path: str) -> Any:
        try:
            resp = self.http().get(f"{self.base_url}{path}")
        except Exception as exc:
            raise self.error(exc) from exc
        return self._json(resp, path)

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        try:
            resp = self.http().post(f"{self.base_url}{path}", json=body)
        except Exception as exc:
            raise self.error(exc) from exc
        return self._json(resp, path)

    def _json(self, resp: Any, path: str) -> Any:
        if resp.status_code >= 400:
            raise self.http_error(resp.status_code, resp.text)
        try:
            return resp.json()
        except ValueError as exc:
            raise ModelServerError(f"{self.base_url}{path} did not answer as an OpenAI-"
                                   f"compatible server does ({resp.text[:120]!r})") from exc

    def models(self, wanted: str) -> str:
        """The model to ask for: ``wanted``, checked against what the server lists, or the
        first it lists when ``wanted`` is empty."""
        listing = self.get_json("/models")
        try:
            served = [m["id"] for m in listing.get("data", [])]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ModelServerError(f"{self.base_url}/models did not answer as an OpenAI-"
                                   f"compatible server does ({str(listing)[:120]!r})") from exc
        if not wanted:
            if not served:
                raise ModelServerError(f"the {self.what} at {self.where} serves no model; "
                                       "name one in the settings")
            return str(served[0])
        if served and wanted not in served:
            raise ModelServerError(
                f"the {self.what} at {self.where} has no model {wanted!r} (it serves: "
                f"{', '.join(served[:5])})")
        return wanted


class RemoteGenerator(ReportsState):
    def __init__(self, base_url: str, model: str = "", api_key: str | None = None,
                 n_ctx: int = 4096, timeout_s: float = 120.0, seed: int = 0):
        super().__init__()
        self.endpoint = OpenAIEndpoint(base_url, api_key, timeout_s)
        self.model = model
        self.n_ctx = n_ctx
        self.seed = seed
        self._load_lock = threading.Lock()
        self._loaded = False

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    @property
    def where(self) -> str:
        return self.endpoint.where

    @property
    def api_key(self) -> str | None:
        return self.endpoint.api_key

    @property
    def name(self) -> str:
        return self.model or f"the model at {self.where}"

    @property
    def loaded(self) -> bool:
        return self._loaded

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
                self.model = self.endpoint.models(self.model)
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
            with self.endpoint.http().stream("POST", f"{self.base_url}/chat/completions",
                                             json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise self.endpoint.http_error(resp.status_code, resp.text)
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
                        raise self.endpoint.http_error(500, json.dumps(chunk))
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
            raise self.endpoint.error(exc, started) from exc
        if not finished:
            raise ModelServerError(
                f"the model server at {self.where} ended the stream before the answer was "
                "complete; the answer is incomplete and was not kept")

    def close(self, timeout: float = 10.0) -> None:
        self.endpoint.close()
        self._loaded = False

    def info(self) -> dict[str, Any]:
        return {"backend": "openai", "base_url": self.base_url, "name": self.name,
                "n_ctx": self.n_ctx, "state": self.state}

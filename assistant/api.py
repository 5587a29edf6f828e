"""`assistant serve`: the engine as a small HTTP API for other tools (editors, scripts, launchers).

Loopback only by default; another address needs ``--allow-remote`` (and the token is always
required). Every request carries the per-install token, ``Authorization: Bearer TOKEN``; the
token lives in the data dir (readable by its owner only) and is made on first use.

    GET  /status                      what is indexed (as `assistant status --json`)
    GET  /search?q=QUERY&k=5          ranked passages (as `assistant search --json`)
    POST /ask  {"question": "..."}
                                      server-sent events: sources, token (the draft as it
                                      streams), then done (the checked answer with the
                                      engine's citations, as `assistant ask --json`), or error
    GET  /document?path=PATH          the indexed text of one indexed file, by page; a path
                                      the index does not hold is 404 (nothing else is read)
    GET  /openapi.json                this description, as OpenAPI 3.1 (no token needed)

Answers run one at a time per model (the model's own lane); searches run concurrently.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import secrets
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from assistant.core.errors import AssistantError, EmptyQuestionError

TOKEN_FILE = "api-token"
MAX_BODY = 64 * 1024


def api_token(data_dir: Path) -> str:
    """This install's token (made on first use, readable by its owner only)."""
    path = data_dir / TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def openapi() -> dict[str, Any]:
    bearer = [{"token": []}]
    text = {"content": {"application/json": {"schema": {"type": "object"}}}}

    def op(summary: str, params: list[dict[str, Any]] | None = None,
           body: dict[str, Any] | None = None, stream: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "summary": summary, "security": bearer,
            "responses": {"200": {"description": "OK", **(
                {"content": {"text/event-stream": {"schema": {"type": "string"}}}}
                if stream else text)},
                "401": {"description": "missing or wrong token"}}}
        if params:
            out["parameters"] = params
        if body:
            out["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": body}}}
        return out

    def query(name: str, kind: str, required: bool, about: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": required,
                "schema": {"type": kind}, "description": about}

    return {
        "openapi": "3.1.0",
        "info": {"title": "assistant", "version": "1",
                 "description": "Search and answers from the documents indexed on this "
                 "machine, with their sources. Token: the data dir's api-token file."},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/status": {"get": op("What is indexed, failures, the model and the store")},
            "/search": {"get": op("Ranked passages for a query", [
                query("q", "string", True, "the query"),
                query("k", "integer", False, "passages (1-50, default 5)")])},
            "/ask": {"post": op(
                "An answer with the engine's citations, as server-sent events: sources, "
                "token (the model's draft), done (the checked answer) or error",
                body={"type": "object", "required": ["question"], "properties": {
                    "question": {"type": "string"}}},
                stream=True)},
            "/document": {"get": op("The indexed text of one indexed file, by page", [
                query("path", "string", True, "the file's path as the index holds it")])},
        },
    }


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, services: Any, host: str = "127.0.0.1", port: int = 8765,
                 allow_remote: bool = False):
        if not is_loopback(host) and not allow_remote:
            raise AssistantError(
                f"{host} is not a loopback address: the API would be reachable from other "
                "machines. Pass --allow-remote to mean it (the token is still required)")
        self.services = services
        self.token = api_token(services.data_dir)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise AssistantError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") \
                from exc

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in str(host) else host}:{port}"

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="assistant-api", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # no request log: queries are the user's words

    # Plumbing ----------------------------------------------------------------------

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"error": message})

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            return True
        self._error(HTTPStatus.UNAUTHORIZED, "missing or wrong token: send 'Authorization: "
                    "Bearer TOKEN' with the token from the data dir's api-token file")
        return False

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if method == "GET" and url.path == "/openapi.json":
            self._send(HTTPStatus.OK, openapi())
            return
        routes = {("GET", "/status"): self._status, ("GET", "/search"): self._search,
                  ("POST", "/ask"): self._ask, ("GET", "/document"): self._document}
        handler = routes.get((method, url.path))
        if handler is None:
            known = {p for _, p in routes} | {"/openapi.json"}
            self._error(HTTPStatus.METHOD_NOT_ALLOWED if url.path in known
                        else HTTPStatus.NOT_FOUND, f"no {method} {url.path}")
            return
        if not self._authorised():
            return
        try:
            handler(params)
        except (EmptyQuestionError, ValueError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except AssistantError as exc:
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc))

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _json_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError(f"the request body is over {MAX_BODY} bytes")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"the body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    # Endpoints ---------------------------------------------------------------------

    def _status(self, params: dict[str, str]) -> None:
        self._send(HTTPStatus.OK, self.server.services.status())

    def _search(self, params: dict[str, str]) -> None:
        query = params.get("q", "").strip()
        if not query:
            raise EmptyQuestionError("the query is empty: /search?q=QUERY")
        k = int(params.get("k", 5))
        if not 1 <= k <= 50:
            raise ValueError("k must be between 1 and 50")
        passages = self.server.services.search(query, k)
        self._send(HTTPStatus.OK, [p.to_json(r) for r, p in enumerate(passages, start=1)])

    def _document(self, params: dict[str, str]) -> None:
        path = params.get("path", "")
        services = self.server.services
        with services.generations.reading() as generation:
            record = generation.catalog.file(path) if path else None
            chunks = generation.catalog.chunks_of(record.id) if record else []
        if record is None or record.state != "indexed":
            self._error(HTTPStatus.NOT_FOUND, f"{path or 'the path'} is not in the index")
            return
        self._send(HTTPStatus.OK, {
            "path": record.path,
            "passages": [{"page": c.page, "start": c.start, "end": c.end,
                          "heading": c.heading, "text": c.text} for c in chunks]})

    def _ask(self, params: dict[str, str]) -> None:
        from assistant.core.types import AnswerDone, SourcesFound, TokenStreamed

        body = self._json_body()
        question = str(body.get("question") or "").strip()
        if not question:
            raise EmptyQuestionError("the question is empty: {\"question\": \"...\"}")
        answerer = self.server.services.answerer
        stream = answerer.answer(question)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def event(name: str, data: Any) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        try:
            for item in stream:
                if isinstance(item, SourcesFound):
                    event("sources", [p.to_json(r) for r, p in
                                      enumerate(item.passages, start=1)])
                elif isinstance(item, TokenStreamed):
                    event("token", {"text": item.text})
                elif isinstance(item, AnswerDone):
                    event("done", item.to_json())
        except (BrokenPipeError, ConnectionResetError):
            stream.cancel()  # the client went away: stop the model
        except AssistantError as exc:
            try:
                event("error", {"error": str(exc)})
            except (BrokenPipeError, ConnectionResetError):
                pass

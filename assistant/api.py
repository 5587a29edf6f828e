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

The server is strict about HTTP, since whoever can reach the port can send it anything before
the token is checked: a whole request (line, headers, body) must arrive within a timeout, or
the connection is closed (a timeout per read alone lets a byte every few seconds hold it open);
a bounded number of connections are served at once (the next is answered 503 at once); a body
has one plain Content-Length within the limit (no chunked bodies); headers are bounded in
number and size. Every refusal is a JSON error. Once an event stream has begun, a failure ends
it with an ``error`` event: nothing else is written after the status line.
"""

from __future__ import annotations

import hmac
import io
import ipaddress
import json
import math
import os
import re
import secrets
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from assistant.core.errors import AssistantError, EmptyQuestionError

TOKEN_FILE = "api-token"
MAX_BODY = 64 * 1024
MAX_REQUEST_LINE = 8 * 1024
MAX_HEAD = 32 * 1024  # all header lines together
MAX_HEADERS = 64
TIMEOUT_S = 15.0  # for a whole request to arrive, and for each write to a client to go through
MAX_CONNECTIONS = 32
_DIGITS = re.compile(r"[0-9]+")  # not int(): it takes "-1", "+5", "1_000" and other scripts' digits


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
    """The API on one address. ``timeout_s``: how long a request may take to arrive (and a
    write to a client may wait); ``max_connections``: how many are served at once."""

    daemon_threads = True

    def __init__(self, services: Any, host: str = "127.0.0.1", port: int = 8765,
                 allow_remote: bool = False, timeout_s: float = TIMEOUT_S,
                 max_connections: int = MAX_CONNECTIONS):
        if not is_loopback(host) and not allow_remote:
            raise AssistantError(
                f"{host} is not a loopback address: the API would be reachable from other "
                "machines. Pass --allow-remote to mean it (the token is still required)")
        self.services = services
        self.token = api_token(services.data_dir)
        self.timeout_s = timeout_s
        self.max_connections = max_connections
        self._places = threading.BoundedSemaphore(max_connections)
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

    # One thread per connection, but only so many: idle connections cannot take them all.

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._places.acquire(blocking=False):
            self._turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._places.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._places.release()

    def _turn_away(self, request: socket.socket) -> None:
        """503 on a connection over the limit, from the accepting thread without waiting on
        the client: what it sent already is read first, so that closing doesn't reset the
        connection before it reads the answer."""
        body = json.dumps({"error": f"the API is busy: all {self.max_connections} "
                           "connections are in use; try again shortly"}).encode()
        head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; "
                f"charset=utf-8\r\nContent-Length: {len(body)}\r\nRetry-After: 1\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n").encode()
        try:
            request.setblocking(False)
            try:  # one read, never a loop: a sender that never stops must not hold the
                request.recv(65536)  # accepting thread
            except BlockingIOError:
                pass
            request.sendall(head + body)  # a few hundred bytes into a new connection's buffer
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that went away or stopped reading: nothing to report
        super().handle_error(request, client_address)


class _Refused(Exception):
    """A request refused with ``status`` (its message is the JSON error)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _Deadline(io.RawIOBase):
    """A connection's reading side, where a whole request must arrive before ``deadline``
    (time.monotonic()): each read waits only for the time left."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request was not sent in time")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # no request log: queries are the user's words

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # as above (and a request refused before its line was parsed has none)

    # The connection: one request after another, each within the timeout -----------------

    def setup(self) -> None:
        super().setup()
        self._reader = _Deadline(self.connection)
        unbounded, self.rfile = self.rfile, io.BufferedReader(self._reader)
        unbounded.close()

    def handle_one_request(self) -> None:
        """http.server's own, but the request line, the headers and the body share one
        deadline, both are bounded, and the body's framing is checked before any handler
        runs."""
        self._reader.deadline = time.monotonic() + self.server.timeout_s
        self.requestline, self.request_version, self.command = "", "", ""
        self._answered = False  # a status line has been written
        self._body_length: int | None = None  # as its Content-Length says (None: not said)
        self._body_left = 0  # bytes of the body not read
        self._expect_continue = False
        began = False
        try:
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if not line.strip():
                self.close_connection = True
                return
            began = True
            if len(line) > MAX_REQUEST_LINE:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG,
                                f"the request line is over {MAX_REQUEST_LINE} bytes")
                return
            head = self._read_head()
            if head is None:
                return
            self.raw_requestline = line
            # parse_request reads the headers from rfile: give it the ones read (and bounded)
            wire, self.rfile = self.rfile, io.BufferedReader(io.BytesIO(head))
            try:
                parsed = self.parse_request()
            finally:
                self.rfile = wire
            if not parsed or not self._framed():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"no {self.command} here")
                return
            method()
            if self._body_left:  # what's left of the body would be read as the next request
                self.close_connection = True
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if began and not self._answered:  # a request was on its way: say why it ended
                try:
                    self._error(HTTPStatus.REQUEST_TIMEOUT, "the request was not sent within "
                                f"{self.server.timeout_s:g} s", close=True)
                except OSError:
                    pass

    def _read_head(self) -> bytes | None:
        """The header lines through the blank line that ends them, at most MAX_HEADERS of
        them in MAX_HEAD bytes; None when refused (or the client stopped halfway)."""
        lines: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(MAX_HEAD - size + 1)
            size += len(line)
            if size > MAX_HEAD:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                                f"the request's headers are over {MAX_HEAD} bytes")
                return None
            if not line.endswith(b"\n"):  # the client closed its side halfway
                self.close_connection = True
                return None
            lines.append(line)
            if line in (b"\r\n", b"\n"):
                return b"".join(lines)
            if len(lines) > MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                                f"the request has more than {MAX_HEADERS} headers")
                return None

    def _framed(self) -> bool:
        """The body's length from one plain Content-Length within the limit; False after
        refusing anything else (the connection is closed: where the next request would
        start is not known). Nothing of the body is read here."""
        lengths = self.headers.get_all("Content-Length") or []
        try:
            if self.headers.get_all("Transfer-Encoding"):
                if lengths:
                    raise _Refused(HTTPStatus.BAD_REQUEST, "the request has both "
                                   "Transfer-Encoding and Content-Length")
                raise _Refused(HTTPStatus.LENGTH_REQUIRED, "chunked bodies (Transfer-Encoding)"
                               " are not accepted: send the body with a Content-Length")
            if not lengths:
                return True
            if len(lengths) > 1:
                raise _Refused(HTTPStatus.BAD_REQUEST, "the request has more than one "
                               "Content-Length")
            value = lengths[0].strip(" \t")
            if not _DIGITS.fullmatch(value):
                raise _Refused(HTTPStatus.BAD_REQUEST, "Content-Length must be the body's "
                               f"size in bytes, a plain number, not {value[:20]!r}")
            digits = value.lstrip("0") or "0"
            if len(digits) > len(str(MAX_BODY)) or int(digits) > MAX_BODY:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"the request body is over {MAX_BODY} bytes")
        except _Refused as exc:
            self._error(exc.status, str(exc), close=True)
            return False
        self._body_length = self._body_left = int(digits)
        return True

    def handle_expect_100(self) -> bool:
        """'100 Continue' only once the token is checked and the body is wanted (in
        _json_body): a client that waits for it sends nothing before then."""
        self._expect_continue = True
        return True

    def send_response(self, code: int, message: str | None = None) -> None:
        self._answered = True
        # from here on the connection is written to: each write may wait as long as a
        # request may take, for a client that doesn't read
        self.connection.settimeout(self.server.timeout_s)
        super().send_response(code, message)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's own refusals (a bad request line, an unknown method) as JSON, as
        every other error is, and the connection closed."""
        self._error(code, message or HTTPStatus(code).phrase, close=True)

    def _send(self, status: int, body: Any, close: bool = False) -> None:
        if self._answered:  # a response has begun: anything more would be read as part of it
            self.close_connection = True
            return
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str, close: bool = False) -> None:
        self._send(status, {"error": message}, close)

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
        except _Refused as exc:
            self._error(exc.status, str(exc), close=True)
        except (EmptyQuestionError, ValueError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except AssistantError as exc:
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc))
        except (TimeoutError, ConnectionError):
            raise  # the client was too slow or went away: the connection ends
        except Exception as exc:  # a bug: the client still gets one line (never two replies)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, _internal(exc))

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _json_body(self) -> dict[str, Any]:
        """The body (its framing was checked before the token was; read only now)."""
        length = self._body_length
        if length is None:
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "the request needs a Content-Length "
                           "header (the body's size in bytes)")
        if self._expect_continue:
            self.send_response_only(HTTPStatus.CONTINUE)
            self.end_headers()
        data = self.rfile.read(length) if length else b""
        self._body_left = length - len(data)
        if self._body_left:
            raise _Refused(HTTPStatus.BAD_REQUEST,
                           f"the body ended before its Content-Length ({length} bytes)")
        try:
            body = json.loads(data or b"{}")
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
            # a passage names its file by the catalog's key (an escape for names whose bytes
            # are not UTF-8); a caller may also give the path itself
            record = (generation.catalog.file_by_key(path) or generation.catalog.file(path)
                      if path else None)
            chunks = generation.catalog.chunks_of(record.id) if record else []
        if record is None or record.state != "indexed":
            self._error(HTTPStatus.NOT_FOUND, f"{path or 'the path'} is not in the index")
            return
        self._send(HTTPStatus.OK, {
            "path": record.key,
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

        def event(name: str, data: Any) -> bytes:
            return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

        failure = None
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            # From here a failure can only end the stream, with an error event (a second
            # response would be read as part of this one).
            while True:
                try:
                    item = next(stream, None)
                    if item is None:
                        break
                    if isinstance(item, SourcesFound):
                        out = event("sources", [p.to_json(r) for r, p in
                                                enumerate(item.passages, start=1)])
                    elif isinstance(item, TokenStreamed):
                        out = event("token", {"text": item.text})
                    elif isinstance(item, AnswerDone):
                        out = event("done", item.to_json())
                    else:
                        continue
                except Exception as exc:  # the answer failed, in the engine or the model
                    failure = str(exc) if isinstance(exc, AssistantError) else _internal(exc)
                    break
                try:
                    self.wfile.write(out)
                    self.wfile.flush()
                except OSError:  # the client went away or stopped reading: stop the model
                    stream.cancel()
                    return
            if failure is not None:
                try:
                    self.wfile.write(event("error", {"error": failure}))
                    self.wfile.flush()
                except OSError:
                    pass
        finally:
            stream.close()  # gives the model's lane back now, however the stream ended


def _internal(exc: Exception) -> str:
    """The one line for an error that is a bug (as the CLI says it)."""
    return f"internal error: {type(exc).__name__}: {exc}"

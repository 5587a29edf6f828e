"""`assistant serve`: the HTTP API on loopback, with the real engine (embedder, Chroma on
disk, the GGUF model): the token, search, streamed answers with citations, the indexed text
of a file and nothing outside the index, and no other address without saying so."""

from __future__ import annotations

import http.client
import json
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from assistant.api import ApiServer
from assistant.core.errors import AssistantError
from tests.servers import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def api(services):
    list(services.indexer.index([REPO / "resources" / "sample-docs"]))
    server = ApiServer(services, "127.0.0.1", 0)
    server.serve_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def request(server: ApiServer, method: str, path: str, token: str | None = "",
            body: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=120)
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token or server.token}"
    data = json.dumps(body).encode() if body is not None else None
    if data:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, text


def sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_every_request_needs_the_installs_token(api: ApiServer, services) -> None:
    token_file = services.data_dir / "api-token"
    assert token_file.read_text().strip() == api.token and len(api.token) >= 40
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert request(api, "GET", "/status", token=None)[0] == 401
    status, text = request(api, "GET", "/status", token="wrong")
    assert status == 401 and "api-token" in json.loads(text)["error"]
    status, text = request(api, "GET", "/status")
    assert status == 200 and json.loads(text)["files"] == 4
    # the description is public: it says how to call, nothing about the documents
    status, text = request(api, "GET", "/openapi.json", token=None)
    assert status == 200
    assert set(json.loads(text)["paths"]) == {"/status", "/search", "/ask", "/document"}
    assert request(api, "GET", "/nothing")[0] == 404
    assert request(api, "POST", "/search")[0] == 405


def test_search_and_the_indexed_text_of_a_file_but_nothing_else(api: ApiServer) -> None:
    status, text = request(api, "GET", "/search?q=how+to+store+a+sourdough+starter&k=3")
    assert status == 200
    hits = json.loads(text)
    assert len(hits) == 3 and hits[0]["path"].endswith("sourdough-starter.md")
    assert request(api, "GET", "/search?q=")[0] == 400
    assert request(api, "GET", "/search?q=x&k=500")[0] == 400

    path = hits[0]["path"]
    status, text = request(api, "GET", f"/document?path={path}")
    doc = json.loads(text)
    assert status == 200 and doc["path"] == path
    assert any("starter" in p["text"] for p in doc["passages"])
    secret = Path(path).parent.parent / "config-secret.txt"
    for outside in ("/etc/passwd", str(secret),
                    str(Path(path).parent / ".." / ".." / "pyproject.toml")):
        status, text = request(api, "GET", f"/document?path={outside}")
        assert status == 404 and "not in the index" in json.loads(text)["error"]
        assert "root:" not in text and "[project]" not in text


def test_a_file_named_with_bytes_that_are_not_utf8_is_found_by_its_passages_path(
        api: ApiServer, services, tmp_path: Path) -> None:  # noqa: ANN001
    import os
    from urllib.parse import quote

    docs = tmp_path / "odd"
    docs.mkdir()
    (docs / os.fsdecode(b"caf\xff.txt")).write_text("The raw byte file is about pistachios.\n")
    list(services.indexer.index([docs]))
    status, text = request(api, "GET", "/search?q=pistachios&k=1")
    hit = json.loads(text)[0]
    assert status == 200 and hit["path"].endswith("caf\\xff.txt")
    status, text = request(api, "GET", f"/document?path={quote(hit['path'])}")
    assert status == 200, text
    doc = json.loads(text)
    assert doc["path"] == hit["path"] and "pistachios" in doc["passages"][0]["text"]


def test_ask_streams_the_draft_then_the_checked_answer_with_citations(api: ApiServer) -> None:
    status, text = request(api, "POST", "/ask", body={"question": "How do I store a "
                                                                  "sourdough starter?"})
    assert status == 200
    events = sse(text)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done"
    sources = {p["path"] for p in events[0][1]}
    done = events[-1][1]
    assert done["question"].startswith("How do I store")
    if not done["abstained"]:
        assert done["citations"] and {c["path"] for c in done["citations"]} <= sources
    assert request(api, "POST", "/ask", body={"question": "  "})[0] == 400
    assert request(api, "POST", "/ask", body=["not", "an", "object"])[0] == 400


def test_other_addresses_need_to_be_asked_for(services) -> None:
    with pytest.raises(AssistantError, match="not a loopback address.*--allow-remote"):
        ApiServer(services, "0.0.0.0", 0)
    server = ApiServer(services, "0.0.0.0", 0, allow_remote=True)
    server.server_close()
    busy = ApiServer(services, "127.0.0.1", 0)
    try:
        with pytest.raises(AssistantError, match="cannot listen on"):
            ApiServer(services, "127.0.0.1", busy.server_address[1])
    finally:
        busy.server_close()


def test_serve_on_its_own_keeps_the_watched_folders_indexed(tmp_path: Path) -> None:
    """`assistant serve` in its own process is the one process that uses the data dir: it
    indexes what changes in the watched folders (searchable through the API at once), and
    another indexing process is refused meanwhile; Ctrl+C stops it cleanly."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.parse

    home, folder = tmp_path / "home", tmp_path / "notes"
    folder.mkdir()
    (folder / "first.txt").write_text("The heron nests in the reeds by the old mill.\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_HOME": str(home), "ASSISTANT_WATCH__FOLDERS": json.dumps([str(folder)]),
                "ASSISTANT_WATCH__DEBOUNCE_S": "0.2"})
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=REPO)
    try:
        token_file = home / "data" / "api-token"

        def get(path: str) -> tuple[int, object]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={
                "Authorization": f"Bearer {token_file.read_text().strip()}"})
            resp = conn.getresponse()
            out = resp.status, json.loads(resp.read())
            conn.close()
            return out

        def found(query: str) -> list[str]:
            status, hits = get("/search?q=" + urllib.parse.quote(query))
            return [h["path"] for h in hits] if status == 200 else []  # type: ignore[union-attr]

        deadline = time.monotonic() + 120
        while not any(p.endswith("first.txt") for p in _try(found, "heron nests")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the watched folder was not indexed"
            time.sleep(0.3)
        (folder / "second.txt").write_text("Copper kettles were polished with lemon and salt.\n")
        while not any(p.endswith("second.txt") for p in found("copper kettles lemon")):
            assert time.monotonic() < deadline, "a new file was not indexed while serving"
            time.sleep(0.3)
        other = subprocess.run([sys.executable, "-m", "assistant", "index", str(folder)],
                               capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
        assert other.returncode == 1 and "another assistant process" in other.stderr
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert f"http://127.0.0.1:{port}" in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _try(fn, *args):  # noqa: ANN001, ANN202 - the server may not listen yet
    try:
        return fn(*args)
    except (OSError, ValueError):
        return []


# Strict HTTP: timeouts, bounded connections, framing, and a failure mid-stream -------------
# These speak raw HTTP on a real socket, since a client library would refuse to send most of
# what they send (or would hide what the server did with it).


@pytest.fixture
def strict(services):
    """A server whose request timeout is short, so that closing an idle connection is seen."""
    server = ApiServer(services, "127.0.0.1", 0, timeout_s=1.0, max_connections=4)
    server.serve_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def raw(server: ApiServer, data: bytes, wait: float = 10.0,
        half_close: bool = False) -> tuple[bytes, bool]:
    """Send ``data`` on a new connection; what the server writes, and whether it closed the
    connection within ``wait`` seconds (False: the server was still waiting)."""
    with socket.create_connection(server.server_address[:2], timeout=wait) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        return _read_to_close(s, wait)


def _read_to_close(s: socket.socket, wait: float) -> tuple[bytes, bool]:
    out, deadline = b"", time.monotonic() + wait
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return out, True
        if not chunk:
            return out, True
        out += chunk
    return out, False


def reply(out: bytes) -> tuple[int, dict]:
    """The status and JSON body of the one response in ``out``."""
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), out[:200]
    assert b"application/json" in head, head
    return int(head.split()[1]), json.loads(body)


def post_ask(server: ApiServer, headers: str, body: bytes = b"", token: str = "",
             wait: float = 10.0, half_close: bool = False) -> tuple[bytes, bool]:
    head = (f"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token or server.token}\r\n{headers}\r\n")
    return raw(server, head.encode("latin-1") + body, wait, half_close)


def dripped(server: ApiServer, start: bytes, every: float = 0.2, for_s: float = 10.0) -> bool:
    """Send ``start``, then one more byte every ``every`` seconds (a request that never ends):
    True when the server closed the connection within ``for_s`` seconds."""
    with socket.create_connection(server.server_address[:2]) as s:
        s.sendall(start)
        deadline = time.monotonic() + for_s
        while time.monotonic() < deadline:
            try:
                s.sendall(b"a")
            except OSError:
                return True
            if _read_to_close(s, every)[1]:
                return True
        return False


def test_a_connection_that_sends_nothing_or_dribbles_is_closed_after_the_timeout(
        strict: ApiServer) -> None:
    assert raw(strict, b"")[1], "an idle connection stayed open"
    assert raw(strict, b"GET /status HTTP/1.1\r\nHost: x\r\n")[1], "half a request stayed open"
    # a byte every 0.2 s never lets a per-read timeout fire: the whole request has a deadline
    assert dripped(strict, b"GET /status HTTP/1.1\r\nX-Slow: "), "a dribbled header stayed open"
    body = (f"POST /ask HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {strict.token}\r\n"
            f"Content-Length: 1000\r\n\r\n").encode()
    assert dripped(strict, body), "a dribbled body stayed open"
    # and a kept-alive connection that goes quiet after its answer
    with socket.create_connection(strict.server_address[:2], timeout=10) as s:
        s.sendall(f"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {strict.token}"
                  f"\r\n\r\n".encode())
        out, closed = _read_to_close(s, 10)
        assert out.startswith(b"HTTP/1.1 200") and closed, out[:100]


def test_idle_connections_cannot_take_every_thread(services) -> None:
    server = ApiServer(services, "127.0.0.1", 0, timeout_s=60.0, max_connections=3)
    server.serve_in_thread()
    def handlers() -> int:  # the threads serving a connection (of this server: see before)
        return sum("process_request_thread" in t.name for t in threading.enumerate())

    before = handlers()
    idle = [socket.create_connection(server.server_address[:2]) for _ in range(3)]
    try:
        deadline = time.monotonic() + 10
        while handlers() < before + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(10):  # the fourth and later are answered at once, not queued
            with socket.create_connection(server.server_address[:2], timeout=10) as s:
                out, closed = _read_to_close(s, 10)
            status, body = reply(out)
            assert status == 503 and "connections" in body["error"] and closed
        assert handlers() <= before + 3
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 10  # a closed connection gives its place back
    while request(server, "GET", "/status")[0] != 200:
        assert time.monotonic() < deadline, "the places of closed connections stayed taken"
        time.sleep(0.1)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("headers", "status"), [
    ("Content-Length: -1\r\n", 400),  # was read to the end of the stream, with no limit
    ("Content-Length: +17\r\n", 400),
    ("Content-Length: 1_7\r\n", 400),
    ("Content-Length: 0x11\r\n", 400),
    ("Content-Length: 17.0\r\n", 400),
    ("Content-Length: \r\n", 400),
    ("Content-Length: 17, 17\r\n", 400),
    ("Content-Length: 17\r\nContent-Length: 17\r\n", 400),
    ("Content-Length: 17\r\nContent-Length: 99\r\n", 400),
    ("Content-Length: 65537\r\n", 413),
    ("Content-Length: 99999999999999999999999999999\r\n", 413),
    ("Transfer-Encoding: chunked\r\n", 411),
    ("Transfer-Encoding: chunked\r\nContent-Length: 17\r\n", 400),
    ("", 411),  # a POST that says nothing of its body's length
])
def test_the_body_length_must_be_one_plain_number_within_the_limit(
        strict: ApiServer, headers: str, status: int) -> None:
    # the client keeps its side open: an answer that waits for the end of the stream never comes
    out, closed = post_ask(strict, headers, b'{"question": " "}', wait=5)
    got, body = reply(out)
    assert got == status and body["error"], body
    assert closed, "a request whose framing was refused left the connection open"
    if "chunked" in headers and got == 411:
        assert "chunked" in body["error"] and "Content-Length" in body["error"]


def test_a_body_is_read_to_its_length_and_no_further(strict: ApiServer) -> None:
    out, closed = post_ask(strict, "Content-Length: 40\r\n", b'{"question": " "}',
                           half_close=True)
    status, body = reply(out)
    assert status == 400 and "ended before" in body["error"] and closed
    # a body over the limit is refused from its header, before any of it is read
    out, closed = post_ask(strict, "Content-Length: 70000\r\n", wait=5)
    assert reply(out)[0] == 413 and closed


def test_the_token_is_checked_before_any_body_is_read(strict: ApiServer) -> None:
    out, closed = post_ask(strict, "Content-Length: 1000\r\n", token="wrong", wait=5)
    assert reply(out)[0] == 401 and closed  # at once, without waiting for the 1000 bytes
    out, closed = post_ask(strict, "Expect: 100-continue\r\nContent-Length: 17\r\n",
                           token="wrong", wait=5)
    assert out.startswith(b"HTTP/1.1 401") and b"100 Continue" not in out and closed
    out, _ = post_ask(strict, "Expect: 100-continue\r\nContent-Length: 17\r\n"
                      "Connection: close\r\n", b'{"question": " "}', wait=5)
    assert out.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), out[:100]
    assert reply(out.split(b"\r\n\r\n", 1)[1])[0] == 400


def test_too_many_or_too_long_headers_are_refused_with_json(strict: ApiServer) -> None:
    auth = f"Authorization: Bearer {strict.token}\r\n"
    many = "".join(f"X-{i}: y\r\n" for i in range(200))
    for head, status in [(f"GET /status HTTP/1.1\r\n{many}{auth}\r\n", 431),
                         (f"GET /status HTTP/1.1\r\nX-Big: {'a' * 40_000}\r\n{auth}\r\n", 431),
                         (f"GET /search?q={'a' * 20_000} HTTP/1.1\r\n{auth}\r\n", 414)]:
        out, closed = raw(strict, head.encode(), wait=5)
        got, body = reply(out)
        assert got == status and body["error"] and closed, (got, body)
    some = "".join(f"X-{i}: y\r\n" for i in range(30))
    out, _ = raw(strict, f"GET /status HTTP/1.1\r\n{some}{auth}Connection: close\r\n\r\n"
                 .encode(), wait=30)
    assert reply(out)[0] == 200


def test_a_bug_in_an_endpoint_is_one_json_error(strict: ApiServer, services,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict:
        raise RuntimeError("the catalog is broken")

    monkeypatch.setattr(services, "status", broken)
    status, text = request(strict, "GET", "/status")
    assert status == 500 and json.loads(text)["error"] == (
        "internal error: RuntimeError: the catalog is broken")
    monkeypatch.undo()
    assert request(strict, "GET", "/status")[0] == 200


class _FailingGenerator:
    """A model that writes two tokens and then fails, as llama.cpp does when a prompt
    overflows its context window (a ValueError)."""

    name = "failing"
    n_ctx = 4096

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(self, messages, max_tokens, temperature, stop=None, cancel=None):  # noqa: ANN001, ANN201, ARG002
        yield "Keep the starter"
        yield " in the fridge"
        raise ValueError("Requested tokens (5000) exceed context window of 4096")


def test_a_failure_mid_stream_ends_the_stream_with_an_error_event(
        api: ApiServer, services, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core.answer import Answerer, Thresholds

    # the real retrieval and evidence; thresholds that always ask the (failing) model
    monkeypatch.setattr(services, "answerer", Answerer(
        services, _FailingGenerator(), services.evidence,
        thresholds=Thresholds(skip_model=-1.0, keys=0.0, contrary=False)))
    question = b'{"question": "How do I store a sourdough starter?"}'
    out, closed = post_ask(api, f"Content-Length: {len(question)}\r\n", question, wait=60)
    assert closed
    assert out.count(b"HTTP/1.1 ") == 1, out.decode(errors="replace")  # one response only
    head, _, stream = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head
    events = sse(stream.decode())
    names = [name for name, _ in events]
    assert names[0] == "sources" and "token" in names and names[-1] == "error", names
    assert "context window" in events[-1][1]["error"]  # type: ignore[index]
    assert request(api, "GET", "/status")[0] == 200  # and the server goes on serving

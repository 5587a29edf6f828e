"""`assistant serve`: the HTTP API on loopback, with the real engine (embedder, Chroma on
disk, the GGUF model): the token, search, streamed answers with citations, the indexed text
of a file and nothing outside the index, and no other address without saying so."""

from __future__ import annotations

import http.client
import json
import stat
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

"""The vector store on a real Chroma server (`chroma run`, from the chromadb package) on
loopback: indexing and search through it, a server killed mid-index and started again, a
token checked by a proxy in front of it, moving the vectors there and back, and the one-line
errors for a server that is down or is not Chroma."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.servers import ChromaServer, free_port
from tests.test_crash import FILES, INSPECT, assert_complete_and_consistent, make_corpus

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def chroma(tmp_path: Path):
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()


def server_env(home: Path, port: int, **extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    e.update({"ASSISTANT_HOME": str(home), "ASSISTANT_EMBEDDING__BATCH_SIZE": "8",
              "ASSISTANT_STORE__MODE": "server", "ASSISTANT_STORE__HOST": "127.0.0.1",
              "ASSISTANT_STORE__PORT": str(port)})
    e.update(extra)
    return e


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=600)


def inspect(env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", INSPECT], capture_output=True, text=True,
                         env=env, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_index_and_search_through_a_chroma_server(chroma: ChromaServer, embedder,
                                                  assistant_home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings
    from assistant.core.types import IndexSummary
    from assistant.services import Services

    monkeypatch.setenv("ASSISTANT_STORE__MODE", "server")
    monkeypatch.setenv("ASSISTANT_STORE__PORT", str(chroma.port))
    services = Services(load_settings(), embedder=embedder)
    events = list(services.indexer.index([REPO / "resources" / "sample-docs"]))
    summary = [e for e in events if isinstance(e, IndexSummary)][0]
    assert summary.added >= 4 and summary.failed == 0
    assert services.store.where == f"http://127.0.0.1:{chroma.port}"
    assert services.catalog.chunk_ids() == services.store.ids()
    hits = services.search("How often should I oil a bike chain?", 3)
    assert hits and "bike" in Path(hits[0].path).name.lower()
    assert not (services.active.dir / "chroma").exists(), "vectors were written locally"
    services.close()


def test_a_server_killed_mid_index_is_repaired_by_the_next_run(chroma: ChromaServer,
                                                               tmp_path: Path) -> None:
    home, folder, flag = tmp_path / "home", tmp_path / "docs", tmp_path / "paused"
    make_corpus(folder)
    env = server_env(home, chroma.port)
    # The indexer stops where its second batch of files begins (the first is stored); the
    # server is killed there, and the indexer goes on.
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", "--json", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=env | {"ASSISTANT_PAUSE_AT": "marked-indexing:2", "ASSISTANT_PAUSE_FILE": str(flag)})
    deadline = time.monotonic() + 300
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the indexer never reached its second batch"
        time.sleep(0.05)
    chroma.kill()
    flag.unlink()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, (out, err)
    assert f"the Chroma server at http://127.0.0.1:{chroma.port} does not answer" in err
    assert "Traceback" not in err and err.count("\n") == 1, err

    chroma.start()
    stored_before = inspect(env)["store"]
    assert 0 < len(stored_before) < FILES
    rerun = run(env, "index", "--json", str(folder))
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    final = inspect(env)
    assert_complete_and_consistent(final)
    assert summary["embedded_chunks"] == len(set(final["catalog"]) - set(stored_before)), \
        "vectors the server kept were embedded again"


class TokenProxy:
    """A reverse proxy in front of the server that lets through only ``Bearer TOKEN``."""

    def __init__(self, upstream: int, token: str):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def forward(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {token}":
                    body = b'{"error": "AuthError", "message": "Unauthorized"}'
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                proxy.authorised += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.authorised = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_token_is_sent_and_a_wrong_one_is_one_clear_line(chroma: ChromaServer,
                                                             tmp_path: Path) -> None:
    proxy = TokenProxy(chroma.port, "s3cret-token")
    try:
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "a.txt").write_text("The lighthouse keeper logs the weather at dawn.\n")
        home = tmp_path / "home"
        wrong = run(server_env(home, proxy.port, ASSISTANT_CHROMA_TOKEN="nope"),
                    "index", str(folder))
        assert wrong.returncode == 1
        assert "refused the token" in wrong.stderr and "assistant key set chroma" in wrong.stderr
        assert "nope" not in wrong.stderr, "the token was printed"
        right = run(server_env(home, proxy.port, ASSISTANT_CHROMA_TOKEN="s3cret-token"),
                    "index", "--json", str(folder))
        assert right.returncode == 0, right.stderr
        assert json.loads(right.stdout.strip().splitlines()[-1])["added"] == 1
        assert proxy.authorised > 0
    finally:
        proxy.close()


def test_move_the_vectors_to_the_server_and_back(chroma: ChromaServer, tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "docs"
    make_corpus(folder)
    local = server_env(home, chroma.port)
    del local["ASSISTANT_STORE__MODE"]  # embedded, from the defaults; config.toml decides
    assert run(local, "index", str(folder)).returncode == 0
    before = inspect(local)

    moved = run(local, "store", "migrate", "--to", "server")
    assert moved.returncode == 0, moved.stderr
    config = (home / "config" / "config.toml")
    assert 'mode = "server"' in config.read_text()
    on_server = inspect(local)
    assert on_server["store"] == before["store"] == before["catalog"]
    again = run(local, "index", "--json", str(folder))  # nothing to embed: all there
    assert json.loads(again.stdout.strip().splitlines()[-1])["embedded_chunks"] == 0

    (folder / "note-000.txt").write_text("A note rewritten while the vectors live on the "
                                         "server, about juniper and tamarind.\n")
    assert run(local, "index", str(folder)).returncode == 0
    back = run(local, "store", "migrate", "--to", "embedded")
    assert back.returncode == 0, back.stderr
    assert 'mode = "embedded"' in config.read_text()
    final = inspect(local)
    assert_complete_and_consistent(final)
    hits = run(local, "search", "--json", "juniper tamarind rewritten")
    assert json.loads(hits.stdout)[0]["path"].endswith("note-000.txt")

    chroma.kill()  # a copy to a server that is gone leaves the setting as it was
    failed = run(local, "store", "migrate", "--to", "server")
    assert failed.returncode == 1 and "does not answer" in failed.stderr
    assert 'mode = "embedded"' in config.read_text()


def test_a_server_that_is_down_or_not_chroma_is_one_clear_line(tmp_path: Path) -> None:
    from assistant.core.errors import StoreError
    from assistant.core.store import VectorStore

    port = free_port()
    with pytest.raises(StoreError, match=f"at http://127.0.0.1:{port} does not answer"):
        VectorStore("chunks_x", host="127.0.0.1", port=port)

    class NotChroma(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"<html><body>Not Found</body></html>"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotChroma)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        with pytest.raises(StoreError, match="is not a Chroma server this app can use"):
            VectorStore("chunks_x", host="127.0.0.1", port=other.server_address[1])
    finally:
        other.shutdown()
        other.server_close()


def test_a_rebuilt_index_deletes_the_old_collection_on_the_server(
        chroma: ChromaServer, embedder, assistant_home: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A settings change builds a new generation; once it answers, the old one is deleted,
    and on a server that means its collection (no folder of ours holds those vectors)."""
    import chromadb

    from assistant.config import load_settings
    from assistant.services import Services

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"n{i}.md").write_text(f"# Note {i}\n\nThe harbour has {i + 2} cranes.\n")
    monkeypatch.setenv("ASSISTANT_STORE__MODE", "server")
    monkeypatch.setenv("ASSISTANT_STORE__PORT", str(chroma.port))
    first = Services(load_settings(), embedder=embedder)
    list(first.indexer.index([docs]))
    old = f"chunks_{first.active.profile}"
    first.close()
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    assert old in {c.name for c in client.list_collections()}

    monkeypatch.setenv("ASSISTANT_CHUNKING__MAX_TOKENS", "96")
    changed = Services(load_settings(), embedder=embedder)
    try:
        assert changed.rebuild_pending
        list(changed.rebuild())
        assert not changed.rebuild_pending
        names = {c.name for c in client.list_collections()}
        assert f"chunks_{changed.active.profile}" in names
        assert old not in names, "the retired generation's vectors stayed on the server"
        assert changed.search("How many cranes has the harbour?", 1)
    finally:
        changed.close()

"""Answers from a model on an OpenAI-compatible server: llama-cpp-python's own server
(`python -m llama_cpp.server`) on loopback with the SmolLM2 model, behind an API key. The
engine's citations and checks are the same as with the model in process; a server killed
mid-answer, a wrong key, a server that is down, slow, or ends a stream early are each one
clear error, and a cut-off answer is never passed on as complete."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from assistant.core.remote_llm import ModelServerError, RemoteGenerator
from tests.servers import LlamaServer, free_port

REPO = Path(__file__).resolve().parent.parent
SMOLLM2 = REPO / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
KEY = "test-key-7f3a"
LONG = [{"role": "user", "content": "Count from 1 to 200, one number per line."}]


@pytest.fixture
def llama_server(tmp_path: Path):
    if not SMOLLM2.is_file():
        pytest.fail(f"{SMOLLM2} is missing: `make test` fetches it "
                    "(python scripts/fetch_model.py smollm2-135m)")
    server = LlamaServer(SMOLLM2, tmp_path / "llama-server.log", KEY)
    server.start()
    yield server
    server.stop()


@pytest.mark.integration
def test_answers_stream_with_the_engines_citations(llama_server: LlamaServer, embedder,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings
    from assistant.core.types import AnswerDone, ModelState, SourcesFound, TokenStreamed
    from assistant.services import Services

    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_LLM__BASE_URL", llama_server.base_url)
    monkeypatch.setenv("ASSISTANT_OPENAI_API_KEY", KEY)
    services = Services(load_settings(), embedder=embedder)
    list(services.indexer.index([REPO / "resources" / "sample-docs"]))
    assert isinstance(services.generator, RemoteGenerator)
    # Asked for a long reply, the model's draft streams in many pieces through the server.
    pieces = list(services.generator.stream_chat(LONG, 64, 0.1))
    assert len(pieces) > 10 and "1" in "".join(pieces)
    events = list(services.answerer.answer("How should I store a sourdough starter?"))
    states = [e.state for e in events if isinstance(e, ModelState)]
    assert "failed" not in states
    sources = [e for e in events if isinstance(e, SourcesFound)][0].passages
    done = [e for e in events if isinstance(e, AnswerDone)][-1]
    assert services.generator.name.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    indexed = {p.path for p in sources}
    if done.abstained:
        assert not done.citations
    else:
        # citations are the engine's, of passages it retrieved, whatever the model wrote
        assert done.citations and {c.path for c in done.citations} <= indexed
        assert any("sourdough" in Path(c.path).name for c in done.citations)
    drafted = [e for e in events if isinstance(e, TokenStreamed)]
    assert drafted or done.timings.get("tokens", 0) == 0  # streamed unless it quoted
    services.close()


@pytest.mark.integration
def test_a_server_killed_mid_answer_is_an_error_not_an_answer(llama_server: LlamaServer) -> None:
    generator = RemoteGenerator(llama_server.base_url, api_key=KEY)
    stream = generator.stream_chat(LONG, 400, 0.0)
    pieces = [next(stream)]
    llama_server.kill()
    with pytest.raises(ModelServerError, match="stopped mid-answer.*incomplete and was not kept"):
        for piece in stream:
            pieces.append(piece)
    assert len(pieces) < 400


@pytest.mark.integration
def test_a_wrong_key_is_one_line_that_does_not_show_it(llama_server: LlamaServer) -> None:
    generator = RemoteGenerator(llama_server.base_url, api_key="not-the-key")
    with pytest.raises(ModelServerError, match="refused the API key") as caught:
        generator.load()
    message = str(caught.value)
    assert "not-the-key" not in message and "\n" not in message
    assert "assistant key set openai" in message and generator.state == "failed"
    with pytest.raises(ModelServerError, match="refused the API key"):
        list(RemoteGenerator(llama_server.base_url).stream_chat(LONG, 8, 0.0))


def test_a_server_that_is_down_is_one_line() -> None:
    generator = RemoteGenerator(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ModelServerError, match="does not answer"):
        generator.load()
    assert generator.state == "failed" and "does not answer" in generator.failure


class _Scripted(http.server.BaseHTTPRequestHandler):
    """A server that lists one model, then streams the script's lines, or stalls."""

    script: list[bytes] = []
    stall = False

    def do_GET(self) -> None:  # noqa: N802
        body = b'{"object": "list", "data": [{"id": "scripted"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.stall:
            time.sleep(3)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for line in self.script:
            self.wfile.write(line + b"\n\n")
            self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def _serve(script: list[bytes], stall: bool = False) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Scripted,), {"script": script, "stall": stall})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _piece(text: str, finish: str | None = None) -> bytes:
    import json

    return b"data: " + json.dumps({"choices": [{"delta": {"content": text},
                                                "finish_reason": finish}]}).encode()


def test_a_stream_that_ends_before_the_answer_is_complete_raises() -> None:
    server = _serve([_piece("The starter "), _piece("lives in the")])
    try:
        generator = RemoteGenerator(f"http://127.0.0.1:{server.server_address[1]}/v1")
        got: list[str] = []
        with pytest.raises(ModelServerError, match="before the answer was complete"):
            for piece in generator.stream_chat(LONG, 50, 0.0):
                got.append(piece)
        assert got == ["The starter ", "lives in the"]
        assert generator.model == "scripted"  # the first model the server lists
    finally:
        server.shutdown()
        server.server_close()


def test_a_complete_stream_and_a_cancelled_one() -> None:
    from assistant.core.llm import GenerationCancelled

    server = _serve([_piece("Keep it "), _piece("in the fridge.", "stop"), b"data: [DONE]"])
    try:
        generator = RemoteGenerator(f"http://127.0.0.1:{server.server_address[1]}/v1")
        assert "".join(generator.stream_chat(LONG, 50, 0.0)) == "Keep it in the fridge."
        cancel = threading.Event()
        stream = generator.stream_chat(LONG, 50, 0.0, cancel=cancel)
        assert next(stream) == "Keep it "
        cancel.set()
        with pytest.raises(GenerationCancelled):
            next(stream)
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_slower_than_the_timeout_is_one_line() -> None:
    server = _serve([], stall=True)
    try:
        generator = RemoteGenerator(f"http://127.0.0.1:{server.server_address[1]}/v1",
                                    timeout_s=0.5)
        with pytest.raises(ModelServerError, match=r"took longer than 0\.5 s"):
            list(generator.stream_chat(LONG, 50, 0.0))
    finally:
        server.shutdown()
        server.server_close()


def test_the_key_comes_from_the_keychain_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings
    from assistant.services import Services

    monkeypatch.setenv("ASSISTANT_LLM__BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_OPENAI_API_KEY", "from-env")
    services = Services(load_settings())
    assert services.generator.api_key == "from-env"
    status = services.status()
    assert status["llm_backend"] == "openai" and status["model_present"]
    assert "from-env" not in str(status)
    services.close()


@pytest.mark.integration
def test_embeddings_from_the_server_build_their_own_index(tmp_path: Path, embedder,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Switching to a server's /v1/embeddings builds a new index in the background (the
    profile records the embedder); search then runs on the server's vectors."""
    from assistant.config import load_settings
    from assistant.core.remote_embedding import RemoteEmbedder
    from assistant.services import Services

    server = LlamaServer(SMOLLM2, tmp_path / "embedding-server.log", KEY, embedding=True)
    server.start()
    try:
        local = Services(load_settings(), embedder=embedder)
        list(local.indexer.index([REPO / "resources" / "sample-docs"]))
        local_profile = local.active.profile
        local.close()

        monkeypatch.setenv("ASSISTANT_EMBEDDING__BACKEND", "openai")
        monkeypatch.setenv("ASSISTANT_EMBEDDING__BASE_URL", server.base_url)
        monkeypatch.setenv("ASSISTANT_OPENAI_API_KEY", KEY)
        services = Services(load_settings(), embedder=embedder)
        assert services.rebuild_pending
        assert services.generations.rebuild_reason() == "the embedding model setting changed"
        assert services.search("sourdough starter", 1)[0].path.endswith("sourdough-starter.md")
        list(services.rebuild())  # the local index answered until now
        assert not services.rebuild_pending and services.active.profile != local_profile
        assert isinstance(services.embedder, RemoteEmbedder)
        assert services.catalog.chunk_ids() == services.store.ids()
        vector = services.embedder.encode(["How do I keep a starter alive?"])[0]
        assert vector.shape == (576,) and abs(float((vector ** 2).sum()) - 1.0) < 1e-4
        hits = services.search("How do I store a sourdough starter?", 3)
        assert any(h.path.endswith("sourdough-starter.md") for h in hits)
        assert "SmolLM2" in services.status()["embedder"]
        services.close()
    finally:
        server.stop()

"""Real servers on loopback for the tests and the benchmarks: `chroma run` (from the chromadb
package) and llama-cpp-python's OpenAI-compatible server. Each picks a free port, waits until
it answers, and is stopped (or killed, to test what a crash does) by the caller."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """A server process on 127.0.0.1: started until it answers ``probe()`` (on another free
    port if it could not start, e.g. the port was taken meanwhile), stopped or killed."""

    name = "server"
    start_timeout_s = 60.0

    def __init__(self, log: Path):
        self.log = log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def probe(self) -> urllib.request.Request:
        raise NotImplementedError

    def start(self) -> None:
        for _ in range(3):
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log)
            deadline = time.monotonic() + self.start_timeout_s
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(self.probe(), timeout=2):
                        return
                except OSError:
                    time.sleep(0.1)
            self.kill()
            self.port = free_port()
        raise RuntimeError(f"{self.name} did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class ChromaServer(LoopbackServer):
    """`chroma run` with its data in ``path``; the same port across restarts."""

    name = "chroma run"

    def __init__(self, path: Path):
        super().__init__(path.parent / "chroma-server.log")
        self.path = path

    def command(self) -> list[str]:
        if not CHROMA:
            raise RuntimeError("the chroma command (chromadb package) is missing")
        return [CHROMA, "run", "--path", str(self.path), "--host", "127.0.0.1",
                "--port", str(self.port)]

    def probe(self) -> urllib.request.Request:
        return urllib.request.Request(f"http://127.0.0.1:{self.port}/api/v2/heartbeat")


class LlamaServer(LoopbackServer):
    """`python -m llama_cpp.server` with ``model``, behind ``api_key``."""

    name = "llama_cpp.server"
    start_timeout_s = 120.0

    def __init__(self, model: Path, log: Path, api_key: str, n_ctx: int = 4096,
                 threads: int = 0, embedding: bool = False):
        super().__init__(log)
        self.model = model
        self.api_key = api_key
        self.n_ctx = n_ctx
        self.threads = threads
        self.embedding = embedding

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        if not self.model.is_file():
            raise RuntimeError(f"{self.model} is missing")
        extra = ["--n_threads", str(self.threads)] if self.threads else []
        if self.embedding:
            extra += ["--embedding", "true"]
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model),
                "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                "--api_key", self.api_key, "--seed", "0", *extra]

    def probe(self) -> urllib.request.Request:
        return urllib.request.Request(f"{self.base_url}/models",
                                      headers={"Authorization": f"Bearer {self.api_key}"})

"""The per-user local socket of the running app: a second launch hands it its paths, and
`assistant ask/search/index/status/forget` in a terminal are served by it (one writer, one
copy of the models), with the same output as when they run on their own.

The app listens (assistant/ui/instance.py, QLocalServer on a full path); this side is the
client, plain ``socket`` on POSIX so terminal commands stay quick and Qt-free. One socket per
data directory: two apps on two data directories don't meet.

Protocol: one JSON object per line each way. Client → app: ``{"cmd": "show", "paths": [...]}``,
``{"cmd": "popup"}`` or ``{"cmd": "run", "argv": [...], "tty": bool}``. App → client:
``{"out": text}``, ``{"err": text}``, then ``{"exit": code}``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CONNECT_TIMEOUT_S = 0.5


def socket_path(data_dir: Path) -> str:
    """Where the app of ``data_dir`` listens (a file path on POSIX, a pipe name on Windows)."""
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    if sys.platform.startswith("win"):
        return f"assistant-{key}"
    base = os.environ.get("XDG_RUNTIME_DIR") or os.path.join(
        tempfile.gettempdir(), f"assistant-{os.getuid()}")
    os.makedirs(base, mode=0o700, exist_ok=True)
    return os.path.join(base, f"assistant-{key}.sock")


class AppConnection:
    """A connection to the running app; ``None`` from :func:`connect` when none runs."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def messages(self) -> Iterator[dict[str, Any]]:
        while True:
            while b"\n" not in self._buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class _QtConnection:
    """The same connection through QLocalSocket: Windows' named pipes (Qt is installed with
    the app anyway; no event loop is needed for the blocking calls)."""

    def __init__(self, sock: Any):
        self.sock = sock
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        self.sock.write(json.dumps(message).encode() + b"\n")
        self.sock.waitForBytesWritten(5000)

    def messages(self) -> Iterator[dict[str, Any]]:
        while True:
            while b"\n" not in self._buffer:
                if not self.sock.bytesAvailable() and not self.sock.waitForReadyRead(-1):
                    return
                self._buffer += bytes(self.sock.readAll().data())
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)

    def close(self) -> None:
        self.sock.abort()


def _connect_qt(name: str) -> _QtConnection | None:
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(int(CONNECT_TIMEOUT_S * 1000)):
        return None
    return _QtConnection(sock)


def connect(data_dir: Path, qt: bool | None = None) -> AppConnection | _QtConnection | None:
    """The running app of ``data_dir``, or None (nobody listens, or a socket left by a killed
    app: the app that starts next removes it). ``qt``: through QLocalSocket (the default on
    Windows, where the app listens on a named pipe)."""
    if qt if qt is not None else sys.platform.startswith("win"):
        return _connect_qt(socket_path(data_dir))
    path = socket_path(data_dir)
    if not os.path.exists(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    sock.settimeout(None)
    return AppConnection(sock)


def run_in_app(data_dir: Path, argv: list[str]) -> int | None:
    """Run a command in the running app, writing its output here; None when no app runs."""
    conn = connect(data_dir)
    if conn is None:
        return None
    try:
        conn.send({"cmd": "run", "argv": argv, "tty": sys.stdout.isatty()})
        for message in conn.messages():
            if "out" in message:
                sys.stdout.write(message["out"])
                sys.stdout.flush()
            elif "err" in message:
                sys.stderr.write(message["err"])
                sys.stderr.flush()
            elif "exit" in message:
                return int(message["exit"])
        print("assistant: error: the running app closed the connection", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the app stops the command when the connection drops
        return 130
    finally:
        conn.close()


def hand_over(data_dir: Path, message: dict[str, Any]) -> bool:
    """Give the running app a message (show, open paths, popup); False when none runs."""
    conn = connect(data_dir)
    if conn is None:
        return False
    try:
        conn.send(message)
        for reply in conn.messages():
            if "exit" in reply:
                return True
        return True
    finally:
        conn.close()


def hand_over_launch(paths: list[Path], popup: bool = False, hidden: bool = False) -> bool:
    """A launch of the app (``assistant gui``, ``popup``, a login start) when the app already
    runs on this data directory: bring it up with the paths, or open its popup. Called before
    Qt is imported, so the running window comes up quickly. False when none runs."""
    try:
        from assistant.config import load_settings

        if popup:
            message: dict[str, Any] = {"cmd": "popup"}
        elif hidden and not paths:  # a login start while the app already runs: nothing to do
            message = {"cmd": "ping"}
        else:
            message = {"cmd": "show", "paths": [str(p) for p in paths]}
        return hand_over(load_settings().data_path, message)
    except (OSError, ValueError):
        return False

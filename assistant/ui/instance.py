"""One running app per data directory: the app listens on a per-user local socket
(QLocalServer), a second launch connects and hands over its paths (or asks for the quick-ask
popup), and terminal commands are run by this app on its own engine.

Connect first, listen only when nobody answers: a socket file left by a killed app answers
nobody, so it is removed and this app listens in its place.

Signals:
    show_requested(list): a second launch's paths (possibly none): bring the window up
    popup_requested(): `assistant popup`
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant import ipc
from assistant.ui.bridge import EventPump

# (argv, write(stream, text)) -> exit code; runs on a worker thread
CommandRunner = Callable[[list[str], Callable[[str, str], None]], int]


class InstanceServer(QObject):
    show_requested = Signal(list)
    popup_requested = Signal()

    def __init__(self, data_dir: Path, run_command: CommandRunner | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.path = ipc.socket_path(data_dir)
        self.run_command = run_command
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._pump = EventPump(self)
        self._pump.event.connect(self._deliver)

    def listen(self) -> bool:
        """Listen, replacing a socket a killed app left behind. False when another app of
        this data directory answers (hand over to it instead)."""
        probe = QLocalSocket()
        probe.connectToServer(self.path)
        if probe.waitForConnected(300):
            probe.abort()
            return False
        QLocalServer.removeServer(self.path)  # stale: nobody answered
        return bool(self.server.listen(self.path))

    def close(self) -> None:
        self.server.close()
        QLocalServer.removeServer(self.path)

    # Connections -------------------------------------------------------------------

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._gone(s))

    def _gone(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        self._buffers[sock] = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        while b"\n" in self._buffers[sock]:
            line, rest = self._buffers[sock].split(b"\n", 1)
            self._buffers[sock] = rest
            try:
                message = json.loads(line)
            except ValueError:
                self._reply(sock, {"err": "assistant: error: unreadable request\n"})
                self._reply(sock, {"exit": 2})
                continue
            self._handle(sock, message)

    def _reply(self, sock: QLocalSocket, message: dict[str, Any]) -> None:
        if sock.state() == QLocalSocket.LocalSocketState.ConnectedState:
            sock.write(json.dumps(message).encode() + b"\n")
            sock.flush()

    def _handle(self, sock: QLocalSocket, message: dict[str, Any]) -> None:
        cmd = message.get("cmd")
        if cmd == "show":
            self.show_requested.emit([str(p) for p in message.get("paths", [])])
            self._reply(sock, {"exit": 0})
        elif cmd == "popup":
            self.popup_requested.emit()
            self._reply(sock, {"exit": 0})
        elif cmd == "ping":
            self._reply(sock, {"exit": 0})
        elif cmd == "run" and self.run_command is not None:
            self._run(sock, [str(a) for a in message.get("argv", [])])
        else:
            self._reply(sock, {"err": f"assistant: error: unknown request {cmd!r}\n"})
            self._reply(sock, {"exit": 2})

    def _run(self, sock: QLocalSocket, argv: list[str]) -> None:
        """Run a terminal command on a worker thread; its output goes back as it comes."""
        pump = self._pump
        runner = self.run_command
        assert runner is not None

        def write(stream: str, text: str) -> None:
            pump((sock, {stream: text}))

        def work() -> None:
            try:
                code = runner(argv, write)
            except Exception as exc:  # noqa: BLE001 - the terminal gets one line
                write("err", f"assistant: internal error: {exc}\n")
                code = 1
            pump((sock, {"exit": code}))

        threading.Thread(target=work, name="assistant-served-command", daemon=True).start()

    def _deliver(self, item: tuple[QLocalSocket, dict[str, Any]]) -> None:
        sock, message = item
        if sock in self._buffers:
            self._reply(sock, message)

"""One running app per data directory: the app listens on a per-user local socket
(QLocalServer), a second launch connects and hands over its paths (or asks for the quick-ask
popup), and terminal commands are run by this app on its own engine.

Connect first, listen only when nobody answers: a socket file left by a killed app answers
nobody, so it is removed and this app listens in its place. Where it listens (a folder only
this user can enter) and who may connect (this user's processes only) is assistant/ipc.py's
business; a connection from anyone else is dropped before a byte is read or sent. When the
terminal a served command came from goes (Ctrl+C, closed), the command is stopped.

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

# (argv, write(stream, text), the terminal it came from) -> exit code; runs on a worker thread
CommandRunner = Callable[[list[str], Callable[[str, str], None], ipc.Terminal], int]


class InstanceServer(QObject):
    show_requested = Signal(list)
    popup_requested = Signal()

    def __init__(self, data_dir: Path, run_command: CommandRunner | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir = data_dir
        self.path = ""
        self.problem = ""  # why listen() did not listen, for the window to say
        self.run_command = run_command
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._terminals: dict[QLocalSocket, ipc.Terminal] = {}
        self._pump = EventPump(self)
        self._pump.event.connect(self._deliver)

    def listen(self) -> bool:
        """Listen, replacing a socket a killed app left behind. False when another app of
        this data directory answers (hand over to it instead), or when there is no private
        place to listen in: ``problem`` then says why, in one line."""
        self.problem = ""
        running = ipc.connect(self.data_dir)  # this user's app only: a squatter is passed by
        if running is not None:
            running.close()
            self.problem = "Another window of the assistant answers on this data folder."
            return False
        try:
            self.path = ipc.listen_address(self.data_dir)
        except OSError as exc:
            self.problem = ("Terminal commands and a second launch can't reach this window: "
                            f"there is no private folder for its socket ({exc}).")
            return False
        QLocalServer.removeServer(self.path)  # stale: nobody answered
        if not self.server.listen(self.path):
            self.problem = ("Terminal commands and a second launch can't reach this window: "
                            f"it cannot listen on {self.path} ({self.server.errorString()}).")
            return False
        try:
            ipc.record_address(self.data_dir, self.path)
        except OSError as exc:
            self.close()
            self.problem = ("Terminal commands and a second launch can't reach this window: "
                            f"it cannot note its socket in {self.data_dir} ({exc}).")
            return False
        return True

    def close(self) -> None:
        listening = self.server.isListening()
        self.server.close()
        for terminal in list(self._terminals.values()):
            terminal.hang_up()
        if listening and self.path:
            QLocalServer.removeServer(self.path)
            ipc.release_address(self.data_dir, self.path)

    # Connections -------------------------------------------------------------------

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            if not ipc.peer_is_me(int(sock.socketDescriptor()), server_side=True):
                sock.abort()  # another user: nothing read, nothing sent
                sock.deleteLater()
                continue
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._gone(s))

    def _gone(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        terminal = self._terminals.pop(sock, None)
        if terminal is not None:  # Ctrl+C or a closed terminal: its command stops
            terminal.hang_up()
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
        if "in" in message or "in_end" in message:  # the terminal's stdin, for --batch -
            terminal = self._terminals.get(sock)
            if terminal is not None:
                terminal.feed(str(message["in"]) if "in" in message else None)
            return
        cmd = message.get("cmd")
        if cmd == "show":
            self.show_requested.emit([str(p) for p in message.get("paths", [])])
            self._reply(sock, {"exit": 0})
        elif cmd == "popup":
            self.popup_requested.emit()
            self._reply(sock, {"exit": 0})
        elif cmd == "ping":
            self._reply(sock, {"exit": 0})
        elif cmd == "run" and self.run_command is not None and sock not in self._terminals:
            terminal = ipc.Terminal.from_request(message)
            self._terminals[sock] = terminal
            self._run(sock, [str(a) for a in message.get("argv", [])], terminal)
        else:
            self._reply(sock, {"err": f"assistant: error: unknown request {cmd!r}\n"})
            self._reply(sock, {"exit": 2})

    def _run(self, sock: QLocalSocket, argv: list[str], terminal: ipc.Terminal) -> None:
        """Run a terminal command on a worker thread; its output goes back as it comes."""
        pump = self._pump
        runner = self.run_command
        assert runner is not None

        def write(stream: str, text: str) -> None:
            pump((sock, {stream: text}))

        def work() -> None:
            try:
                code = runner(argv, write, terminal)
            except Exception as exc:  # noqa: BLE001 - the terminal gets one line
                write("err", f"assistant: internal error: {exc}\n")
                code = 1
            pump((sock, {"exit": code}))

        threading.Thread(target=work, name="assistant-served-command", daemon=True).start()

    def _deliver(self, item: tuple[QLocalSocket, dict[str, Any]]) -> None:
        sock, message = item
        if sock in self._buffers:
            self._reply(sock, message)

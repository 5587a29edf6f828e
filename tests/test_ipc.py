"""The running app's local socket, on real sockets: only this user's app receives terminal
commands (another account squatting the runtime folder, a socket of another user, a client of
another user get nothing), and a served command behaves as in the terminal it came from:
its paths mean what they mean there, its stdin is that terminal's, and Ctrl+C there stops it.

The serving side is the app's own (InstanceServer on the real engine's Services, the app's
writer lane); the terminal is a real `python -m assistant` process in another folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant import cli, ipc

REPO = Path(__file__).resolve().parent.parent
NOBODY = 65534
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="a second account needs root (setuid)")
posix = pytest.mark.skipif(sys.platform.startswith("win"), reason="Unix sockets")


@pytest.fixture(autouse=True)
def shared_tmp(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A /tmp of its own (sticky, world-writable like /tmp) and no XDG_RUNTIME_DIR: the
    fallback every ssh-without-pam_systemd, su, cron or container session takes."""
    d = tempfile.mkdtemp(prefix="ipc-", dir="/tmp")
    os.chmod(d, 0o1777)
    monkeypatch.setattr(tempfile, "tempdir", d)
    monkeypatch.setenv("TMPDIR", d)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _socket_name(data_dir: Path) -> str:
    """The socket's file name for a data folder, as anyone who knows the folder can work out."""
    return f"assistant-{hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]}.sock"


class Squatter:
    """Another account (nobody): makes ``folder`` (world-open) and listens in it on ``name``,
    answering any request with a forged answer; what it receives comes back to the test.
    ``move_to``: the socket, bound there, is then moved (by root) to that path."""

    def __init__(self, folder: str, name: str, move_to: str | None = None):
        self.path = os.path.join(folder, name)
        read_end, write_end = os.pipe()
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the other account; only plain system calls, then _exit
            code = 0
            try:
                os.close(read_end)
                os.close(ready_r)
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                os.makedirs(folder, exist_ok=True)
                os.chmod(folder, 0o777)
                srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                srv.bind(self.path)
                os.chmod(self.path, 0o777)
                srv.listen(8)
                os.write(ready_w, b"1")
                while True:
                    conn, _ = srv.accept()
                    conn.settimeout(2)
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        data = b""
                    os.write(write_end, json.dumps(data.decode(errors="replace")).encode()
                             + b"\n")
                    try:
                        conn.sendall(b'{"out": "FORGED\\n"}\n{"exit": 0}\n')
                    except OSError:
                        pass
                    conn.close()
            except BaseException:  # noqa: BLE001
                code = 1
            os._exit(code)
        os.close(write_end)
        os.close(ready_w)
        self.pid, self._read = pid, read_end
        ready = os.read(ready_r, 1)
        os.close(ready_r)
        assert ready == b"1", "the squatter could not listen"
        if move_to is not None:  # root moves another user's live socket into place
            os.rename(self.path, move_to)
            self.path = move_to

    def received(self) -> list[str]:
        """Stop it; what it was sent."""
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        data = b""
        while chunk := os.read(self._read, 65536):
            data += chunk
        os.close(self._read)
        return [json.loads(line) for line in data.splitlines() if line.strip()]


# The serving side and the terminal -------------------------------------------------------


@pytest.fixture
def app(qapp, services):  # noqa: ANN001
    """Start the app's serving side (the real InstanceServer on the real Services and their
    writer lane, as the app does); ``start()`` returns it, with ``calls`` (argv, exit code)."""
    from assistant.ui.instance import InstanceServer

    writer = services.writer(folders=[], watch=False).start()
    services.running_writer = writer
    servers: list[Any] = []
    calls: list[dict[str, Any]] = []

    def runner(argv: list[str], write: Any, *terminal: Any) -> int:
        call: dict[str, Any] = {"argv": argv, "code": None}
        calls.append(call)
        call["code"] = cli.serve(services, argv, write, *terminal)
        return int(call["code"])

    def start() -> Any:
        server = InstanceServer(services.data_dir, runner, qapp)
        assert server.listen(), getattr(server, "problem", "")
        server.calls = calls
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
    services.running_writer = None
    writer.stop()


# Each InstanceServer is the QApplication's child, as the app's is the window's: a server that
# Python drops while Qt still has its sockets' events queued would crash the test run.


class Terminal:
    """`assistant ARGS` typed in a terminal in ``cwd`` (a real process); the Qt loop of the
    serving side turns while it runs."""

    def __init__(self, cwd: Path, *args: str, stdin: str | None = None,
                 env: dict[str, str] | None = None):
        out_dir = Path(tempfile.mkdtemp(dir=tempfile.gettempdir()))
        self._out, self._err = open(out_dir / "out", "w+b"), open(out_dir / "err", "w+b")  # noqa: SIM115
        full = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
                **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args], cwd=cwd, env=full,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=self._out, stderr=self._err)
        if stdin is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin.encode())
            self.proc.stdin.close()

    def wait(self, qtbot: Any, timeout_s: float = 300) -> Terminal:
        qtbot.waitUntil(lambda: self.proc.poll() is not None, timeout=int(timeout_s * 1000))
        self._out.seek(0)
        self._err.seek(0)
        self.returncode = self.proc.returncode
        self.stdout = self._out.read().decode()
        self.stderr = self._err.read().decode()
        return self

    def interrupt(self) -> None:
        """Ctrl+C in that terminal."""
        self.proc.send_signal(signal.SIGINT)


def _beside_the_app(qtbot: Any, client: Any) -> Any:
    """Run a client call on a thread while the app's side (this thread's Qt loop) answers."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(client()), daemon=True)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=30_000)
    return result[0]


def _indexed(services: Any) -> set[str]:
    return {f.path for f in services.catalog.files("indexed")}


def _note(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# 2: another account gets nothing ----------------------------------------------------------


@pytest.mark.integration
@posix
@as_root
def test_a_squatted_runtime_folder_gets_nothing_and_blocks_nothing(
        app, services, qtbot, shared_tmp: str, tmp_path: Path) -> None:  # noqa: ANN001
    """Another account made /tmp/assistant-<uid> and listens where the app's socket would be
    (no XDG_RUNTIME_DIR). The app still listens, the terminal's command reaches it, and the
    squatter receives nothing and can forge nothing."""
    folder = os.path.join(shared_tmp, f"assistant-{os.getuid()}")
    squatter = Squatter(folder, _socket_name(services.data_dir))
    try:
        server = app()  # listens (before: "another window of this data folder")
        t = Terminal(tmp_path, "status", "--json").wait(qtbot)
    finally:
        received = squatter.received()
    assert received == []
    assert "FORGED" not in t.stdout
    assert t.returncode == 0, t.stderr
    assert json.loads(t.stdout)["files"] == 0
    assert [c["argv"] for c in server.calls] == [["status", "--json"]]  # served by the app


@posix
def test_only_a_private_folder_of_this_user_holds_the_socket(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_tmp: str) -> None:
    data = tmp_path / "data"
    good = tmp_path / "good"
    good.mkdir(mode=0o700)
    open_ = tmp_path / "open"
    open_.mkdir()
    open_.chmod(0o755)
    group = tmp_path / "group"
    group.mkdir()
    group.chmod(0o770)
    link = tmp_path / "link"
    link.symlink_to(good)
    plain = tmp_path / "file"
    plain.write_text("")
    assert ipc.private_dir_problem(str(good)) == ""
    assert "mode 755" in ipc.private_dir_problem(str(open_))
    assert "mode 770" in ipc.private_dir_problem(str(group))
    assert "symbolic link" in ipc.private_dir_problem(str(link))
    assert "not a folder" in ipc.private_dir_problem(str(plain))
    assert "cannot be used" in ipc.private_dir_problem(str(tmp_path / "missing"))
    bad = [open_, group, link, plain]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # su/sudo keeping another user's folder
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, NOBODY, NOBODY)
        assert f"another user (uid {NOBODY})" in ipc.private_dir_problem(str(theirs))
        bad.append(theirs)

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(good))
    assert ipc.listen_address(data) == str(good / _socket_name(data))
    assert ipc.addresses(data) == [str(good / _socket_name(data))]
    for folder in bad:  # not used: a fresh private folder of this user instead
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
        assert ipc.addresses(data) == []
        address = ipc.listen_address(data)
        fresh = os.path.dirname(address)
        assert os.path.dirname(fresh) == shared_tmp and not address.startswith(str(folder))
        assert ipc.private_dir_problem(fresh) == ""
        os.rmdir(fresh)


@posix
def test_the_app_listens_in_a_fresh_private_folder_that_clients_find(
        qapp, tmp_path: Path, shared_tmp: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """No XDG_RUNTIME_DIR: a folder made with mkdtemp (a name nobody can make first), noted
    in the data folder, found by a client whatever its environment says; gone on close."""
    from assistant.ui.instance import InstanceServer

    data = tmp_path / "data"
    data.mkdir()
    server = InstanceServer(data, parent=qapp)
    assert server.listen(), server.problem
    folder = os.path.dirname(server.path)
    assert os.path.dirname(folder) == shared_tmp
    assert os.path.basename(folder).startswith(f"assistant-{os.getuid()}-")
    assert ipc.private_dir_problem(folder) == ""
    assert (data / ipc.ADDRESS_FILE).read_text().strip() == server.path
    assert stat.S_IMODE((data / ipc.ADDRESS_FILE).stat().st_mode) == 0o600
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # a client of another session
    found = ipc.connect(data)
    assert found is not None
    found.close()
    second = InstanceServer(data, parent=qapp)
    assert not second.listen()
    assert second.problem == "Another window of the assistant answers on this data folder."
    server.close()
    assert not os.path.exists(folder) and not (data / ipc.ADDRESS_FILE).exists()
    assert ipc.connect(data) is None


@posix
def test_without_a_private_folder_the_app_says_why(
        qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from assistant.ui.instance import InstanceServer

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmp"))
    server = InstanceServer(data, parent=qapp)
    assert not server.listen()
    assert server.problem.startswith("Terminal commands and a second launch can't reach this "
                                     "window: there is no private folder for its socket (")
    assert "no-such-tmp" in server.problem


@posix
@as_root
def test_a_squatted_fallback_folder_neither_receives_nor_blocks(
        qapp, qtbot, tmp_path: Path, shared_tmp: str) -> None:  # noqa: ANN001
    """The finding's set-up, without the engine: another account made /tmp/assistant-<uid>
    (mode 777) with a listening socket. The app listens elsewhere, a second launch reaches
    the app, and the squatter gets nothing."""
    from assistant.ui.instance import InstanceServer

    data = tmp_path / "data"
    data.mkdir()
    squatter = Squatter(os.path.join(shared_tmp, f"assistant-{os.getuid()}"),
                        _socket_name(data))
    shown: list[list[str]] = []
    try:
        server = InstanceServer(data, parent=qapp)
        server.show_requested.connect(shown.append)
        assert server.listen(), server.problem
        assert not server.path.startswith(os.path.join(shared_tmp, f"assistant-{os.getuid()}/"))
        assert _beside_the_app(qtbot, lambda: ipc.hand_over(
            data, {"cmd": "show", "paths": ["/x/y.md"]}))
        qtbot.waitUntil(lambda: shown != [], timeout=10_000)
        server.close()
    finally:
        received = squatter.received()
    assert received == []
    assert shown == [["/x/y.md"]]


@posix
@as_root
def test_a_socket_of_another_user_is_sent_nothing(
        qapp, tmp_path: Path, shared_tmp: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:  # noqa: ANN001
    """Even in this user's private folder (root moved it there), a socket that another
    user's process listens on is refused before a byte is sent: plain and Qt clients."""
    data = tmp_path / "data"
    data.mkdir()
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    squatter = Squatter(os.path.join(shared_tmp, "theirs"), "s.sock",
                        move_to=str(run / _socket_name(data)))
    try:
        assert ipc.connect(data) is None
        assert ipc.run_in_app(data, ["status"]) is None  # runs on its own instead
        assert ipc.connect(data, qt=True) is None
        assert not ipc.hand_over(data, {"cmd": "show", "paths": ["/secret/plan.md"]})
    finally:
        received = squatter.received()
    assert "".join(received) == ""  # it was asked who it is (connected); nothing more
    assert "another user's program answers there (uid 65534)" in capsys.readouterr().err


@posix
@as_root
def test_the_app_drops_a_connection_of_another_user(
        qapp, qtbot, tmp_path: Path, shared_tmp: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Were the socket reachable (here: put in an open folder, world-writable), another
    user's request is neither read nor answered; this user's is."""
    from PySide6.QtNetwork import QLocalServer

    from assistant.ui.instance import InstanceServer

    data = tmp_path / "data"
    data.mkdir()
    open_folder = os.path.join(shared_tmp, "open")
    os.mkdir(open_folder)
    os.chmod(open_folder, 0o777)
    address = os.path.join(open_folder, "app.sock")
    monkeypatch.setattr(ipc, "listen_address", lambda d: address)
    ran: list[list[str]] = []
    server = InstanceServer(data, lambda argv, write, terminal: ran.append(argv) or 0, qapp)
    server.server.setSocketOptions(QLocalServer.SocketOption.WorldAccessOption)
    assert server.listen(), server.problem
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # another user's client
        got = b""
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.settimeout(20)
            client.connect(address)
            got = b"connected:"
            client.sendall(b'{"cmd": "run", "argv": ["status"]}\n{"cmd": "ping"}\n')
            while chunk := client.recv(65536):
                got += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass  # dropped by the app: what it is for
        except BaseException as exc:  # noqa: BLE001
            got += repr(exc).encode()
        os.write(write_end, got)
        os._exit(0)
    os.close(write_end)
    try:
        qtbot.waitUntil(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, timeout=30_000)
        got = os.read(read_end, 65536)
    finally:
        os.close(read_end)
    assert got == b"connected:"  # it reached the app, which read and answered nothing
    assert ran == []
    mine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # this user: answered
    mine.connect(address)
    mine.sendall(b'{"cmd": "ping"}\n')
    mine.settimeout(0.05)
    reply = b""
    deadline = time.monotonic() + 20
    while not reply.endswith(b"\n") and time.monotonic() < deadline:
        qapp.processEvents()  # the app's side turns meanwhile
        try:
            reply += mine.recv(65536)
        except TimeoutError:
            pass
    assert json.loads(reply) == {"exit": 0}
    mine.close()
    server.close()


# 3: paths mean what they mean in the terminal ---------------------------------------------


@pytest.mark.integration
def test_paths_of_a_served_command_mean_what_they_mean_in_the_terminal(
        app, services, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    a, b, home = tmp_path / "A", tmp_path / "B", tmp_path / "h"
    in_a = _note(a / "notes" / "a.md", "# Herons\n\nThe grey heron nests in heronries.\n")
    in_b = _note(b / "notes" / "b.md", "# Bread\n\nSourdough bread rises for twelve hours.\n")
    in_home = _note(home / "notes" / "h.md", "# Tides\n\nSpring tides come at full moon.\n")
    _note(b / "queries.txt", "How long does sourdough rise?\n")
    monkeypatch.chdir(a)  # the folder the app was started in
    server = app()

    t = Terminal(b, "index", "--json", "notes").wait(qtbot)
    assert t.returncode == 0, t.stderr
    assert _indexed(services) == {str(in_b)}
    t = Terminal(b, "index", str(a / "notes"), "~/notes/h.md", env={"HOME": str(home)})
    t.wait(qtbot)
    assert t.returncode == 0, t.stderr
    assert _indexed(services) == {str(in_a), str(in_b), str(in_home)}

    t = Terminal(b, "search", "-k", "1", "How long does sourdough rise?").wait(qtbot)
    assert t.returncode == 0, t.stderr
    assert t.stdout.startswith(f"1. {os.path.join('notes', 'b.md')}  (score")  # as seen from B
    t = Terminal(b, "search", "--batch", "queries.txt", "-k", "1").wait(qtbot)
    assert t.returncode == 0, t.stderr
    assert json.loads(t.stdout.splitlines()[0])[0]["path"] == str(in_b)

    t = Terminal(b, "forget", "notes").wait(qtbot)
    assert t.returncode == 0, t.stderr
    assert _indexed(services) == {str(in_a), str(in_home)}
    t = Terminal(b, "index", "notes/b.md").wait(qtbot)
    assert t.returncode == 0, t.stderr
    assert str(in_b) in _indexed(services)
    assert all(c["code"] == 0 for c in server.calls) and len(server.calls) == 6


# 7: Ctrl+C in the terminal stops the served command ----------------------------------------


def _corpus(folder: Path, n: int, paragraphs: int = 40) -> Path:
    for i in range(n):
        _note(folder / f"doc{i:03}.md", f"# Document {i}\n\n" + "\n\n".join(
            f"Paragraph {j} of document {i} is about harbours, tides and boats."
            for j in range(paragraphs)))
    return folder


@pytest.mark.integration
def test_ctrl_c_in_the_terminal_stops_a_served_index(app, services, qtbot,
                                                     tmp_path: Path) -> None:  # noqa: ANN001
    total = 150
    _corpus(tmp_path / "many", total)
    server = app()
    t = Terminal(tmp_path, "index", str(tmp_path / "many"))
    qtbot.waitUntil(lambda: len(_indexed(services)) >= 1, timeout=300_000)
    t.interrupt()
    t.wait(qtbot)
    assert t.returncode == 130
    # The app's command ends (soon: between files), instead of indexing all 150.
    qtbot.waitUntil(lambda: bool(server.calls) and server.calls[0]["code"] is not None,
                    timeout=600_000)
    assert len(_indexed(services)) < total
    assert server.calls[0]["code"] == 130


@pytest.mark.integration
def test_ctrl_c_in_the_terminal_stops_a_served_answer(app, services, qtbot, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from assistant.core.answer import Thresholds
    from assistant.core.types import AnswerDone, TokenStreamed

    _note(tmp_path / "tides.md", "# Tides\n\n" + " ".join(
        f"Harbour {i} floods at spring tide and has {i + 3} moorings." for i in range(40)))
    answerer = services.answerer
    monkeypatch.setattr(answerer, "max_answer_tokens", 400)
    monkeypatch.setattr(answerer, "thresholds", Thresholds(skip_model=-9.0, quote=-9.0, keys=0.0))
    streams: list[Any] = []
    real_answer = answerer.answer

    first_token, release = threading.Event(), threading.Event()

    class Followed:
        """The real answer stream, held after its first token until the test has pressed
        Ctrl+C (so a short answer cannot end first); counts what goes by."""

        def __init__(self, stream: Any):
            self.stream, self.tokens, self.done = stream, 0, None

        def __iter__(self) -> Followed:
            return self

        def __next__(self) -> Any:
            event = next(self.stream)
            if isinstance(event, TokenStreamed):
                self.tokens += 1
                if self.tokens == 1:
                    first_token.set()
                    release.wait(120)
            if isinstance(event, AnswerDone):
                self.done = event
            return event

        def __getattr__(self, name: str) -> Any:
            return getattr(self.stream, name)

        def result(self) -> Any:
            for _ in self:
                pass
            return self.done

    def followed(*args: Any, **kwargs: Any) -> Any:
        streams.append(Followed(real_answer(*args, **kwargs)))
        return streams[-1]

    monkeypatch.setattr(answerer, "answer", followed)
    server = app()
    t = Terminal(tmp_path, "index", str(tmp_path / "tides.md")).wait(qtbot)
    assert t.returncode == 0, t.stderr
    t = Terminal(tmp_path, "ask", "Describe every harbour, its floods and its moorings, in "
                 "detail, one paragraph each.")
    qtbot.waitUntil(first_token.is_set, timeout=300_000)
    t.interrupt()
    t.wait(qtbot)
    assert t.returncode == 130
    deadline = time.monotonic() + 15  # the app notices the dropped connection
    while not streams[0].stream.cancelled and time.monotonic() < deadline:
        qtbot.wait(50)
    release.set()
    qtbot.waitUntil(lambda: server.calls[-1]["code"] is not None, timeout=600_000)
    assert streams[0].done is not None
    assert streams[0].done.cancelled, f"ran on: {streams[0].tokens} tokens"
    assert services.conversations.list() == []  # not kept, as when run on its own
    assert server.calls[-1]["code"] == 130


# 8: --batch - reads the terminal's stdin ----------------------------------------------------


@pytest.mark.integration
def test_a_served_batch_reads_the_terminals_stdin(app, services, qtbot,
                                                  tmp_path: Path) -> None:  # noqa: ANN001
    _note(tmp_path / "bread.md", "# Bread\n\nSourdough bread rises for twelve hours.\n")
    server = app()
    assert Terminal(tmp_path, "index", str(tmp_path / "bread.md")).wait(qtbot).returncode == 0
    t = Terminal(tmp_path, "search", "--batch", "-", "-k", "1",
                 stdin="How long does sourdough rise?\n\nbread\n").wait(qtbot, 120)
    assert t.returncode == 0, t.stderr
    lines = [json.loads(line) for line in t.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0][0]["path"] == str(tmp_path / "bread.md")
    assert lines[1] == {"query": "", "error": "the query is empty"}
    t = Terminal(tmp_path, "ask", "--batch", "-",
                 stdin="Who painted the Mona Lisa?\n").wait(qtbot, 300)
    assert t.returncode == 0, t.stderr
    answers = [json.loads(line) for line in t.stdout.splitlines()]
    assert [a["question"] for a in answers] == ["Who painted the Mona Lisa?"]
    assert [c["argv"][0] for c in server.calls] == ["index", "search", "ask"]


def test_a_connection_already_gone_has_no_peer() -> None:
    from assistant import ipc

    assert ipc.peer_uid(-1) is None
    a, b = socket.socketpair(socket.AF_UNIX)
    try:
        assert ipc.peer_uid(a.fileno()) == os.getuid()
    finally:
        a.close()
        b.close()

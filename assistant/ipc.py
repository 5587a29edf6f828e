"""The per-user local socket of the running app: a second launch hands it its paths, and
`assistant ask/search/index/status/forget` in a terminal are served by it (one writer, one
copy of the models), with the same output as when they run on their own.

The app listens (assistant/ui/instance.py, QLocalServer on a full path); this side is the
client, plain ``socket`` on POSIX so terminal commands stay quick and Qt-free. One socket per
data directory: two apps on two data directories don't meet.

Only this user's app may receive a terminal's questions and paths, and only this user may
send it commands. So the socket lives only in a folder of this user that nobody else can
enter (checked with lstat: not a link, this uid, no group or other bits): $XDG_RUNTIME_DIR
when it is such a folder, else a fresh private folder made with mkdtemp (a random name in
/tmp: nobody can make it first, as they could make /tmp/assistant-<uid>). The app writes where
it listens into the data directory (``app-socket``, the user's own folder); clients read it
there first, so they find it whatever their environment says. Both ends also ask who the
other end is (SO_PEERCRED, LOCAL_PEERCRED; on Windows the pipe's process and its owner)
before sending anything. On Windows the pipe's name is random too, its access the user's only.

Protocol: one JSON object per line each way. Client → app: ``{"cmd": "show", "paths": [...]}``,
``{"cmd": "popup"}``, ``{"cmd": "ping"}`` or ``{"cmd": "run", "argv": [...], "tty": bool,
"cwd": dir, "home": dir}``, then for ``--batch -`` the terminal's stdin: ``{"in": line}``...
``{"in_end": true}``. App → client: ``{"out": text}``, ``{"err": text}``, then ``{"exit":
code}``. A dropped connection (Ctrl+C, a closed terminal) stops the command in the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import secrets
import socket
import stat
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CONNECT_TIMEOUT_S = 0.5
ADDRESS_FILE = "app-socket"  # in the data directory: where its running app listens
WINDOWS = sys.platform.startswith("win")


def _key(data_dir: Path) -> str:
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]


def _socket_name(data_dir: Path) -> str:
    return f"assistant-{_key(data_dir)}.sock"


def _fresh_prefix() -> str:
    return f"assistant-{os.getuid()}-"


def private_dir_problem(path: str) -> str:
    """Why ``path`` is not a folder of this user that nobody else can enter; "" when it is.
    lstat: a symbolic link is refused, not followed (it could be swapped)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"{path} cannot be used ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a folder"
    if st.st_uid != os.getuid():
        return f"{path} belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o077:
        return f"other users can enter {path} (mode {stat.S_IMODE(st.st_mode):o}, not 700)"
    return ""


def _preferred_address(data_dir: Path) -> str | None:
    """$XDG_RUNTIME_DIR's socket, when that folder is private to this user (su and sudo can
    leave another user's there)."""
    if WINDOWS:
        return None
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if not runtime or not os.path.isabs(runtime) or private_dir_problem(runtime):
        return None
    return os.path.join(runtime, _socket_name(data_dir))


def _valid_address(data_dir: Path, address: str) -> bool:
    if WINDOWS:
        return re.fullmatch(rf"assistant-{_key(data_dir)}-[0-9a-f]{{16}}", address) is not None
    return (os.path.isabs(address) and os.path.basename(address) == _socket_name(data_dir)
            and not private_dir_problem(os.path.dirname(address)))


def _recorded_address(data_dir: Path) -> str | None:
    """Where the app of ``data_dir`` said it listens, if that is still a private place."""
    try:
        with open(data_dir / ADDRESS_FILE, encoding="utf-8") as f:
            address = f.read(4096).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return address if address and _valid_address(data_dir, address) else None


def addresses(data_dir: Path) -> list[str]:
    """Where a client looks for the app of ``data_dir``, in order."""
    found = [a for a in (_recorded_address(data_dir), _preferred_address(data_dir)) if a]
    return list(dict.fromkeys(found))


def listen_address(data_dir: Path) -> str:
    """Where the app of ``data_dir`` listens: $XDG_RUNTIME_DIR when private, else the fresh
    private folder a killed app left (still private), else a new one; on Windows a new random
    pipe name. OSError says why there is none."""
    if WINDOWS:
        return f"assistant-{_key(data_dir)}-{secrets.token_hex(8)}"
    preferred = _preferred_address(data_dir)
    if preferred is not None:
        return preferred
    recorded = _recorded_address(data_dir)
    if recorded is not None and os.path.basename(os.path.dirname(recorded)).startswith(
            _fresh_prefix()):
        return recorded
    folder = tempfile.mkdtemp(prefix=_fresh_prefix(), dir=tempfile.gettempdir())
    problem = private_dir_problem(folder)
    if problem:  # mkdtemp makes it 0700 and ours; anything else is not ours to use
        raise OSError(problem)
    return os.path.join(folder, _socket_name(data_dir))


def record_address(data_dir: Path, address: str) -> None:
    """Tell clients where the app listens (written whole: a reader never sees half)."""
    temp = data_dir / f".{ADDRESS_FILE}.{os.getpid()}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(address + "\n")
    os.replace(temp, data_dir / ADDRESS_FILE)


def release_address(data_dir: Path, address: str) -> None:
    """The app stops listening: the record goes (if it is still this app's) and so does the
    fresh folder (its socket was removed)."""
    if _recorded_address(data_dir) == address:
        try:
            os.unlink(data_dir / ADDRESS_FILE)
        except OSError:
            pass
    folder = os.path.dirname(address)
    if not WINDOWS and os.path.basename(folder).startswith(_fresh_prefix()):
        try:
            os.rmdir(folder)
        except OSError:
            pass


# Who is at the other end ---------------------------------------------------------------


def peer_uid(fd: int) -> int | None:
    """The uid of the process at the other end of the Unix socket ``fd`` (None: unknown)."""
    if fd < 0:  # the connection is already gone
        return None
    try:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(fd))
    except OSError:
        return None
    try:
        if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
            creds = probe.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                     struct.calcsize("3i"))
            fields = struct.unpack("3i", creds)
            return fields[0] if sys.platform.startswith("openbsd") else fields[1]
        # macOS and the BSDs (what getpeereid() reads): LOCAL_PEERCRED, level SOL_LOCAL (0),
        # option 1, a struct xucred {u_int version; uid_t uid; ...}
        creds = probe.getsockopt(0, 1, 128)
        return int(struct.unpack_from("2I", creds)[1])
    except OSError:
        return None
    finally:
        probe.close()


def peer_is_me(handle: int, server_side: bool = False) -> bool:
    """Whether the other end of a connection (a socket fd; on Windows a pipe handle) is a
    process of this user. ``server_side``: ``handle`` is the app's end (Windows asks the pipe
    for its client's process instead of its server's)."""
    if WINDOWS:
        try:
            return _pipe_peer_is_me(handle, server_side)
        except (OSError, AttributeError, ValueError):
            return False
    return peer_uid(handle) == os.getuid()


def _pipe_peer_is_me(handle: int, server_side: bool) -> bool:  # pragma: no cover - Windows
    """The owner of the process at the pipe's other end is this process's owner (its SID)."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)  # type: ignore[attr-defined]
    get_pid = (kernel32.GetNamedPipeClientProcessId if server_side
               else kernel32.GetNamedPipeServerProcessId)
    get_pid.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.ULONG)]
    get_pid.restype = wintypes.BOOL
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD,
                                          ctypes.POINTER(wintypes.HANDLE)]
    advapi32.OpenProcessToken.restype = wintypes.BOOL
    advapi32.GetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p,
                                             wintypes.DWORD, ctypes.POINTER(wintypes.DWORD)]
    advapi32.GetTokenInformation.restype = wintypes.BOOL
    advapi32.GetLengthSid.argtypes = [ctypes.c_void_p]
    advapi32.GetLengthSid.restype = wintypes.DWORD

    def owner(process: Any) -> bytes:
        token = wintypes.HANDLE()
        if not advapi32.OpenProcessToken(process, 0x0008, ctypes.byref(token)):  # TOKEN_QUERY
            raise OSError(ctypes.get_last_error(), "OpenProcessToken")
        try:
            size = wintypes.DWORD()
            advapi32.GetTokenInformation(token, 1, None, 0, ctypes.byref(size))  # TokenUser
            buffer = ctypes.create_string_buffer(size.value)
            if not advapi32.GetTokenInformation(token, 1, buffer, size, ctypes.byref(size)):
                raise OSError(ctypes.get_last_error(), "GetTokenInformation")
            sid = ctypes.c_void_p.from_buffer(buffer).value  # TOKEN_USER.User.Sid
            return ctypes.string_at(sid, advapi32.GetLengthSid(sid))
        finally:
            kernel32.CloseHandle(token)

    pid = wintypes.ULONG()
    if not get_pid(wintypes.HANDLE(handle), ctypes.byref(pid)):
        raise OSError(ctypes.get_last_error(), "GetNamedPipe...ProcessId")
    process = kernel32.OpenProcess(0x1000, False, pid.value)  # QUERY_LIMITED_INFORMATION
    if not process:
        raise OSError(ctypes.get_last_error(), "OpenProcess")
    try:
        return owner(process) == owner(kernel32.GetCurrentProcess())
    finally:
        kernel32.CloseHandle(process)


# The terminal a served command came from -------------------------------------------------


class Terminal:
    """What the app knows of the terminal a served command came from: its folder (relative
    paths mean what they mean there), its home (``~``), its stdin lines (``--batch -``), and
    whether it is still there: Ctrl+C or a closed terminal drops the connection, and
    :meth:`hang_up` then stops the command through the hooks it registered."""

    def __init__(self, cwd: str | None = None, home: str | None = None, tty: bool = False):
        self.cwd = cwd
        self.home = home
        self.tty = tty
        self.gone = threading.Event()
        self._input: queue.Queue[str | None] = queue.Queue()
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_request(cls, message: dict[str, Any]) -> Terminal:
        def folder(value: Any) -> str | None:
            return value if isinstance(value, str) and os.path.isabs(value) else None

        return cls(folder(message.get("cwd")), folder(message.get("home")),
                   bool(message.get("tty")))

    def feed(self, line: str | None) -> None:
        """A line of the terminal's stdin; None: its end."""
        self._input.put(line)

    def lines(self) -> Iterator[str]:
        """The terminal's stdin, line by line as it comes, until its end or a hang-up."""
        while not self.gone.is_set():
            line = self._input.get()
            if line is None or self.gone.is_set():
                return
            yield line.rstrip("\r\n")

    def on_hang_up(self, stop: Callable[[], None]) -> Callable[[], None]:
        """Call ``stop`` (from another thread) when the terminal goes; returns the undo."""
        with self._lock:
            gone = self.gone.is_set()
            if not gone:
                self._hooks.append(stop)
        if gone:
            stop()

        def undo() -> None:
            with self._lock:
                if stop in self._hooks:
                    self._hooks.remove(stop)
        return undo

    def hang_up(self) -> None:
        with self._lock:
            self.gone.set()
            hooks, self._hooks = self._hooks, []
        self._input.put(None)
        for stop in hooks:
            try:
                stop()
            except Exception:  # noqa: BLE001,S110 - the command is going away anyway
                pass


# The client -------------------------------------------------------------------------------


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


def _refuse(address: str, why: str) -> None:
    print(f"assistant: warning: not using {address}: {why}; nothing was sent to it",
          file=sys.stderr)


def _connect_qt(address: str) -> _QtConnection | None:
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(address)
    if not sock.waitForConnected(int(CONNECT_TIMEOUT_S * 1000)):
        return None
    if not peer_is_me(int(sock.socketDescriptor())):
        sock.abort()
        _refuse(address, "another user's program answers there")
        return None
    return _QtConnection(sock)


def _connect_unix(address: str) -> AppConnection | None:
    if not os.path.lexists(address):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        return None
    uid = peer_uid(sock.fileno())
    if uid != os.getuid():
        sock.close()
        _refuse(address, f"another user's program answers there (uid {uid})")
        return None
    sock.settimeout(None)
    return AppConnection(sock)


def connect(data_dir: Path, qt: bool | None = None) -> AppConnection | _QtConnection | None:
    """The running app of ``data_dir`` (a process of this user, in a private place), or None
    (nobody listens, or a socket left by a killed app: the app that starts next removes it).
    ``qt``: through QLocalSocket (the default on Windows, where the app listens on a pipe)."""
    through_qt = qt if qt is not None else WINDOWS
    for address in addresses(data_dir):
        if not WINDOWS:
            problem = private_dir_problem(os.path.dirname(address))
            if problem:  # checked again right before use: it may have changed
                _refuse(address, problem)
                continue
        conn = _connect_qt(address) if through_qt else _connect_unix(address)
        if conn is not None:
            return conn
    return None


def _terminal_here() -> dict[str, Any]:
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the folder was removed: relative paths then mean nothing
        cwd = None
    return {"cwd": cwd, "home": os.path.expanduser("~")}


def _send_stdin(conn: AppConnection | _QtConnection) -> None:
    """The terminal's stdin, for ``--batch -``: line by line as it comes, on a thread (the
    answers come back meanwhile). Read from the file descriptor, not sys.stdin, so a thread
    left blocked in it at exit holds no lock the interpreter's shutdown needs. Through Qt
    (Windows), whose socket is not for two threads, it is read to its end first."""
    encoding = getattr(sys.stdin, "encoding", None) or "utf-8"

    def forward() -> None:
        pending = b""
        try:
            fd = sys.stdin.fileno()
            while chunk := os.read(fd, 65536):
                pending += chunk
                *whole, pending = pending.split(b"\n")
                for line in whole:
                    conn.send({"in": line.decode(encoding, "replace") + "\n"})
            if pending:
                conn.send({"in": pending.decode(encoding, "replace")})
        except (OSError, ValueError, AttributeError):
            pass  # the connection went (Ctrl+C), or there is no stdin: its end, then
        try:
            conn.send({"in_end": True})
        except OSError:
            pass

    if isinstance(conn, AppConnection):
        threading.Thread(target=forward, name="assistant-stdin", daemon=True).start()
    else:
        forward()


def run_in_app(data_dir: Path, argv: list[str], stdin: bool = False) -> int | None:
    """Run a command in the running app, writing its output here; None when no app runs.
    The app resolves its paths in this terminal's folder; ``stdin``: the command reads this
    terminal's stdin (``--batch -``)."""
    conn = connect(data_dir)
    if conn is None:
        return None
    try:
        conn.send({"cmd": "run", "argv": argv, "tty": sys.stdout.isatty(), **_terminal_here()})
        if stdin:
            _send_stdin(conn)
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

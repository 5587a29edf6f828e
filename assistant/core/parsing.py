"""Parse files in a child process with a time limit and a memory limit.

An infinite-loop PDF, a decompression bomb or a pathological file must not hang or exhaust
the app: the child is killed when it overruns, the file gets a specific reason, and the next
file gets a fresh child. The child is reused between files, so its start-up is paid once.

The child talks length-prefixed pickles over its stdin/stdout, so it works whatever the
parent's ``__main__`` is (CLI, GUI, tests). It starts *isolated* (``python -I``, from a
neutral working directory): the folder being indexed may hold a ``docx.py`` or ``pypdf.py``,
and a child with the current directory on ``sys.path`` would run that code instead of the
parser. In a frozen (bundled) app ``sys.executable`` is the app itself, which serves as the
child when started with :data:`CHILD_FLAG`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from assistant.core.errors import LoaderError
from assistant.core.faults import checkpoint
from assistant.core.types import Document

_HEADER = struct.Struct("!Q")
CHILD_FLAG = "--parser-child"
PARSER_NICENESS = 10  # added to the app's: parsing yields the CPU to the window and answers


def child_command(memory_bytes: int) -> list[str]:
    """The command that starts a parser child, safe whatever the current directory holds."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG, str(memory_bytes)]
    # -I: no current directory or script folder on sys.path, no PYTHON* variables, no user
    # site. The package is found where it is installed; its own folder goes last on the path
    # for a checkout that is not installed (never first: it must not shadow a library).
    package_parent = str(Path(__file__).resolve().parents[2])
    code = (f"import sys; sys.path.append({package_parent!r}); "
            f"from assistant.core.parsing import serve; serve({int(memory_bytes)})")
    return [sys.executable, "-I", "-c", code]


def _send(stream: BinaryIO, obj: Any) -> None:
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(blob)))
    stream.write(blob)
    stream.flush()


def _recv(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    blob = stream.read(size)
    if len(blob) < size:
        raise EOFError
    return pickle.loads(blob)  # noqa: S301 - our own child process


class ParserProcess:
    """One child process that parses files on request; one caller at a time."""

    def __init__(self, timeout_s: float = 60.0, memory_mb: int = 2048):
        self.timeout_s = timeout_s
        self.memory_bytes = int(memory_mb * 1024 * 1024)
        self._proc: subprocess.Popen[bytes] | None = None
        self._results: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            child_command(self.memory_bytes),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=os.path.abspath(os.sep),
            start_new_session=True,  # Ctrl+C in a terminal is the parent's to handle
        )
        self._results = queue.Queue()
        threading.Thread(target=self._read, args=(self._proc, self._results), daemon=True,
                         name="assistant-parser-reader").start()

    @staticmethod
    def _read(proc: subprocess.Popen[bytes], results: queue.Queue[Any]) -> None:
        assert proc.stdout is not None
        while True:
            try:
                results.put(_recv(proc.stdout))
            except (EOFError, OSError, pickle.UnpicklingError):
                results.put(EOFError())
                return

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()

    def parse(self, path: str, data: bytes,
              cancel: threading.Event | None = None) -> Document:
        """The document in ``data``; raises LoaderError with a specific reason. Setting
        ``cancel`` kills the child within 50 ms and raises LoaderError("cancelled"): a stop
        request does not wait for a long PDF that nobody needs any more."""
        with self._lock:
            name = Path(path).name
            for attempt in range(2):
                if self._proc is None or self._proc.poll() is not None:
                    self._kill()
                    self._start()
                assert self._proc is not None and self._proc.stdin is not None
                try:
                    _send(self._proc.stdin, (path, data))
                    break
                except (BrokenPipeError, OSError) as exc:
                    self._kill()
                    if attempt:
                        raise LoaderError("crashed",
                                          f"{name}: the parser could not start") from exc
            result = self._wait(name, cancel)
            if isinstance(result, tuple) and result[0] == "ok":
                return result[1]  # type: ignore[no-any-return]
            raise LoaderError(result[1], result[2])

    def _wait(self, name: str, cancel: threading.Event | None) -> Any:
        assert self._proc is not None
        deadline = time.monotonic() + self.timeout_s
        watch = _MemoryWatch(self._proc.pid, self.memory_bytes)
        while True:
            try:
                result = self._results.get(timeout=0.05)
                break
            except queue.Empty:
                pass
            if cancel is not None and cancel.is_set():
                self._kill()
                raise LoaderError("cancelled", f"{name}: parsing was cancelled")
            if time.monotonic() > deadline:
                self._kill()
                raise LoaderError("timeout", f"{name} took longer than {self.timeout_s:g} s to "
                                  "parse (indexing.parse_timeout_s)")
            if watch.exceeded():
                self._kill()
                raise LoaderError("too-much-memory",
                                  f"{name} needs more memory to parse than the limit allows")
        if isinstance(result, EOFError):
            code = self._proc.wait(timeout=10) if self._proc else None
            self._kill()
            reason = "too-much-memory" if code in (-9, 137) else "crashed"
            raise LoaderError(reason, f"{name}: the parser stopped (exit code {code})")
        if result[0] == "fatal":  # MemoryError: the child exits after answering
            self._kill()
            result = ("error",) + tuple(result[1:])
        return result

    def close(self) -> None:
        with self._lock:
            proc = self._proc
            if proc is not None and proc.poll() is None and proc.stdin is not None:
                try:
                    _send(proc.stdin, None)
                    proc.wait(timeout=2)
                except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                    pass
            self._kill()

    def __del__(self) -> None:  # a forgotten close must not leave a child behind
        try:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
        except Exception:  # noqa: BLE001,S110 - interpreter shutdown
            pass


class _MemoryWatch:
    """Resident-memory check where RLIMIT_AS is not enforced (macOS, Windows)."""

    def __init__(self, pid: int, limit: int):
        self.proc: Any = None
        self.limit = limit
        if limit and not sys.platform.startswith("linux"):
            try:
                import psutil

                self.proc = psutil.Process(pid)
            except Exception:  # noqa: BLE001
                self.proc = None

    def exceeded(self) -> bool:
        if self.proc is None:
            return False
        try:
            return bool(self.proc.memory_info().rss > self.limit)
        except Exception:  # noqa: BLE001 - gone; the caller notices next
            return False


# The child ------------------------------------------------------------------------------


def _vm_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def serve(memory_bytes: int) -> None:
    # Keep the protocol stream to ourselves: stray prints from parsers go to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    inp = sys.stdin.buffer

    # Parsing is background work: at a lower CPU priority the window, the answer being
    # written and the embedder come first on a busy machine (a separate process, so this
    # cannot hold up the app's own threads the way a niced thread holding the GIL would).
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(PARSER_NICENESS)
    from assistant.core import loaders

    loaders.preload()
    if memory_bytes and sys.platform.startswith("linux"):
        import resource

        limit = _vm_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            message = _recv(inp)
        except (EOFError, OSError):
            return
        except MemoryError:  # the file alone does not fit in the allowed memory
            _send(out, ("fatal", "too-much-memory", "the file does not fit in the memory limit"))
            return
        if message is None:
            return
        path, data = message
        name = Path(path).name
        checkpoint("parsing")  # tests hold a parse here to stop the app meanwhile
        try:
            _send(out, ("ok", loaders.load(Path(path), data)))
        except LoaderError as exc:
            _send(out, ("error", exc.reason, str(exc)))
        except MemoryError:
            _send(out, ("fatal", "too-much-memory",
                        f"{name} needs more memory to parse than the limit allows"))
            return
        except RecursionError:
            _send(out, ("error", "corrupt", f"{name} is nested too deeply to parse"))
        except Exception as exc:  # noqa: BLE001 - any parser failure is this file's problem
            _send(out, ("error", "corrupt",
                        f"{name} cannot be parsed ({type(exc).__name__}: {exc})"))


def serve_if_child(argv: list[str]) -> bool:
    """In a frozen app: serve as the parser child when started as one (see CHILD_FLAG)."""
    if argv[:1] != [CHILD_FLAG]:
        return False
    serve(int(argv[1]) if len(argv) > 1 else 0)
    return True

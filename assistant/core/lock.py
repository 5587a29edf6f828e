"""One writer per data directory: a second process that wants to index gets a clear message
instead of corrupting the stores (Chroma and SQLite are not safe with two writers).

The lock belongs to the process, not to a thread: the writer lane takes it on one thread and
a background rebuild or the app's shutdown on another must see it held and be able to
release it (filelock's default is a thread-local lock, which reads as "held by another
process" from a second thread of the same process).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.core.errors import AssistantError


class DataDirBusyError(AssistantError):
    pass


class WriterLock:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.owner_file = data_dir / "writer.pid"
        self._lock = FileLock(str(data_dir / "writer.lock"), thread_local=False)

    def acquire(self) -> None:
        if self.held:
            return
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            owner = ""
            try:
                owner = self.owner_file.read_text().strip()
            except OSError:
                pass
            who = f" (pid {owner})" if owner else ""
            raise DataDirBusyError(
                f"another assistant process{who} is already indexing {self.data_dir}; "
                "wait for it to finish or stop it (only one process may write an index)"
            ) from None
        try:
            self.owner_file.write_text(f"{os.getpid()} {' '.join(sys.argv[:2])}\n")
        except OSError:
            pass

    @property
    def held(self) -> bool:
        return bool(self._lock.is_locked)

    def release(self) -> None:
        if self._lock.is_locked:
            try:
                self.owner_file.unlink(missing_ok=True)
            except OSError:
                pass
            self._lock.release(force=True)

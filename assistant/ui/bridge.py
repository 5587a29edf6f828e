"""The one bridge between the engine's threads and Qt: engine events become Qt signals.

- :class:`EventPump` turns callbacks from the engine's own threads (the writer lane, model
  loading) into a queued ``event`` signal, delivered on the GUI thread.
- :class:`StreamWorker` runs an engine iterator (an answer stream, a model fetch) on a pool
  thread and emits each item as it comes; ``cancel()`` is passed on to the stream, which stops
  between tokens.

Signals (both): ``event(object)`` for each engine event; :class:`StreamWorker` also emits
``failed(str)`` (a one-line reason) and ``finished()`` (always, last).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class EventPump(QObject):
    """Callable from any thread; emits ``event`` on the GUI thread (queued connection)."""

    event = Signal(object)

    def __call__(self, item: Any) -> None:
        self.event.emit(item)


class _StreamSignals(QObject):
    event = Signal(object)
    failed = Signal(str)
    finished = Signal()


class StreamWorker(QRunnable):
    """Iterates ``make()`` off the GUI thread. ``make`` is called on the pool thread, so a
    slow start (retrieval, a model load) never blocks the window either."""

    def __init__(self, make: Callable[[], Iterator[Any]]):
        super().__init__()
        self.setAutoDelete(False)  # the window keeps it until finished() to cancel it
        self.signals = _StreamSignals()
        self._make = make
        self._stream: Any = None
        self._cancelled = False

    def run(self) -> None:
        try:
            self._stream = self._make()
            if self._cancelled and hasattr(self._stream, "cancel"):
                self._stream.cancel()
            for item in self._stream:
                self.signals.event.emit(item)
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            message = str(exc) or type(exc).__name__
            self.signals.failed.emit(message)
        finally:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
            self._stream = None
            self.signals.finished.emit()

    def cancel(self) -> None:
        self._cancelled = True
        stream = self._stream
        if stream is not None and hasattr(stream, "cancel"):
            stream.cancel()

    def start(self, pool: QThreadPool | None = None) -> StreamWorker:
        (pool or QThreadPool.globalInstance()).start(self)
        return self

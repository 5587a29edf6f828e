"""The running engine as the window sees it: one Services, one writer lane, the conversations,
and the models loading in the background.

Nothing here waits on disk or on a model on the GUI thread: the writer lane has its own
thread, models load on a pool thread, answers run in a :class:`StreamWorker`. What they
report arrives as Qt signals through :mod:`assistant.ui.bridge`.

Signals:
    writer_event(object): every event of the writer lane (progress, batches, failures, state)
    model_state(object): a ModelState of the language model; embedder_ready(): the embedder
        is loaded
    error(str): something the user should know went wrong outside a request
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from assistant.config import Settings, load_settings, update_config_file
from assistant.core.errors import AssistantError, ModelMissingError
from assistant.core.types import FAILED, ModelState
from assistant.ui.bridge import EventPump, StreamWorker


class AppEngine(QObject):
    writer_event = Signal(object)
    model_state = Signal(object)
    embedder_ready = Signal()
    error = Signal(str)

    def __init__(self, settings: Settings | None = None, services: Any = None,
                 start_writer: bool = True):
        super().__init__()
        from assistant.services import Services

        self.services = services or Services(settings or load_settings())
        self.settings = self.services.settings
        self._writer_pump = EventPump(self)
        self._writer_pump.event.connect(self.writer_event)
        self._model_pump = EventPump(self)
        self._model_pump.event.connect(self._on_model_state)
        self._embedder_pump = EventPump(self)
        self._embedder_pump.event.connect(lambda _: self.embedder_ready.emit())
        self.writer: Any = None
        self.read_only = ""  # why indexing is off (another process holds the data dir)
        self.model_status: ModelState | None = None
        self.embedder_loaded = False
        self._closed = False
        self._parser: Any = None
        self._parser_lock = threading.Lock()
        if start_writer:
            self.start_writer()

    # Parts -----------------------------------------------------------------------

    @property
    def conversations(self) -> Any:
        return self.services.conversations

    @property
    def model_present(self) -> bool:
        """A model to answer with: a GGUF file here, or a model server (checked on load)."""
        return self.settings.llm.backend != "local" or self.settings.model_path.is_file()

    def start_writer(self) -> None:
        from assistant.core.lock import DataDirBusyError

        writer = self.services.writer()
        writer.subscribe(self._writer_pump)
        try:
            writer.start()
        except DataDirBusyError as exc:
            self.read_only = str(exc)
            self.error.emit(f"Indexing is off: {exc}")
            return
        self.writer = writer
        self.services.running_writer = writer  # terminal commands served by the app use it

    def preload(self) -> None:
        """Load the embedder, then the language model, on a background thread."""
        def load() -> None:
            try:
                self.services.embedder.model  # noqa: B018 - loads it
                self.embedder_loaded = True
                self._embedder_pump(None)
            except Exception as exc:  # noqa: BLE001 - shown in the status line
                self._model_pump(ModelState(FAILED, "embedding model", str(exc)))
                return
            if self.model_present and not self._closed:
                try:
                    generator = self.generator()
                    generator.load()
                except (AssistantError, OSError) as exc:
                    self._model_pump(ModelState(FAILED, self.settings.model_label,
                                                str(exc)))

        threading.Thread(target=load, name="assistant-preload", daemon=True).start()

    def generator(self) -> Any:
        generator = self.services.generator
        if self._model_pump not in generator._listeners:
            generator.add_listener(self._model_pump)
        return generator

    def _on_model_state(self, state: ModelState) -> None:
        self.model_status = state
        self.model_state.emit(state)

    # Requests ----------------------------------------------------------------------

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> StreamWorker:
        """Start an answer on a pool thread; its events arrive as the worker's signals."""
        if not self.model_present:
            raise ModelMissingError(
                "no language model yet: download the default model or choose a GGUF file "
                "in Settings")
        self.generator()
        answerer = self.services.answerer
        return StreamWorker(lambda: answerer.answer(question, history))

    def index(self, paths: list[Path]) -> None:
        """Dropped files are indexed; dropped folders are watched (kept indexed)."""
        if self.writer is None:
            raise AssistantError(self.read_only or "indexing is not running")
        folders = [p for p in paths if p.is_dir()]
        files = [p for p in paths if not p.is_dir()]
        if files:
            self.writer.index(files)
        if folders:
            self.writer.watch(folders)

    def reload_settings(self, new_key: bool = False) -> list[str]:
        """Apply config.toml after the settings dialog saved it (``new_key``: and a new API
        key went to the keychain). Returns what happened, in the user's words (e.g. a
        rebuild started, the model will load on the next question)."""
        fresh = load_settings()
        notes = []
        services = self.services
        if services.reload_settings(fresh) and self.writer is not None:
            self.writer.rebuild()
            notes.append("The index is being rebuilt for the new passage settings; the "
                         "current one answers until it is ready.")
        old = self.settings
        llm_changed = fresh.llm.model_dump() != old.llm.model_dump() or (
            new_key and fresh.llm.backend == "openai")
        old.retrieval = fresh.retrieval
        old.indexing = fresh.indexing
        old.desktop = fresh.desktop
        services.rules.set_patterns(list(fresh.indexing.ignore_patterns))
        services.rules.follow_links = fresh.indexing.follow_links
        if llm_changed:
            old.llm = fresh.llm
            previous = services.__dict__.pop("generator", None)
            services.__dict__.pop("answerer", None)
            if previous is not None and previous is not services._borrowed_generator:
                threading.Thread(target=previous.close, daemon=True).start()
            if self.model_present:
                notes.append(f"Loading {old.model_label}…")
                self.preload()
        elif "answerer" in services.__dict__:
            a = services.answerer
            a.top_k = fresh.retrieval.top_k
            a.max_answer_tokens = fresh.llm.max_answer_tokens
        if self.writer is not None:
            wanted = [str(Path(f)) for f in fresh.watch.folders]
            added = [f for f in wanted if f not in self.writer.folders]
            removed = [f for f in self.writer.folders if f not in wanted]
            if added:
                self.writer.watch(added)
            if removed:
                self.writer.unwatch(removed)
        return notes

    def parse(self, path: str) -> Any:
        """The text the index was built from (for the document viewer), parsed in the
        isolated parser process like indexing does; call it off the GUI thread."""
        from assistant.core.errors import read_error
        from assistant.core.parsing import ParserProcess

        with self._parser_lock:
            if self._parser is None:
                i = self.settings.indexing
                self._parser = ParserProcess(i.parse_timeout_s, i.parse_memory_mb)
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise read_error(exc, Path(path).name) from exc
            return self._parser.parse(path, data)

    def save_setting(self, section: str, key: str, value: Any) -> None:
        update_config_file(section, key, value)

    def close(self, timeout: float = 4.0, ending: bool = False) -> bool:
        """Stop everything within about ``timeout`` seconds: the writer finishes or safely
        stops its batch, a running answer is stopped, the stores are closed.

        ``ending``: the process ends next (Quit, logout). Then this returns False, closing
        nothing, as soon as the writer is inside a step that writes nothing (an embedding
        batch, the model's import) or has not stopped in time; the caller ends the process
        with :func:`assistant.exiting.leave`, which is as safe as a crash at that moment."""
        if self._closed:
            return True
        self._closed = True
        if self.writer is not None and not self.writer.stop(timeout, leave_if_quiet=ending):
            if ending and self.writer.running:
                return False
        if self._parser is not None:
            self._parser.close()
        self.services.close()
        return True

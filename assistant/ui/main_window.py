"""The main window: conversations on the left, the chat in the middle, the sources and the
document viewer on the right, indexing progress and the model's state at the bottom.

Files and folders dropped anywhere on it are handed to the writer lane at once (the window
never waits for indexing); dropped folders are kept indexed. Keyboard: Enter sends,
Shift+Enter starts a new line, Esc stops an answer, Ctrl+N new chat, Ctrl+K the question box,
Ctrl+F find in the conversation, Ctrl+, settings, Ctrl+L the library.

Signals:
    answer_finished(object): an AnswerCard got its final verdict (tests, the tray)
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.errors import AssistantError
from assistant.core.indexer import RepairReport
from assistant.core.types import (
    AnswerDone,
    FileFailed,
    IndexProgress,
    IndexSummary,
    ModelState,
    RebuildDone,
    RebuildProgress,
    RebuildStarted,
    RequestDone,
    SourcesFound,
    TokenStreamed,
    WriterState,
)
from assistant.core.watcher import BatchDone
from assistant.ui import theme
from assistant.ui.chat_view import AnswerCard, ChatView
from assistant.ui.conversation_list import ConversationList
from assistant.ui.document_viewer import DocumentViewer
from assistant.ui.library_view import LibraryView
from assistant.ui.settings_dialog import SettingsDialog
from assistant.ui.sources_panel import SourcesPanel
from assistant.ui.untrusted import plain, warn

UNDO_MS = 8000


class QuestionBox(QPlainTextEdit):
    """Enter sends; Shift+Enter is a new line. Drops go to the window, not into the text."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText(self.tr("Ask about your documents…  (Enter sends, "
                                        "Shift+Enter: new line)"))
        self.setAcceptDrops(False)
        self.setTabChangesFocus(True)
        self.setFixedHeight(64)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class IndexingStatus(QWidget):
    """Status-bar progress of the writer lane: files, current file, speed, time left."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = plain(QLabel())  # it shows file names
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.pause = QToolButton()
        self.pause.setText(self.tr("Pause"))
        self.pause.setCheckable(True)
        self.cancel = QToolButton()
        self.cancel.setText(self.tr("Cancel"))
        self.cancel.setToolTip(self.tr("Stop this indexing run (what is done is kept)"))
        for w in (self.label, self.bar, self.pause, self.cancel):
            layout.addWidget(w)
        self.hide()

    def show_progress(self, p: IndexProgress, label: str = "") -> None:
        self.bar.setMaximum(max(1, p.files_total))
        self.bar.setValue(p.files_done)
        eta = self.tr(", about {time} left").format(time=_duration(p.eta_s)) if p.eta_s else ""
        current = f" · {Path(p.current).name}" if p.current else ""
        speed = self.tr("{n} passages/s").format(n=f"{p.chunks_per_s:.0f}")
        label = label or self.tr("Indexing")
        self.label.setText(f"{label} {p.files_done}/{p.files_total}{current} · {speed}{eta}")
        self.show()


def _default_size() -> str:
    from assistant.model_fetch import CATALOG, DEFAULT_KEY

    return f"{CATALOG[DEFAULT_KEY].size / 1e6:.0f} MB"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 90:
        return QCoreApplication.translate("MainWindow", "{n} s").format(n=max(1, round(seconds)))
    if seconds < 5400:
        return QCoreApplication.translate("MainWindow", "{n} min").format(n=round(seconds / 60))
    return QCoreApplication.translate("MainWindow", "{n} h").format(n=f"{seconds / 3600:.1f}")


def _count(n: int, one: str, many: str) -> str:
    """``one`` when n is 1, else ``many`` with {n} filled in (both already translated)."""
    return one if n == 1 else many.format(n=n)


class MainWindow(QMainWindow):
    answer_finished = Signal(object)

    def __init__(self, engine: Any):
        super().__init__()
        self.engine = engine
        self.setWindowTitle(self.tr("Assistant"))
        self.setWindowIcon(theme.app_icon())
        self.setAcceptDrops(True)
        self.conversation_id: int | None = None
        self.worker: Any = None
        self._running: set[Any] = set()
        self.card: AnswerCard | None = None
        self._undo: tuple[int, float] | None = None
        self._current_request: Any = None
        self.library: LibraryView | None = None
        self.quick: Any = None
        self.instance: Any = None
        self._quitting = False
        self._announce: set[str] = set()  # folders whose first scan gets a notification
        self._build()
        self._actions()
        self._connect_engine()
        self._build_tray()
        self._build_shortcut()
        self._restore_view_state()
        self.refresh_conversations()
        self._update_first_run()

    # Layout ----------------------------------------------------------------------

    def _build(self) -> None:
        self.conversations = ConversationList()
        self.conversations.chosen.connect(self.open_conversation)
        self.conversations.new_requested.connect(self.new_chat)
        self.conversations.rename_requested.connect(self._rename)
        self.conversations.delete_requested.connect(self.delete_conversation)
        self.conversations.search_changed.connect(self.refresh_conversations)

        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.banner = QWidget()
        banner = QHBoxLayout(self.banner)
        banner.setContentsMargins(12, 8, 12, 8)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextFormat(Qt.TextFormat.RichText)
        self.fetch_button = QPushButton(self.tr("Download the default model ({size})").format(
            size=_default_size()))
        self.fetch_button.clicked.connect(self.fetch_model)
        self.choose_model_button = QPushButton(self.tr("Choose a model file…"))
        self.choose_model_button.clicked.connect(self.choose_model)
        self.fetch_progress = QProgressBar()
        self.fetch_progress.setMaximumWidth(140)
        self.fetch_progress.hide()
        banner.addWidget(self.banner_text, 1)
        banner.addWidget(self.fetch_progress)
        banner.addWidget(self.fetch_button)
        banner.addWidget(self.choose_model_button)
        self.banner.hide()
        column.addWidget(self.banner)
        self.find_bar = QWidget()
        find = QHBoxLayout(self.find_bar)
        find.setContentsMargins(12, 4, 12, 4)
        self.find_edit = QLineEdit()
        self.find_edit.setPlaceholderText(self.tr("Find in this conversation"))
        self.find_edit.textChanged.connect(lambda t: self._find(False))
        self.find_edit.returnPressed.connect(lambda: self._find(False))
        self.find_count = QLabel()
        close_find = QToolButton()
        close_find.setText("✕")
        close_find.clicked.connect(self._close_find)
        find.addWidget(self.find_edit, 1)
        find.addWidget(self.find_count)
        find.addWidget(close_find)
        self.find_bar.hide()
        column.addWidget(self.find_bar)
        self.chat = ChatView()
        self.chat.citation_clicked.connect(self.open_citation)
        self.chat.answer_selected.connect(self._answer_selected)
        self.chat.regenerate_requested.connect(self.regenerate)
        self.chat.empty.add_folder.connect(self.add_folder)
        column.addWidget(self.chat, 1)
        ask = QHBoxLayout()
        ask.setContentsMargins(12, 8, 12, 12)
        self.question = QuestionBox()
        self.question.submitted.connect(self.send)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send_or_stop)
        ask.addWidget(self.question, 1)
        ask.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        column.addLayout(ask)

        self.sources = SourcesPanel()
        self.sources.open_requested.connect(self.open_source)
        self.viewer = DocumentViewer(self.engine.parse)
        self.side = QTabWidget()
        self.side.addTab(self.sources, self.tr("Sources"))
        self.side.addTab(self.viewer, self.tr("Document"))

        self.splitter = QSplitter()
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([220, 620, 420])
        self.setCentralWidget(self.splitter)

        self.model_label = plain(QLabel())  # a model's file name, a load error
        self.indexing = IndexingStatus()
        self.indexing.pause.toggled.connect(self.set_paused)
        self.indexing.cancel.clicked.connect(self._cancel_indexing)
        self.statusBar().addWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.indexing)
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setFlat(True)
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_button.hide()
        self.statusBar().addPermanentWidget(self.undo_button)
        self.resize(1280, 800)

    def _actions(self) -> None:
        def action(text: str, shortcut: Any, slot: Any, menu: Any) -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        bar = self.menuBar()
        file = bar.addMenu(self.tr("&File"))
        self.new_action = action(self.tr("New chat"), "Ctrl+N", self.new_chat, file)
        action(self.tr("Add folder…"), None, self.add_folder, file)
        action(self.tr("Add files…"), None, self.add_files, file)
        file.addSeparator()
        self.quit_action = action(self.tr("Quit"), QKeySequence.StandardKey.Quit,
                                  self.quit_app, file)
        edit = bar.addMenu(self.tr("&Edit"))
        action(self.tr("Ask a question"), "Ctrl+K", self.focus_question, edit)
        action(self.tr("Find in conversation"), QKeySequence.StandardKey.Find, self.show_find,
               edit)
        action(self.tr("Settings…"), "Ctrl+,", self.open_settings, edit)
        view = bar.addMenu(self.tr("&View"))
        action(self.tr("Library"), "Ctrl+L", self.show_library, view)
        action(self.tr("Sources"), None, lambda: self.side.setCurrentWidget(self.sources), view)
        action(self.tr("Document"), None, lambda: self.side.setCurrentWidget(self.viewer), view)
        self.stop_action = QAction(self.tr("Stop"), self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.triggered.connect(self.stop)
        self.addAction(self.stop_action)

    def _connect_engine(self) -> None:
        self.engine.writer_event.connect(self._writer_event)
        self.engine.model_state.connect(self._model_state)
        self.engine.embedder_ready.connect(self._update_first_run)
        self.engine.error.connect(lambda m: self.statusBar().showMessage(m, 15000))
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(250)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.timeout.connect(self._show_progress)
        self._last_progress: tuple[IndexProgress, str] | None = None

    @staticmethod
    def _view_settings() -> QSettings:
        """Window geometry and view state, beside config.toml (ASSISTANT_HOME moves both)."""
        from assistant import paths

        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    # Tray and quick questions ---------------------------------------------------------

    def _build_tray(self) -> None:
        from assistant.ui import tray

        self.tray = tray.Tray(self) if tray.available() else None
        if self.tray is None:
            return
        self.tray.ask_requested.connect(self.show_quick_ask)
        self.tray.open_requested.connect(lambda: self.bring_up([]))
        self.tray.pause_toggled.connect(self.set_paused)
        self.tray.quit_requested.connect(self.quit_app)
        self.tray.show()

    def _build_shortcut(self) -> None:
        from assistant.ui.shortcut import GlobalShortcut

        self.shortcut = GlobalShortcut(self)
        self.shortcut.activated.connect(self.show_quick_ask)
        self.apply_shortcut()

    def apply_shortcut(self) -> None:
        """(Re)register the quick-ask shortcut as the settings say (never when it is off)."""
        desktop = self.engine.settings.desktop
        self.shortcut.apply(desktop.shortcut_enabled, desktop.shortcut)

    def show_quick_ask(self) -> Any:
        """The quick-ask popup, near the cursor (same engine, same models)."""
        if self.quick is None:
            from assistant.ui.quick_ask import QuickAsk

            self.quick = QuickAsk(self.engine)
            self.quick.open_source.connect(lambda s: (self.bring_up([]), self.open_source(s)))
            self.quick.continue_requested.connect(self.continue_exchange)
        self.quick.popup()
        return self.quick

    def continue_exchange(self, card: AnswerCard) -> None:
        """A quick question carried into a conversation of the main window."""
        from assistant.core.conversations import title_from

        store = self.engine.conversations
        conversation = store.create(title_from(card.question))
        store.add(conversation, "user", card.question)
        if card.done is not None:
            store.add(conversation, "assistant", str(card.done.get("answer", "")),
                      {"done": card.done, "passages": card.passages, "draft": card.draft})
        self.refresh_conversations()
        self.bring_up([])
        self.open_conversation(conversation)
        self.focus_question()

    def bring_up(self, paths: list[Path]) -> None:
        """Show the window in front (a second launch, the tray); add the paths it got."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        if paths:
            self.add_paths(paths)

    def quit_app(self) -> None:
        """Quit for real (tray menu, Ctrl+Q): the app closes the engine within seconds."""
        self._quitting = True
        if self.quick is not None:
            self.quick.dismiss()
        self.close()

    def _restore_view_state(self) -> None:
        s = self._view_settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def save_view_state(self) -> None:
        s = self._view_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.sync()  # written now: a quit during an embedding batch ends the process at once

    # First run -------------------------------------------------------------------

    def _update_first_run(self) -> None:
        c = theme.colors()
        if not self.engine.model_present:
            self.banner.setStyleSheet(f"background: {c.missing_bg};")
            self.banner_text.setText(
                f'<span style="color:{c.text}"><b>' +
                html.escape(self.tr("No language model yet.")) + "</b> " + html.escape(self.tr(
                    "Answers are written by a model that runs on this computer. Download the "
                    "default one ({size}, checked by its sha256) or choose a GGUF file you have "
                    "(or use a model server: Settings, Model). Search and sources work "
                    "meanwhile.").format(size=_default_size())) + "</span>")
            self.banner.show()
        else:
            self.banner.hide()
        try:
            files = self.engine.services.catalog.counts()["files"]
        except Exception:  # noqa: BLE001 - an unreadable index still shows the window
            files = 0
        self.chat.empty.set_has_documents(files > 0, files)

    def fetch_model(self) -> None:
        from assistant.model_fetch import CATALOG, DEFAULT_KEY, fetch
        from assistant.ui.bridge import StreamWorker

        entry = CATALOG[DEFAULT_KEY]
        dest = self.engine.settings.models_path
        self.fetch_button.setEnabled(False)
        self.fetch_progress.setRange(0, 0)
        self.fetch_progress.show()

        def run() -> Any:
            import queue
            import threading

            lines: queue.Queue[Any] = queue.Queue()
            done = object()

            def work() -> None:
                try:
                    fetch(entry, dest, log=lines.put)
                except Exception as exc:  # noqa: BLE001
                    lines.put(exc)
                lines.put(done)

            threading.Thread(target=work, daemon=True).start()
            while (item := lines.get()) is not done:
                if isinstance(item, Exception):
                    raise item
                yield item

        worker = StreamWorker(run)
        worker.signals.event.connect(lambda line: self.statusBar().showMessage(str(line)))
        worker.signals.failed.connect(self._fetch_failed)
        worker.signals.finished.connect(self._fetch_finished)
        self._fetch_worker = worker.start()

    def _fetch_failed(self, message: str) -> None:
        warn(self, self.tr("Download failed"), self.tr(
            "The model could not be downloaded: {reason}\n\nYou can choose a GGUF file you "
            "already have.").format(reason=message))

    def _fetch_finished(self) -> None:
        self.fetch_progress.hide()
        self.fetch_button.setEnabled(True)
        if self.engine.model_present:
            self.statusBar().showMessage(self.tr("Model downloaded; loading it…"), 8000)
            self.engine.preload()
        self._update_first_run()

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a GGUF model"),
                                              str(Path.home()),
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self.engine.save_setting("llm", "model", path)
            self._apply_settings()

    # Conversations ---------------------------------------------------------------

    def refresh_conversations(self) -> None:
        found = self.engine.conversations.list(self.conversations.search.text())
        self.conversations.fill(found, self.conversation_id)

    def new_chat(self) -> None:
        if self.worker is not None:
            self.stop()
        self.conversation_id = None
        self.chat.clear()
        self.sources.show_answer(None)
        self.conversations.list.clearSelection()
        self._update_first_run()
        self.focus_question()

    def open_conversation(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id:
            return
        if self.worker is not None:
            self.stop()
        self.conversation_id = conversation_id
        self.chat.clear()
        question = ""
        for m in self.engine.conversations.messages(conversation_id):
            if m.role == "user":
                question = m.text
                self.chat.add_user(m.text)
            else:
                card = self.chat.add_answer(question)
                card.message_id = m.id
                card.passages = m.data.get("passages", [])
                if m.data.get("error"):
                    card.fail(m.data["error"])
                else:
                    card.draft = m.data.get("draft", "")
                    card.finish(m.data.get("done") or {"answer": m.text, "citations": []})
        answers = self.chat.answers()
        self.sources.show_answer(answers[-1] if answers else None)

    def _rename(self, conversation_id: int, title: str) -> None:
        self.engine.conversations.rename(conversation_id, title)
        self.refresh_conversations()

    def delete_conversation(self, conversation_id: int) -> None:
        self.engine.conversations.delete(conversation_id)
        if conversation_id == self.conversation_id:
            self.new_chat()
        self.refresh_conversations()
        self._undo = (conversation_id, time.monotonic())
        self.statusBar().showMessage(self.tr("Conversation deleted."), UNDO_MS)
        self.undo_button.show()
        QTimer.singleShot(UNDO_MS, self._undo_expired)

    def undo_delete(self) -> None:
        if self._undo is not None:
            self.engine.conversations.restore(self._undo[0])
            self._undo = None
            self.undo_button.hide()
            self.statusBar().showMessage(self.tr("Conversation restored."), 3000)
            self.refresh_conversations()

    def _undo_expired(self) -> None:
        if self._undo is not None and time.monotonic() - self._undo[1] >= UNDO_MS / 1000 - 0.1:
            self.undo_button.hide()
            self._undo = None

    # Asking ----------------------------------------------------------------------

    def focus_question(self) -> None:
        self.question.setFocus()
        self.activateWindow()

    def _send_or_stop(self) -> None:
        if self.worker is not None:
            self.stop()
        else:
            self.send()

    def send(self) -> None:
        text = self.question.toPlainText().strip()
        if not text or self.worker is not None:
            return
        self.question.clear()
        self.ask(text)

    def _history(self, before: AnswerCard | None = None) -> list[tuple[str, str]]:
        pairs = []
        for card in self.chat.answers():
            if card is before:
                break
            if card.done and not card.done.get("abstained") and not card.error:
                pairs.append((card.question, card.answer_text()))
        return pairs[-3:]

    def ask(self, question: str) -> AnswerCard:
        store = self.engine.conversations
        if self.conversation_id is None:
            from assistant.core.conversations import title_from

            self.conversation_id = store.create(title_from(question))
        history = self._history()
        store.add(self.conversation_id, "user", question)
        self.chat.add_user(question)
        card = self.chat.add_answer(question)
        self.refresh_conversations()
        self._start(card, history)
        return card

    def _start(self, card: AnswerCard, history: list[tuple[str, str]]) -> None:
        card.start()
        self.card = card
        try:
            worker = self.engine.ask(card.question, history)
        except AssistantError as exc:
            self._failed(card, str(exc))
            return
        worker.signals.event.connect(lambda e, c=card: self._answer_event(c, e))
        worker.signals.failed.connect(lambda m, c=card: self._failed(c, m))
        worker.signals.finished.connect(lambda w=worker: (self._answer_over(w),
                                                          self._running.discard(w)))
        self._running.add(worker)  # kept alive until its thread is done with it
        self.worker = worker
        self.send_button.setText(self.tr("Stop"))
        self.send_button.setToolTip(self.tr("Stop the answer (Esc)"))
        worker.start()

    def _answer_event(self, card: AnswerCard, event: Any) -> None:
        if isinstance(event, SourcesFound):
            card.set_sources([p.to_json(i) for i, p in enumerate(event.passages, start=1)])
            if self.chat.selected is card:
                self.sources.show_answer(card)
        elif isinstance(event, ModelState):
            if event.state == "loading":
                card.model_loading(event.model)
        elif isinstance(event, TokenStreamed):
            card.append(event.text)
        elif isinstance(event, AnswerDone):
            done = event.to_json()
            card.finish(done)
            data = {"done": done, "passages": card.passages, "draft": event.draft}
            if self.conversation_id is not None:
                card.message_id = self.engine.conversations.add(
                    self.conversation_id, "assistant", event.answer, data)
            if self.chat.selected is card:
                self.sources.show_answer(card)
            self._answer_over(self.worker)
            self.answer_finished.emit(card)

    def _failed(self, card: AnswerCard, message: str) -> None:
        card.fail(message)
        if self.conversation_id is not None:
            card.message_id = self.engine.conversations.add(
                self.conversation_id, "assistant", "", {"error": message})
        self._answer_over(self.worker)
        self.answer_finished.emit(card)
        if "model" in message.lower():
            self._update_first_run()

    def _answer_over(self, worker: Any) -> None:
        """The answer is complete (or its worker ended): the next question can be asked."""
        if worker is not self.worker or worker is None:
            return
        self.worker = None
        self.card = None
        self.send_button.setText(self.tr("Send"))
        self.send_button.setToolTip("")

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def regenerate(self, card: AnswerCard) -> None:
        if self.worker is not None or card is not self.chat.answers()[-1]:
            self.statusBar().showMessage(self.tr("Only the last answer can be written again."),
                                         4000)
            return
        if card.message_id is not None:
            self.engine.conversations.delete_from(card.message_id)
        question = card.question
        history = self._history(before=card)
        holder = card.parentWidget()
        self.chat.cards.remove(card)
        holder.setParent(None)
        holder.deleteLater()
        new = self.chat.add_answer(question)
        self._start(new, history)

    # Sources and documents ---------------------------------------------------------

    def _answer_selected(self, card: AnswerCard) -> None:
        self.sources.show_answer(card)

    def open_citation(self, card: AnswerCard, n: int) -> None:
        self.chat.select(card)
        source = self.sources.source_for_citation(n)
        if source is not None:
            self.open_source(source)

    def open_source(self, source: dict[str, Any]) -> None:
        self.side.setCurrentWidget(self.viewer)
        source = self._on_disk(source)
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total and sizes[2] < total * 0.42:  # a page needs room to be read
            side = int(total * 0.45)
            left = min(sizes[0], 200)
            self.splitter.setSizes([left, total - side - left, side])
        self.viewer.open_source(source)

    def _on_disk(self, source: dict[str, Any]) -> dict[str, Any]:
        """A passage names its file by the catalog's key, which for a name with bytes that are
        not UTF-8 is an escape (``caf\\xff.txt``), and may even be another file's real name:
        open the file the key stands for."""
        try:
            record = self.engine.services.catalog.file_by_key(str(source["path"]))
        except Exception:  # noqa: BLE001 - an unreadable index: the key is the best guess
            record = None
        return dict(source, path=record.path) if record and record.path != source["path"] \
            else source

    # Finding ---------------------------------------------------------------------

    def show_find(self) -> None:
        self.find_bar.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def _find(self, backward: bool) -> None:
        at, total = self.chat.find(self.find_edit.text(), backward)
        self.find_count.setText(self.tr("{at} of {total}").format(at=at, total=total) if total
                                else (self.tr("no match") if self.find_edit.text() else ""))

    def _close_find(self) -> None:
        self.chat.find("")
        self.find_bar.hide()

    # Indexing --------------------------------------------------------------------

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def add_paths(self, paths: list[Path]) -> None:
        """Hand paths to the writer lane and return at once."""
        from assistant.core.scanner import absolute

        try:
            self.engine.index(paths)
        except AssistantError as exc:
            warn(self, self.tr("Can't index"), str(exc))
            return
        # a folder's first scan is a run the user started: it gets its notification
        self._announce |= {str(absolute(p)) for p in paths if p.is_dir()}
        folders = sum(1 for p in paths if p.is_dir())
        files = len(paths) - folders
        what = self.tr(", ").join(x for x in (
            _count(files, self.tr("1 file"), self.tr("{n} files")) if files else "",
            _count(folders, self.tr("1 folder"), self.tr("{n} folders")) if folders else "")
            if x)
        self.statusBar().showMessage(self.tr("Adding {what}…").format(what=what), 5000)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Keep a folder indexed"))
        if folder:
            self.add_paths([Path(folder)])

    def add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add files"))
        if files:
            self.add_paths([Path(f) for f in files])

    def set_paused(self, paused: bool) -> None:
        writer = self.engine.writer
        if writer is None:
            return
        writer.pause() if paused else writer.resume()
        if self.tray is not None:
            self.tray.set_paused(paused)
        self.indexing.pause.blockSignals(True)
        self.indexing.pause.setChecked(paused)
        self.indexing.pause.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.indexing.pause.blockSignals(False)
        if self.library is not None:
            self.library.set_paused(paused)

    def _cancel_indexing(self) -> None:
        writer = self.engine.writer
        if writer is not None and writer._current is not None:
            writer._current.cancel()

    def _writer_event(self, event: Any) -> None:
        if isinstance(event, IndexProgress):
            self._last_progress = (event, self.tr("Indexing"))
            if not self._progress_timer.isActive():
                self._progress_timer.start()
            if self.library is not None:
                self.library.current_file = event.current
        elif isinstance(event, RebuildProgress):
            self._last_progress = (event.progress, self.tr("Rebuilding the index"))
            if not self._progress_timer.isActive():
                self._progress_timer.start()
        elif isinstance(event, RebuildStarted):
            self.statusBar().showMessage(self.tr(
                "Settings changed: building a new index ({files} files, about {time}); the "
                "current one answers meanwhile.").format(
                    files=event.files, time=_duration(event.seconds_estimate)), 10000)
        elif isinstance(event, RebuildDone):
            self.statusBar().showMessage(self.tr("The rebuilt index is now the one answering."),
                                         8000)
        elif isinstance(event, FileFailed):
            self._failures = getattr(self, "_failures", 0) + 1
        elif isinstance(event, IndexSummary | BatchDone | RequestDone):
            self._run_finished(event)
            self._notify_run(event)
        elif isinstance(event, WriterState):
            if self.tray is not None:
                state = {"indexing": "indexing", "paused": "paused",
                         "failed": "error"}.get(event.state, "idle")
                self.tray.set_state(state, {
                    "indexing": self.tr("Indexing…"), "paused": self.tr("Indexing paused"),
                    "failed": self.tr("Indexing stopped: {reason}").format(reason=event.detail),
                }.get(event.state, self.tr("Up to date")))
            if event.state in ("idle", "stopped"):
                self.indexing.hide()
                self._last_progress = None
            elif event.state == "paused":
                self.indexing.label.setText(self.tr("Indexing paused"))
                self.indexing.show()
            elif event.state == "failed":
                self.statusBar().showMessage(
                    self.tr("Indexing stopped: {reason}").format(reason=event.detail), 20000)
        elif isinstance(event, RepairReport) and event.changed:
            self.statusBar().showMessage(
                self.tr("Repaired the index after an interrupted run."), 8000)

    def _show_progress(self) -> None:
        if self._last_progress is not None:
            self.indexing.show_progress(*self._last_progress)
            if self.tray is not None:
                p, _ = self._last_progress
                left = p.files_total - p.files_done
                eta = (self.tr(", about {time} left").format(time=_duration(p.eta_s))
                       if p.eta_s else "")
                self.tray.set_state("indexing", self.tr("Indexing: {n} files left{eta}").format(
                    n=left, eta=eta))

    def _notify_run(self, event: Any) -> None:
        """One tray notification per indexing run the user started (a drop, a folder's first
        scan, `assistant index`) and for any run with failures; never one per file."""
        started = False
        if isinstance(event, BatchDone):  # a full scan (reconcile) covers every folder
            covered = set(self._announce) if event.reconcile else set(event.paths)
            started = bool(self._announce & covered)
            self._announce -= covered
        elif isinstance(event, RequestDone):
            started = event.kind in ("index", "retry") and event.summary is not None
        if self.tray is None or self.isActiveWindow():
            return
        s = event.summary if isinstance(event, BatchDone | RequestDone) else None
        if s is None:
            return
        if started:
            text = (self.tr("{added} added, {updated} updated").format(added=s.added,
                                                                        updated=s.updated)
                    + (self.tr(", {n} could not be read (see the Library)").format(n=s.failed)
                       if s.failed else ""))
            self.tray.notify(self.tr("Indexing finished"), text, error=bool(s.failed))
        elif isinstance(event, BatchDone) and s.failed:
            self.tray.notify(self.tr("Some files could not be read"),
                             self.tr("{n} file(s): see the Library").format(n=s.failed),
                             error=True)

    def _run_finished(self, event: Any) -> None:
        summary = event.summary if isinstance(event, BatchDone | RequestDone) else event
        if isinstance(event, RequestDone) and event.error:
            self.statusBar().showMessage(
                self.tr("Could not index: {reason}").format(reason=event.error), 15000)
        if summary is not None and (summary.added or summary.updated or summary.removed or
                                    summary.failed):
            parts = [w.format(n=n) for n, w in (
                (summary.added, self.tr("{n} added")), (summary.updated, self.tr("{n} updated")),
                (summary.removed, self.tr("{n} removed")),
                (summary.failed, self.tr("{n} could not be read"))) if n]
            self.statusBar().showMessage(
                self.tr("Indexed: {parts}").format(parts=self.tr(", ").join(parts)) +
                (self.tr(" — see the Library") if summary.failed else ""), 10000)
        self._update_first_run()
        if self.library is not None:
            self.library.set_folders(list(self.engine.writer.folders) if self.engine.writer
                                     else [])
            self.library.refresh_soon()

    def show_library(self) -> LibraryView:
        if self.library is None:
            self.library = LibraryView(lambda: self.engine.services.catalog)
            self.library.setWindowFlag(Qt.WindowType.Window)
            self.library.setParent(self, Qt.WindowType.Window)
            self.library.add_folder_requested.connect(self.add_folder)
            self.library.remove_folders_requested.connect(self._unwatch)
            self.library.rescan_requested.connect(self._rescan)
            self.library.retry_requested.connect(self._retry)
            self.library.forget_requested.connect(self._forget)
            self.library.pause_toggled.connect(self.set_paused)
        writer = self.engine.writer
        self.library.set_folders(list(writer.folders) if writer else [])
        self.library.set_paused(bool(writer and writer.paused))
        self.library.refresh()
        self.library.show()
        self.library.raise_()
        return self.library

    def _writer_call(self, name: str, *args: Any) -> Any:
        writer = self.engine.writer
        if writer is None:
            warn(self, self.tr("Indexing is off"), self.engine.read_only or
                 self.tr("Indexing is not running."))
            return None
        return getattr(writer, name)(*args)

    def _unwatch(self, folders: list[str]) -> None:
        self._writer_call("unwatch", folders)

    def _rescan(self) -> None:
        self._writer_call("rescan")

    def _retry(self, paths: list[str]) -> None:
        self._writer_call("retry_failed", paths or None)

    def _forget(self, paths: list[str]) -> None:
        self._writer_call("forget", paths)

    # Model and settings ------------------------------------------------------------

    def _model_state(self, state: ModelState) -> None:
        if state.state == "loading":
            self.model_label.setText(self.tr("Loading model {name}…").format(name=state.model))
        elif state.state == "ready":
            self.model_label.setText(self.tr("Model: {name}").format(name=state.model) + (
                f" ({state.reason})" if state.reason else ""))
            if state.reason:  # e.g. the GPU could not be used: said once, in the status bar
                self.statusBar().showMessage(f"{state.model}: {state.reason}.", 15000)
        elif state.state == "failed":
            self.model_label.setText(
                self.tr("Model not loaded: {reason}").format(reason=state.reason))

    def open_settings(self) -> None:
        from assistant.ui import tray

        dialog = SettingsDialog(self.engine.settings, parent=self,
                                tray_note="" if tray.available() else tray.why_unavailable(),
                                shortcut_status=self.shortcut.status)
        if not dialog.exec():
            return
        notes: list[str] = []
        if dialog.autostart_wanted is not None:
            notes.append(self.set_autostart(dialog.autostart_wanted))
        if dialog.language_changed:
            notes.append(self.tr("The window's language changes at the next start."))
        if dialog.changes or dialog.key_saved:
            for (section, key), value in dialog.changes.items():
                self.engine.save_setting(section, key, value)
            self._apply_settings(new_key=dialog.key_saved)
            if any(section == "desktop" for section, _ in dialog.changes):
                self.apply_shortcut()
                notes.append(self.shortcut.status)
        if notes:
            self.statusBar().showMessage(" ".join(n for n in notes if n), 10000)

    def set_autostart(self, on: bool) -> str:
        from assistant import autostart

        try:
            path = autostart.set_enabled(on)
        except OSError as exc:
            warn(self, self.tr("Start at login"), self.tr("Could not change {path}: {reason}.")
                 .format(path=exc.filename, reason=exc.strerror))
            return ""
        return (self.tr("Assistant starts at login, hidden in the tray ({path}).").format(
            path=path) if on else self.tr("Assistant no longer starts at login."))

    def _apply_settings(self, new_key: bool = False) -> None:
        notes = self.engine.reload_settings(new_key)
        self._update_first_run()
        self.statusBar().showMessage(" ".join(notes) or self.tr("Settings saved."), 10000)

    # Closing ---------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt
        self.save_view_state()
        if self.tray is not None and not self._quitting:
            # Closing keeps the app in the tray (said once); Quit in the tray menu quits.
            event.ignore()
            self.hide()
            settings = self._view_settings()
            if not settings.value("tray/hinted", False, type=bool):
                self.tray.notify(self.tr("Assistant is still running"),
                                 self.tr("It keeps your folders indexed. Ask from the tray "
                                         "icon, or choose Quit there to stop it."))
                settings.setValue("tray/hinted", True)
            return
        if self.worker is not None:
            self.worker.cancel()
        if self.library is not None:
            self.library.close()
        if self.quick is not None:
            self.quick.dismiss()
        if self.tray is not None:
            self.tray.hide()
        self.shortcut.remove()
        event.accept()
        app = QApplication.instance()
        if app is not None and getattr(self, "quit_on_close", True):
            app.quit()

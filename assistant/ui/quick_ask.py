"""The quick-ask popup: a small window near the cursor for a question asked while doing
something else. Same engine, models and index as the main window; the answer streams with
compact sources (file, page) that open the main window's viewer; "Continue in window" moves
the exchange into a conversation there; Esc hides it.

Signals:
    open_source(object): a source dict to show in the main window's viewer
    continue_requested(object): the AnswerCard to carry over into a conversation
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.errors import AssistantError
from assistant.core.types import AnswerDone, ModelState, SourcesFound, TokenStreamed
from assistant.ui import theme
from assistant.ui.chat_view import AnswerCard
from assistant.ui.untrusted import escape


class QuickAsk(QFrame):
    open_source = Signal(object)
    continue_requested = Signal(object)
    answer_finished = Signal(object)

    def __init__(self, engine: Any, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint |
                         Qt.WindowType.WindowStaysOnTopHint)
        self.engine = engine
        self.worker: Any = None
        self.card: AnswerCard | None = None
        self._running: set[Any] = set()
        c = theme.colors()
        self.setObjectName("quickAsk")
        self.setWindowTitle(self.tr("Ask the assistant"))
        self.setStyleSheet(f"#quickAsk {{ background: {c.card_bg}; border: 1px solid "
                           f"{c.border}; border-radius: 12px; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        self.question = QLineEdit()
        self.question.setPlaceholderText(self.tr("Ask your documents…  (Enter asks, Esc hides)"))
        self.question.returnPressed.connect(self.ask)
        layout.addWidget(self.question)
        self.answer_box = QVBoxLayout()
        layout.addLayout(self.answer_box)
        self.sources = QLabel()
        self.sources.setTextFormat(Qt.TextFormat.RichText)
        self.sources.setWordWrap(True)
        self.sources.linkActivated.connect(self._open)
        self.sources.hide()
        layout.addWidget(self.sources)
        row = QHBoxLayout()
        row.addStretch(1)
        self.continue_button = QPushButton(self.tr("Continue in window"))
        self.continue_button.clicked.connect(self._continue)
        self.continue_button.hide()
        row.addWidget(self.continue_button)
        layout.addLayout(row)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.dismiss)
        self.setFixedWidth(560)

    def popup(self) -> None:
        """Show near the cursor (on its screen), ready for typing."""
        self.adjustSize()
        pos = QCursor.pos()
        screen = QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        x = min(max(area.left(), pos.x() - self.width() // 2), area.right() - self.width())
        y = min(max(area.top(), pos.y() + 16), area.bottom() - max(self.height(), 160))
        self.move(x, y)
        self.show()
        self.raise_()
        self.activateWindow()
        self.question.setFocus()
        self.question.selectAll()

    def dismiss(self) -> None:
        """Esc: stop an answer being written and hide."""
        if self.worker is not None:
            self.worker.cancel()
        self.hide()

    def ask(self) -> None:
        text = self.question.text().strip()
        if not text or self.worker is not None:
            return
        if self.card is not None:
            self.card.setParent(None)
            self.card.deleteLater()
        self.card = AnswerCard(text)
        self.answer_box.addWidget(self.card)
        self.sources.hide()
        self.continue_button.hide()
        card = self.card
        card.start()
        try:
            worker = self.engine.ask(text)
        except AssistantError as exc:
            card.fail(str(exc))
            return
        worker.signals.event.connect(lambda e, c=card: self._event(c, e))
        worker.signals.failed.connect(lambda m, c=card: self._done(c, error=m))
        worker.signals.finished.connect(lambda w=worker: (self._over(w),
                                                          self._running.discard(w)))
        self._running.add(worker)
        self.worker = worker.start()

    def _event(self, card: AnswerCard, event: Any) -> None:
        if isinstance(event, SourcesFound):
            card.set_sources([p.to_json(i) for i, p in enumerate(event.passages, start=1)])
        elif isinstance(event, ModelState) and event.state == "loading":
            card.model_loading(event.model)
        elif isinstance(event, TokenStreamed):
            card.append(event.text)
        elif isinstance(event, AnswerDone):
            self._done(card, event.to_json())
        self.adjustSize()

    def _done(self, card: AnswerCard, done: dict[str, Any] | None = None,
              error: str = "") -> None:
        if error:
            card.fail(error)
        elif done is not None:
            card.finish(done)
            cites = done.get("citations", [])
            page = self.tr(", page {n}")
            links = [f'<a href="{i}">[{c["n"]}] {escape(Path(c["path"]).name)}'
                     f'{escape(page.format(n=c["page"])) if c.get("page") is not None else ""}'
                     "</a>" for i, c in enumerate(cites)]
            self.sources.setText(" · ".join(links))
            self.sources.setVisible(bool(links))
        card.actions.hide()
        self.continue_button.show()
        self._over(self.worker)
        self.adjustSize()
        self.answer_finished.emit(card)

    def _over(self, worker: Any) -> None:
        if worker is not None and worker is self.worker:
            self.worker = None

    def _open(self, link: str) -> None:
        if self.card is not None and self.card.done:
            cites = self.card.done.get("citations", [])
            index = int(link)
            if 0 <= index < len(cites):
                self.open_source.emit(cites[index])

    def _continue(self) -> None:
        if self.card is not None:
            self.continue_requested.emit(self.card)
            self.hide()

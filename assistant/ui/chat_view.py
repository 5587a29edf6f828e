"""The conversation: questions, and answers that stream token by token, render as Markdown,
carry the engine's citations as clickable chips, and say plainly what they stand on.

Signals:
    AnswerCard.citation_clicked(int): a chip [n] was clicked
    AnswerCard.selected(): the card was clicked (the sources panel follows it)
    AnswerCard.regenerate_requested(), AnswerCard.copied(str)
    ChatView.citation_clicked(object, int): (card, n)
    ChatView.answer_selected(object): the selected AnswerCard
    ChatView.regenerate_requested(object): the AnswerCard to write again
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from assistant.ui import fonts, theme
from assistant.ui.untrusted import InertBrowser, inert_markdown, plain

_MARK = re.compile(r"\[(\d{1,2})\]")
_PLACEHOLDER = re.compile("\u27e6(\\d{1,2})\u27e7")


def markdown_html(text: str, chips: bool) -> str:
    """Markdown (lists, code, tables) to rich text; citation markers [n] become chips. The
    text holds document sentences verbatim, so raw HTML stays text and images become their
    alt text (see ui/untrusted.py)."""
    c = theme.colors()
    source = _MARK.sub(lambda m: f"\u27e6{m.group(1)}\u27e7", text) if chips else text
    body = inert_markdown(source).toHtml()
    if chips:
        body = _PLACEHOLDER.sub(
            lambda m: (f'<a href="cite:{m.group(1)}" style="background-color:{c.chip_bg};'
                       f'color:{c.chip_fg};text-decoration:none;font-weight:600;">'
                       f"&nbsp;{m.group(1)}&nbsp;</a>"), body)
    return body


class AutoHeightBrowser(InertBrowser):
    """A read-only rich-text view as tall as its text (the chat scrolls, not each card); it
    loads no resource, whatever the answer holds."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(2)
        self.document().contentsChanged.connect(self._fit)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")

    def _fit(self) -> None:
        self.document().setTextWidth(max(50, self.viewport().width()))
        height = int(self.document().size().height()) + 4
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt
        return QSize(400, self.height())

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 - the chat scrolls
        event.ignore()


class UserCard(QFrame):
    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        c = theme.colors()
        self.text = text
        self.setObjectName("userCard")
        self.setStyleSheet(f"#userCard {{ background: {c.user_bg}; border-radius: 10px; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = plain(QLabel(text))
        self.label.setWordWrap(True)
        self.label.setLayoutDirection(fonts.direction(text))  # an Arabic question reads RTL
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Short questions stay on one line; long ones wrap at a readable width.
        widest = max((self.label.fontMetrics().horizontalAdvance(line)
                      for line in text.splitlines() or [""]), default=0)
        self.label.setMinimumWidth(min(widest + 6, 520))
        layout.addWidget(self.label)


class AnswerCard(QFrame):
    citation_clicked = Signal(int)
    selected = Signal()
    regenerate_requested = Signal()
    copied = Signal(str)

    def __init__(self, question: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.question = question
        self.message_id: int | None = None
        self.draft = ""
        self.done: dict[str, Any] | None = None  # AnswerDone.to_json()
        self.passages: list[dict[str, Any]] = []  # SourcesFound, as Passage.to_json()
        self.streaming = False
        self.error = ""
        self.setObjectName("answerCard")
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(6)
        self.badge = QLabel()
        self.badge.setObjectName("badge")
        self.badge.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        self.body = AutoHeightBrowser()
        self.body.anchorClicked.connect(self._anchor)
        self.body.installEventFilter(self)
        self.body.viewport().installEventFilter(self)
        layout.addWidget(self.body)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.note.hide()
        layout.addWidget(self.note)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy the answer"))
        self.copy_button.clicked.connect(self.copy_answer)
        self.copy_sources_button = QPushButton(self.tr("Copy with sources"))
        self.copy_sources_button.setToolTip(self.tr('The answer, then "[n] file, page" for '
                                                    "each source"))
        self.copy_sources_button.clicked.connect(self.copy_with_sources)
        self.regenerate_button = QPushButton(self.tr("Regenerate"))
        self.regenerate_button.setToolTip(self.tr("Write this answer again"))
        self.regenerate_button.clicked.connect(self.regenerate_requested)
        for b in (self.copy_button, self.copy_sources_button, self.regenerate_button):
            b.setFlat(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            actions.addWidget(b)
        actions.addStretch(1)
        self.actions = QWidget()
        self.actions.setLayout(actions)
        actions.setContentsMargins(0, 0, 0, 0)
        self.actions.hide()
        layout.addWidget(self.actions)
        self.set_selected(False)
        self._set_badge(self.tr("Looking in your documents…"), "muted")

    # Look ------------------------------------------------------------------------

    def set_selected(self, on: bool) -> None:
        c = theme.colors()
        border = c.chip_fg if on else c.border
        self.setStyleSheet(f"#answerCard {{ background: {c.card_bg}; border: 1px solid "
                           f"{border}; border-radius: 10px; }}")

    def _set_badge(self, text: str, kind: str) -> None:
        c = theme.colors()
        bg, fg = {"found": (c.found_bg, c.found_fg), "missing": (c.missing_bg, c.missing_fg),
                  "error": (c.missing_bg, c.unsupported)}.get(kind, ("transparent", c.muted))
        self.badge.setText(html.escape(text))
        self.badge.setStyleSheet(f"#badge {{ background: {bg}; color: {fg}; border-radius: 8px;"
                                 " padding: 2px 8px; font-weight: 600; }")
        self.badge_kind = kind

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt
        if event.type() == QEvent.Type.MouseButtonPress:
            self.selected.emit()
        return False

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        self.selected.emit()
        super().mousePressEvent(event)

    # Streaming -------------------------------------------------------------------

    def set_sources(self, passages: list[dict[str, Any]]) -> None:
        self.passages = passages
        if self.streaming and not self.draft:
            self._set_badge(self.tr("Reading {n} passages…").format(n=len(passages)), "muted")

    def start(self) -> None:
        self.streaming = True
        self.actions.hide()

    def model_loading(self, name: str) -> None:
        self._set_badge(self.tr("Loading the model ({name})…").format(name=name), "muted")

    def append(self, piece: str) -> None:
        if not self.draft:
            self._set_badge(self.tr("Writing…"), "muted")
        self.draft += piece
        self.body.setHtml(markdown_html(self.draft, chips=False))

    def finish(self, done: dict[str, Any]) -> None:
        """The engine's verdict: cited answer, abstention, or a stop by the user."""
        self.streaming = False
        self.done = done
        c = theme.colors()
        if done.get("abstained"):
            self._set_badge(self.tr("Not in your documents"), "missing")
            self.body.setHtml(f'<p style="color:{c.text}">{html.escape(done["answer"])}</p>')
            hints = []
            names = sorted({Path(p["path"]).name for p in self.passages[:3]})
            if done.get("reason") == "contrary":
                hints.append(html.escape(self.tr("The question asks about the opposite of "
                                                 "what the closest passages say.")))
            if names:
                hints.append(html.escape(self.tr(
                    "The closest passages (in {files}) don't answer it.")).format(
                        files=html.escape(self.tr(", ").join(names))))
            if done.get("draft"):
                why = (self.tr("asked whether the closest passage answers the question as "
                               "it is asked, the model said no")
                       if done.get("reason") == "judged" else self.tr("no source holds this"))
                said = self.tr("The model wrote: “{draft}” — {why}, so it is not shown as an "
                               "answer.")
                hints.append(f'<span style="color:{c.muted}">' + html.escape(said).format(
                    draft=html.escape(_short(done["draft"], 220)), why=html.escape(why))
                    + "</span>")
            self._show_note("<br>".join(hints))
            self.copy_sources_button.hide()
        else:
            text = done.get("answer", "") or self.draft
            self.body.setHtml(markdown_html(text, chips=True))
            self._mark_unsupported(done.get("unsupported_claims", []))
            cites = done.get("citations", [])
            files = {c_["path"] for c_ in cites}
            if done.get("cancelled"):
                self._set_badge(self.tr("Stopped"), "muted")
                if not text:
                    stopped = html.escape(self.tr("(stopped before any text)"))
                    self.body.setHtml(f'<p style="color:{c.muted}">{stopped}</p>')
            elif done.get("reason") == "quoted":
                self._set_badge(self.tr("Quoted from your documents"), "found")
                self.badge.setToolTip(self.tr("The model's own answer did not hold up against "
                                              "the sources, so the passage that answers is "
                                              "quoted."))
            elif cites:
                self._set_badge(self._from(len(cites), len(files)), "found")
            unsupported = done.get("unsupported_claims", [])
            if unsupported and not done.get("cancelled"):
                n = len(unsupported)
                note = (self.tr("Dotted underline: 1 part no source holds.") if n == 1 else
                        self.tr("Dotted underline: {n} parts no source holds.").format(n=n))
                self._show_note(f'<span style="color:{c.muted}">{html.escape(note)}</span>')
        self.actions.show()

    def _from(self, passages: int, files: int) -> str:
        """ "From 2 passages in 1 file" (plural forms written out: English has two)."""
        what = (self.tr("1 passage") if passages == 1 else
                self.tr("{n} passages").format(n=passages))
        where = self.tr("1 file") if files == 1 else self.tr("{n} files").format(n=files)
        return self.tr("From {passages} in {files}").format(passages=what, files=where)

    def fail(self, message: str) -> None:
        self.streaming = False
        self.error = message
        self._set_badge(self.tr("Couldn't answer"), "error")
        self.body.setHtml(f"<p>{html.escape(message)}</p>")
        self.actions.show()
        self.copy_button.hide()
        self.copy_sources_button.hide()

    def _show_note(self, rich: str) -> None:
        self.note.setText(rich)
        self.note.setVisible(bool(rich))

    def _mark_unsupported(self, clauses: list[str]) -> None:
        """Dotted underline and a tooltip on what no source holds."""
        doc = self.body.document()
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
        fmt.setUnderlineColor(QColor(theme.colors().unsupported))
        fmt.setToolTip(self.tr("No source holds this"))
        for clause in clauses:
            needle = " ".join(_MARK.sub("", clause).split())
            if len(needle) < 3:
                continue
            cursor = doc.find(needle)
            if cursor.isNull():  # punctuation or Markdown changed it: try its start
                cursor = doc.find(needle[: max(12, len(needle) // 2)])
            if not cursor.isNull():
                cursor.mergeCharFormat(fmt)

    def _anchor(self, url: QUrl) -> None:
        self.selected.emit()
        if url.scheme() == "cite":
            self.citation_clicked.emit(int(url.path() or url.toString().split(":")[-1]))

    # Copying ---------------------------------------------------------------------

    def answer_text(self) -> str:
        if self.done is None:
            return self.draft
        return str(self.done.get("answer") or self.draft)

    def sources_text(self) -> str:
        lines = []
        for c in (self.done or {}).get("citations", []):
            page = (self.tr(", page {n}").format(n=c["page"])
                    if c.get("page") is not None else "")
            lines.append(f"[{c['n']}] {Path(c['path']).name}{page}")
        return "\n".join(lines)

    def copy_answer(self) -> None:
        text = self.answer_text()
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)

    def copy_with_sources(self) -> None:
        sources = self.sources_text()
        heading = self.tr("Sources:")
        text = self.answer_text() + (f"\n\n{heading}\n{sources}" if sources else "")
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)


def _short(text: str, n: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


class EmptyState(QWidget):
    """What a new user sees: how to add documents, and what the assistant does."""

    add_folder = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel(self.tr("Ask your documents"))
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.text)
        self.button = QPushButton(self.tr("Add a folder…"))
        self.button.clicked.connect(self.add_folder)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.set_has_documents(False)

    def set_has_documents(self, has: bool, files: int = 0) -> None:
        muted = theme.colors().muted
        if has:
            indexed = (self.tr("1 file indexed.") if files == 1 else
                       self.tr("{n} files indexed.").format(n=files))
            self.text.setText(f'<p style="color:{muted}">{html.escape(indexed)} ' +
                              html.escape(self.tr(
                                  "Ask a question below; every answer shows the passages it "
                                  "comes from.")) + "<br>" + html.escape(self.tr(
                                      "Drop more files or folders anywhere on this window to "
                                      "add them.")) + "</p>")
            self.button.setText(self.tr("Add another folder…"))
        else:
            self.text.setText(f'<p style="color:{muted}">' + html.escape(self.tr(
                "Drop files or folders anywhere on this window, or add a folder. They are "
                "indexed on this computer and kept up to date; nothing leaves it.")) + "<br>" +
                html.escape(self.tr("Then ask a question: answers cite the file, page and "
                                    "passage.")) + "</p>")
            self.button.setText(self.tr("Add a folder…"))


class ChatView(QScrollArea):
    citation_clicked = Signal(object, int)
    answer_selected = Signal(object)
    regenerate_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.column = QVBoxLayout(self.inner)
        self.column.setContentsMargins(16, 16, 16, 16)
        self.column.setSpacing(12)
        self.empty = EmptyState()
        self.column.addWidget(self.empty, 1)
        self.column.addStretch(0)
        self.setWidget(self.inner)
        self.cards: list[QWidget] = []
        self.selected: AnswerCard | None = None
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._keep_at_bottom)
        self.verticalScrollBar().valueChanged.connect(self._note_position)
        self._find_matches: list[tuple[AutoHeightBrowser | None, QTextCursor]] = []
        self._find_at = -1

    def clear(self) -> None:
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        self.selected = None
        self.empty.show()

    def add_user(self, text: str) -> UserCard:
        card = UserCard(text)
        self._add(card, right=True)
        return card

    def add_answer(self, question: str) -> AnswerCard:
        card = AnswerCard(question)
        card.citation_clicked.connect(lambda n, c=card: self.citation_clicked.emit(c, n))
        card.selected.connect(lambda c=card: self.select(c))
        card.regenerate_requested.connect(lambda c=card: self.regenerate_requested.emit(c))
        self._add(card)
        self.select(card)
        return card

    def _add(self, card: QWidget, right: bool = False) -> None:
        self.empty.hide()
        wrapper = QHBoxLayout()
        if right:
            wrapper.addStretch(1)
            card.setMaximumWidth(640)
        holder = QWidget()
        wrapper.setContentsMargins(0, 0, 0, 0)
        wrapper.addWidget(card, 0 if right else 1)
        holder.setLayout(wrapper)
        self.column.insertWidget(self.column.count() - 1, holder)
        self.cards.append(card)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_bottom)

    def answers(self) -> list[AnswerCard]:
        return [c for c in self.cards if isinstance(c, AnswerCard)]

    def select(self, card: AnswerCard) -> None:
        if self.selected is not None and self.selected is not card:
            self.selected.set_selected(False)
        self.selected = card
        card.set_selected(True)
        self.answer_selected.emit(card)

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _keep_at_bottom(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(hi)

    def _note_position(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 24

    # Find in conversation ----------------------------------------------------------

    def find(self, text: str, backward: bool = False) -> tuple[int, int]:
        """Highlight every match; move to the next (or previous). Returns (current, total)."""
        c = theme.colors()
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(c.mark_bg))
        matches: list[tuple[AutoHeightBrowser | None, QTextCursor]] = []
        for card in self.cards:
            browser = card.body if isinstance(card, AnswerCard) else None
            if browser is None:
                continue
            selections = []
            if text:
                cursor = browser.document().find(text)
                while not cursor.isNull():
                    sel = QTextEdit.ExtraSelection()
                    sel.cursor = cursor
                    sel.format = fmt
                    selections.append(sel)
                    matches.append((browser, cursor))
                    cursor = browser.document().find(text, cursor)
            browser.setExtraSelections(selections)
        for card in self.cards:
            if isinstance(card, UserCard):
                hit = bool(text) and text.lower() in card.text.lower()
                card.label.setStyleSheet(f"background: {c.mark_bg};" if hit else "")
        changed = [m for m in matches] != [m for m in self._find_matches]
        self._find_matches = matches
        if not matches:
            self._find_at = -1
            return 0, 0
        if changed and self._find_at >= len(matches):
            self._find_at = -1
        self._find_at = (self._find_at + (-1 if backward else 1)) % len(matches)
        browser, cursor = matches[self._find_at]
        if browser is not None:
            rect = browser.cursorRect(cursor)
            point = browser.viewport().mapTo(self.inner, rect.center())
            self._follow = False
            self.ensureVisible(point.x(), point.y(), 10, 80)
        return self._find_at + 1, len(matches)

"""Open a cited passage where it is: a PDF on its page with the passage highlighted, or a
text, Markdown, HTML, Word or code file scrolled to the passage's characters.

PDFs are drawn with QtPdf (QPdfDocument renders the pages; the highlight comes from the
page's own text layer: the passage is looked for in the page's text, and it is highlighted
only when at least half of its words are found in one run; otherwise the page is shown
without a highlight and says so: never a wrong highlight). Other files show the text the
index was built from (parsed again, in the isolated parser process), with the passage's
character span selected; a file that changed since it was indexed is searched for the
passage instead.

Signals:
    DocumentViewer.opened(object): the source dict that was opened
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QImage,
    QPainter,
    QPolygonF,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant.ui import theme
from assistant.ui.bridge import EventPump
from assistant.ui.untrusted import plain, tooltip

# Han, kana and hangul count one character a word: their text has no spaces, and a PDF's text
# layer breaks lines (and so runs) anywhere, where the passage's text does not.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
MIN_FOUND = 0.5  # share of the passage's words that must be found to highlight
PAGE_GAP = 12
MARGIN = 16


def locate(passage: str, page_text: str) -> tuple[int, int, float]:
    """Where ``passage`` is in ``page_text``: (start, end, share of its words found in the
    longest matching runs). Whitespace, line breaks and hyphenation may differ."""
    pw = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(passage)]
    tw = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(page_text)]
    if not pw or not tw:
        return 0, 0, 0.0
    matcher = difflib.SequenceMatcher(None, [w for w, _, _ in pw], [w for w, _, _ in tw],
                                      autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= 3]
    if not blocks:
        return 0, 0, 0.0
    # Keep the blocks that lie close together on the page (one run of the passage).
    best = max(blocks, key=lambda b: b.size)
    run = [b for b in blocks if abs(b.b - best.b) <= len(pw) * 2]
    found = sum(b.size for b in run)
    first, last = min(run, key=lambda b: b.b), max(run, key=lambda b: b.b + b.size)
    return tw[first.b][1], tw[last.b + last.size - 1][2], found / len(pw)


# PDF -------------------------------------------------------------------------------------


class _PdfCanvas(QWidget):
    """All pages stacked, drawn lazily at the current scale, with the highlight on top."""

    def __init__(self, document: QPdfDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scale = 1.0  # pixels per point
        self.highlight_page = -1
        self.highlight: list[QPolygonF] = []
        self._cache: dict[tuple[int, float], QImage] = {}
        self._tops: list[float] = []

    def layout_pages(self) -> None:
        self._cache.clear()
        self._tops = []
        y = float(MARGIN)
        width = 0.0
        for i in range(self.document.pageCount()):
            size = self.document.pagePointSize(i)
            self._tops.append(y)
            y += size.height() * self.scale + PAGE_GAP
            width = max(width, size.width() * self.scale)
        self.setFixedSize(int(width + 2 * MARGIN), int(y + MARGIN))
        self.update()

    def page_rect(self, page: int) -> QRectF:
        size = self.document.pagePointSize(page)
        w, h = size.width() * self.scale, size.height() * self.scale
        x = (self.width() - w) / 2
        return QRectF(x, self._tops[page], w, h)

    def page_at(self, y: float) -> int:
        for i in range(len(self._tops) - 1, -1, -1):
            if self._tops[i] <= y:
                return i
        return 0

    def _image(self, page: int, rect: QRectF) -> QImage:
        dpr = self.devicePixelRatioF()
        key = (page, self.scale)
        image = self._cache.get(key)
        if image is None:
            image = self.document.render(page, QSize(int(rect.width() * dpr),
                                                     int(rect.height() * dpr)))
            image.setDevicePixelRatio(dpr)
            if len(self._cache) > 12:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = image
        return image

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        painter = QPainter(self)
        exposed = QRectF(event.rect())
        for page in range(len(self._tops)):
            rect = self.page_rect(page)
            if not rect.intersects(exposed):
                continue
            painter.fillRect(rect, QColor("white"))
            painter.drawImage(rect.topLeft(), self._image(page, rect))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QColor(0, 0, 0, 40))
            painter.drawRect(rect)
            if page == self.highlight_page and self.highlight:
                # Multiply: the page's ink stays dark under a marker-yellow background.
                painter.save()
                painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(255, 226, 90))
                pad = 1.5
                for poly in self.highlight:
                    box = QPolygonF([rect.topLeft() + QPointF(
                        p.x() * self.scale, p.y() * self.scale) for p in poly]).boundingRect()
                    painter.drawRect(box.adjusted(-pad, -pad, pad, pad))
                painter.restore()
        painter.end()


class PdfPages(QScrollArea):
    page_changed = Signal(int)  # 1-based

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.canvas = _PdfCanvas(self.document)
        self.setWidget(self.canvas)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.fit_width = True
        self.current_page = 0  # 1-based, 0 = nothing open
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def load(self, path: str) -> str:
        """Open a PDF; "" or the reason it can't be shown."""
        self.document.close()
        error = self.document.load(path)
        if self.document.status() != QPdfDocument.Status.Ready:
            return self.tr("cannot open this PDF ({reason})").format(
                reason=getattr(error, "name", error))
        self._fit()
        return ""

    def _fit(self) -> None:
        if self.document.pageCount() == 0:
            return
        if self.fit_width:
            widest = max(self.document.pagePointSize(i).width()
                         for i in range(self.document.pageCount()))
            room = max(200, self.viewport().width() - 2 * MARGIN - 4)
            self.canvas.scale = room / widest
        self.canvas.layout_pages()

    def zoom(self, factor: float) -> None:
        page = max(0, self.current_page - 1)
        self.fit_width = False
        self.canvas.scale = min(6.0, max(0.2, self.canvas.scale * factor))
        self.canvas.layout_pages()
        self.show_page(page + 1)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        super().resizeEvent(event)
        if self.fit_width and self.document.pageCount():
            page = self.current_page
            self._fit()
            if page:
                self.show_page(page, self.canvas.highlight_page == page - 1)

    def show_page(self, page: int, at_highlight: bool = False) -> None:
        """Scroll to a page (1-based), to its highlight when there is one."""
        index = min(max(0, page - 1), self.document.pageCount() - 1)
        rect = self.canvas.page_rect(index)
        y = rect.top() - MARGIN
        if at_highlight and self.canvas.highlight:
            top = min(p.y() for poly in self.canvas.highlight for p in poly)
            y = max(y, rect.top() + top * self.canvas.scale - self.viewport().height() / 3)
        self.verticalScrollBar().setValue(int(y))
        self.current_page = index + 1
        self.page_changed.emit(self.current_page)

    def _scrolled(self, value: int) -> None:
        page = self.canvas.page_at(value + self.viewport().height() / 3) + 1
        if page != self.current_page:
            self.current_page = page
            self.page_changed.emit(page)

    def highlight(self, page: int, passage: str) -> float:
        """Highlight ``passage`` on ``page`` (1-based) when its text layer holds at least
        half of it; returns the share found (0 when nothing is highlighted)."""
        index = page - 1
        self.canvas.highlight_page, self.canvas.highlight = -1, []
        if not 0 <= index < self.document.pageCount():
            return 0.0
        text = self.document.getAllText(index).text()
        start, end, share = locate(passage, text)
        if share < MIN_FOUND:
            self.canvas.update()
            return 0.0
        selection = self.document.getSelectionAtIndex(index, start, end - start)
        self.canvas.highlight_page = index
        self.canvas.highlight = list(selection.bounds())
        self.canvas.update()
        return share


# Text ------------------------------------------------------------------------------------


def document_text(document: Any) -> str:
    """The extracted text the chunk offsets point into, rebuilt from its sections."""
    parts: list[str] = []
    length = 0
    for section in document.sections:
        if section.offset > length:
            parts.append("\n" * (section.offset - length))
            length = section.offset
        parts.append(section.text)
        length += len(section.text)
    return "".join(parts)


class TextPane(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.span: tuple[int, int] | None = None

    def show_span(self, text: str, start: int, end: int, passage: str) -> str:
        """Show ``text`` with [start, end) selected; "" or a note about what differed."""
        self.setPlainText(text)
        note = ""
        if text[start:end].strip() != passage.strip():
            at = text.find(passage.strip())
            if at < 0:
                self.span = None
                self._select(None)
                return self.tr("The file changed since it was indexed; the passage is not in it "
                               "now.")
            start, end = at, at + len(passage.strip())
            note = self.tr("The file changed since it was indexed; the passage was found "
                           "elsewhere.")
        self.span = (start, end)
        self._select((start, end))
        return note

    def _select(self, span: tuple[int, int] | None) -> None:
        if span is None:
            self.setExtraSelections([])
            return
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(theme.colors().mark_bg))
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = fmt
        self.setExtraSelections([selection])
        start = QTextCursor(self.document())
        start.setPosition(span[0])
        self.setTextCursor(start)
        self.centerCursor()


# The viewer ------------------------------------------------------------------------------


class DocumentViewer(QWidget):
    opened = Signal(object)

    def __init__(self, parse: Callable[[str], Any], parent: QWidget | None = None):
        super().__init__(parent)
        self._parse = parse
        self.source: dict[str, Any] | None = None
        self.highlighted = False
        self.note = ""
        self._pending = 0
        self._pump = EventPump(self)
        self._pump.event.connect(self._parsed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 0)
        self.title = QLabel(self.tr("No document open"))
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        bar.addWidget(self.title, 1)
        self.page_label = QLabel()
        bar.addWidget(self.page_label)
        self.prev_button = self._tool("‹", self.tr("Previous page"), lambda: self._step(-1))
        self.next_button = self._tool("›", self.tr("Next page"), lambda: self._step(1))
        self.zoom_out = self._tool("−", self.tr("Zoom out"), lambda: self.pdf.zoom(1 / 1.25))
        self.zoom_in = self._tool("+", self.tr("Zoom in"), lambda: self.pdf.zoom(1.25))
        for b in (self.prev_button, self.next_button, self.zoom_out, self.zoom_in):
            bar.addWidget(b)
        layout.addLayout(bar)
        actions = QHBoxLayout()
        actions.setContentsMargins(8, 0, 8, 0)
        self.open_button = QPushButton(self.tr("Open in default app"))
        self.open_button.clicked.connect(self.open_externally)
        self.folder_button = QPushButton(self.tr("Show in folder"))
        self.folder_button.clicked.connect(self.show_in_folder)
        actions.addWidget(self.open_button)
        actions.addWidget(self.folder_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.status = plain(QLabel())
        self.status.setWordWrap(True)
        self.status.setContentsMargins(8, 0, 8, 0)
        self.status.hide()
        layout.addWidget(self.status)
        self.stack = QStackedWidget()
        self.pdf = PdfPages()
        self.pdf.page_changed.connect(self._page_changed)
        self.text = TextPane()
        self.stack.addWidget(self.pdf)
        self.stack.addWidget(self.text)
        layout.addWidget(self.stack, 1)
        self._set_pdf_controls(False)
        self.open_button.setEnabled(False)
        self.folder_button.setEnabled(False)

    def _tool(self, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _set_pdf_controls(self, on: bool) -> None:
        for b in (self.prev_button, self.next_button, self.zoom_out, self.zoom_in):
            b.setVisible(on)
        self.page_label.setVisible(on)

    @property
    def current_page(self) -> int | None:
        return self.pdf.current_page if self.stack.currentWidget() is self.pdf else None

    def open_source(self, source: dict[str, Any]) -> None:
        """Show ``source`` (path, page, start, end, text) at its place."""
        self.source = source
        self.highlighted = False
        path = str(source["path"])
        self.title.setText(Path(path).name)
        self.title.setToolTip(tooltip(path))
        self.open_button.setEnabled(True)
        self.folder_button.setEnabled(True)
        problem = _not_showable(path)
        if problem:
            self._say(problem)
            self.text.setPlainText(str(source.get("text", "")))
            self.stack.setCurrentWidget(self.text)
            self._set_pdf_controls(False)
            self.opened.emit(source)
            return
        if path.lower().endswith(".pdf"):
            self._open_pdf(path, source)
        else:
            self._open_text(path, source)

    def _open_pdf(self, path: str, source: dict[str, Any]) -> None:
        self.stack.setCurrentWidget(self.pdf)
        self._set_pdf_controls(True)
        if getattr(self, "_pdf_path", None) != path:
            error = self.pdf.load(path)
            if error:
                self._say(error)
                self.opened.emit(source)
                return
            self._pdf_path = path
        page = int(source.get("page") or 1)
        share = self.pdf.highlight(page, str(source.get("text", "")))
        self.highlighted = share > 0
        self.pdf.show_page(page, at_highlight=self.highlighted)
        self._say("" if self.highlighted else self.tr(
            "Page {n}: the passage could not be located in this page's text layer, so it is "
            "not highlighted.").format(n=page))
        self.opened.emit(source)

    def _open_text(self, path: str, source: dict[str, Any]) -> None:
        self.stack.setCurrentWidget(self.text)
        self._set_pdf_controls(False)
        self._say(self.tr("Opening…"))
        self._pending += 1
        ticket = self._pending

        def work() -> None:
            try:
                result: Any = self._parse(path)
            except Exception as exc:  # noqa: BLE001 - shown in the viewer
                result = exc
            self._pump((ticket, source, result))

        threading.Thread(target=work, name="assistant-viewer-parse", daemon=True).start()

    def _parsed(self, item: tuple[int, dict[str, Any], Any]) -> None:
        ticket, source, result = item
        if ticket != self._pending:
            return  # another document was opened meanwhile
        if isinstance(result, Exception):
            self.text.setPlainText(str(source.get("text", "")))
            self._say(self.tr("Showing the passage only: {reason}").format(reason=result))
            self.highlighted = False
        else:
            note = self.text.show_span(document_text(result), int(source.get("start", 0)),
                                       int(source.get("end", 0)), str(source.get("text", "")))
            self.highlighted = self.text.span is not None
            self._say(note)
        self.opened.emit(source)

    def _say(self, text: str) -> None:
        self.note = text
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _step(self, delta: int) -> None:
        if self.pdf.document.pageCount():
            self.pdf.show_page(self.pdf.current_page + delta)

    def _page_changed(self, page: int) -> None:
        self.page_label.setText(self.tr("Page {n} of {total}").format(
            n=page, total=self.pdf.document.pageCount()))

    def open_externally(self) -> None:
        if self.source:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.source["path"])))

    def show_in_folder(self) -> None:
        if not self.source:
            return
        path = str(self.source["path"])
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", path])  # noqa: S603,S607
            return
        if sys.platform.startswith("win"):
            subprocess.Popen(["explorer", "/select,", path])  # noqa: S603,S607
            return
        if _show_item_dbus(path):
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


def _not_showable(path: str) -> str:
    """Why the file at ``path`` cannot be opened here ("" when it can). Only a regular file is
    ever opened: a FIFO or a device where an indexed file was would block the window's thread
    (or, for /dev/zero, fill its memory). ``stat`` itself never blocks on them."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return QCoreApplication.translate(
            "DocumentViewer", "This file is not there now (moved, deleted, or on a drive that "
            "is not plugged in).")
    except OSError as exc:
        return QCoreApplication.translate(
            "DocumentViewer", "This file cannot be read now ({reason}); showing the passage "
            "only.").format(reason=exc.strerror)
    if not stat.S_ISREG(st.st_mode):
        return QCoreApplication.translate(
            "DocumentViewer", "This path is not a regular file now (a pipe or a device); "
            "showing the passage only.")
    return ""


def _show_item_dbus(path: str) -> bool:
    """Ask the file manager to show the file selected (freedesktop FileManager1)."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    iface = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                           "org.freedesktop.FileManager1", bus)
    if not iface.isValid():
        return False
    reply = iface.call("ShowItems", [QUrl.fromLocalFile(path).toString()], "")
    return not reply.errorMessage()

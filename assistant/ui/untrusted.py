"""Showing text the user did not write as markup: document sentences, file names, paths, the
model's words. None of it may ever load anything.

Qt reads a string as HTML wherever a widget guesses the format (QLabel's AutoText, every
tooltip, QMessageBox) and an <img> there makes Qt's image loader open the path on the GUI
thread: /dev/zero grows the app until it aborts, a FIFO hangs it for ever. A file name cannot
hold "/" but entities can (``<img src=&#47;dev&#47;zero>.md`` is a legal name). So:

- rich-text views of answers and passages are ``InertBrowser``s, which load no resource at all;
- Markdown is rendered without raw HTML, and images become their alt text (``inert_markdown``);
- labels that show names or messages are plain text (``plain``), tooltips are escaped
  (``tooltip``) and message boxes are plain text (``warn``).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox, QTextBrowser, QWidget


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def tooltip(text: object) -> str:
    """A tooltip showing ``text`` as it is. Tooltips guess their format, so plain text that
    looks like HTML would be rendered: escaped inside a paragraph it is always rich text that
    shows the characters themselves."""
    return f'<p style="white-space:pre-wrap">{escape(text)}</p>' if str(text) else ""


def plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def warn(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A modal warning whose text is shown as plain text (it often holds a path)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return box


class InertDocument(QTextDocument):
    """A text document that loads nothing: no image, no style sheet, from anywhere."""

    def loadResource(self, kind: int, url: Any) -> Any:  # noqa: N802 - Qt
        return None


class InertBrowser(QTextBrowser):
    """A read-only rich-text view that loads nothing and follows no link by itself (links
    reach ``anchorClicked``, which decides)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def loadResource(self, kind: int, url: Any) -> Any:  # noqa: N802 - Qt
        return None


def inert_markdown(source: str) -> QTextDocument:
    """``source`` as Markdown (GitHub dialect: lists, code, tables) without raw HTML, its
    images replaced by their alt text; the document loads nothing."""
    doc = InertDocument()
    features = QTextDocument.MarkdownFeature
    doc.setMarkdown(source, features.MarkdownDialectGitHub | features.MarkdownNoHTML)
    images: list[tuple[int, int, str]] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.isImageFormat():
                alt = fmt.property(fmt.Property.ImageAltText)
                images.append((fragment.position(), fragment.length(),
                               alt if isinstance(alt, str) else ""))
            it += 1
        block = block.next()
    for position, length, alt in reversed(images):
        cursor = QTextCursor(doc)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(alt, QTextCharFormat())
    return doc

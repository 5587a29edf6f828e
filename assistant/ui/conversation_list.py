"""The list of conversations: newest first, searchable by any text in them, renamed in place
(F2 or double-click), deleted with Delete (the window offers Undo).

Signals:
    chosen(int): a conversation was picked
    new_requested(): the New chat button
    rename_requested(int, str), delete_requested(int)
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.core.conversations import Conversation
from assistant.ui.untrusted import tooltip


def _age(ts: float) -> str:
    delta = time.time() - ts
    if delta < 60:
        return QCoreApplication.translate("ConversationList", "just now")
    if delta < 3600:
        return QCoreApplication.translate("ConversationList", "{n} min ago").format(
            n=int(delta // 60))
    when = QDateTime.fromSecsSinceEpoch(int(ts))
    if delta < 86400:
        return QLocale().toString(when.time(), QLocale.FormatType.ShortFormat)
    # the day and month in the window's language ("12 Mar", "3月12日")
    return QLocale().toString(when.date(), QCoreApplication.translate(
        "ConversationList", "d MMM", "a date as Qt's QLocale formats it: day and month"))


class ConversationList(QWidget):
    chosen = Signal(int)
    new_requested = Signal()
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 0, 8)
        self.new_button = QPushButton(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("New chat (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_requested)
        layout.addWidget(self.new_button)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search conversations"))
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.itemActivated.connect(self._picked)
        self.list.itemClicked.connect(self._picked)
        self.list.itemChanged.connect(self._edited)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.list, 1)
        delete = QAction(self.tr("Delete conversation"), self.list)
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self._delete_current)
        self.list.addAction(delete)
        rename = QAction(self.tr("Rename"), self.list)
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))
        rename.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        rename.triggered.connect(self._rename_current)
        self.list.addAction(rename)
        self._filling = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self.search.textChanged.connect(lambda _: self._debounce.start())
        self.search_changed = self._debounce.timeout

    def fill(self, conversations: list[Conversation], current: int | None) -> None:
        self._filling = True
        self.list.clear()
        for c in conversations:
            text = c.title + (f"\n{c.snippet}" if c.snippet else f"\n{_age(c.updated_at)}")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, c.title)
            item.setToolTip(tooltip(c.title))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        self._filling = False

    def _picked(self, item: QListWidgetItem) -> None:
        self.chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _edited(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        title = item.text().split("\n")[0].strip()
        if title and title != item.data(Qt.ItemDataRole.UserRole + 1):
            self.rename_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)), title)

    def _rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._filling = True
            item.setText(str(item.data(Qt.ItemDataRole.UserRole + 1)))
            self._filling = False
            self.list.editItem(item)

    def _delete_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.delete_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _menu(self, pos: Any) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.tr("Rename"), self._rename_current)
        menu.addAction(self.tr("Delete"), self._delete_current)
        menu.exec(self.list.viewport().mapToGlobal(pos))

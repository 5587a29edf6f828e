"""The library: the folders kept indexed, and every file's state, with the reasons of the
files that could not be read and a way to try them again.

Folders can be added, removed (their files stay searchable until forgotten), or rescanned;
indexing can be paused. Files show as queued, parsing, embedding, indexed, failed (with the
reason) or unavailable (their drive is not plugged in).

Signals:
    add_folder_requested(), remove_folders_requested(list), rescan_requested(),
    retry_requested(list): paths, or [] for every failed file
    forget_requested(list)
    pause_toggled(bool)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.ui import theme
from assistant.ui.untrusted import escape, tooltip

# Marked here, translated where shown (LibraryView.tr): the table's State column is compared
# with these English names, never with what the user reads.
STATE_NAMES = {"new": QT_TRANSLATE_NOOP("LibraryView", "queued"),
               "indexing": QT_TRANSLATE_NOOP("LibraryView", "embedding"),
               "indexed": QT_TRANSLATE_NOOP("LibraryView", "indexed"),
               "failed": QT_TRANSLATE_NOOP("LibraryView", "failed"),
               "unavailable": QT_TRANSLATE_NOOP("LibraryView", "unavailable")}
FILTERS = [(QT_TRANSLATE_NOOP("LibraryView", "All files"), []),
           (QT_TRANSLATE_NOOP("LibraryView", "Failed"), ["failed"]),
           (QT_TRANSLATE_NOOP("LibraryView", "Unavailable"), ["unavailable"]),
           (QT_TRANSLATE_NOOP("LibraryView", "Queued or in progress"), ["new", "indexing"]),
           (QT_TRANSLATE_NOOP("LibraryView", "Indexed"), ["indexed"])]
STATE_ROLE = Qt.ItemDataRole.UserRole + 1  # the state's code, on the State column's items


class LibraryView(QWidget):
    add_folder_requested = Signal()
    remove_folders_requested = Signal(list)
    rescan_requested = Signal()
    retry_requested = Signal(list)
    forget_requested = Signal(list)
    pause_toggled = Signal(bool)

    def __init__(self, catalog: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog  # a callable returning the active catalog
        self.current_file = ""
        self.setWindowTitle(self.tr("Library"))
        layout = QVBoxLayout(self)
        folders_row = QHBoxLayout()
        box = QVBoxLayout()
        box.addWidget(QLabel("<b>" + escape(self.tr("Folders kept indexed")) + "</b>"))
        self.folders = QListWidget()
        self.folders.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.folders.setMaximumHeight(110)
        box.addWidget(self.folders)
        folders_row.addLayout(box, 1)
        buttons = QVBoxLayout()
        self.add_button = QPushButton(self.tr("Add folder…"))
        self.add_button.clicked.connect(self.add_folder_requested)
        self.remove_button = QPushButton(self.tr("Stop watching"))
        self.remove_button.setToolTip(self.tr("Stop keeping the selected folders up to date "
                                              "(their files stay searchable until you forget "
                                              "them)"))
        self.remove_button.clicked.connect(self._remove)
        self.rescan_button = QPushButton(self.tr("Rescan now"))
        self.rescan_button.clicked.connect(self.rescan_requested)
        self.pause_button = QPushButton(self.tr("Pause indexing"))
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause)
        for b in (self.add_button, self.remove_button, self.rescan_button, self.pause_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        folders_row.addLayout(buttons)
        layout.addLayout(folders_row)

        self.summary = QLabel()
        layout.addWidget(self.summary)
        filters = QHBoxLayout()
        self.filter = QComboBox()
        for name, _ in FILTERS:
            self.filter.addItem(self.tr(name))
        self.filter.currentIndexChanged.connect(lambda _: self.refresh())
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Filter by name or folder"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self._later.start())
        filters.addWidget(self.filter)
        filters.addWidget(self.search, 1)
        layout.addLayout(filters)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Folder"),
                                              self.tr("State"), self.tr("Why")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.retry_button = QPushButton(self.tr("Retry selected"))
        self.retry_button.clicked.connect(self._retry_selected)
        self.retry_all_button = QPushButton(self.tr("Retry all failed"))
        self.retry_all_button.clicked.connect(lambda: self.retry_requested.emit([]))
        self.forget_button = QPushButton(self.tr("Forget selected…"))
        self.forget_button.clicked.connect(self._forget_selected)
        for b in (self.retry_button, self.retry_all_button, self.forget_button):
            actions.addWidget(b)
        actions.addStretch(1)
        layout.addLayout(actions)
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(300)
        self._later.timeout.connect(self.refresh)
        self.resize(880, 560)

    def set_folders(self, folders: list[str]) -> None:
        self.folders.clear()
        for f in folders:
            self.folders.addItem(f)

    def set_paused(self, paused: bool) -> None:
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText(self.tr("Resume indexing") if paused
                                  else self.tr("Pause indexing"))
        self.pause_button.blockSignals(False)

    def refresh_soon(self) -> None:
        if self.isVisible():
            self._later.start()

    def refresh(self) -> None:
        catalog = self.catalog()
        states = FILTERS[self.filter.currentIndex()][1]
        records = catalog.find_files(states, self.search.text().strip())
        counts = catalog.counts()
        c = theme.colors()
        self.summary.setText(self.tr(
            "{indexed} indexed · {failed} failed · {unavailable} unavailable · {queued} "
            "queued").format(indexed=counts["files"], failed=counts["failed"],
                             unavailable=counts["unavailable"], queued=counts["pending"]))
        self.table.setRowCount(len(records))
        for row, r in enumerate(records):
            path = Path(r.key)
            state = self.tr(STATE_NAMES[r.state]) if r.state in STATE_NAMES else r.state
            if r.key == self.current_file and r.state in ("new", "indexing"):
                state = self.tr("parsing")
            why = f"{r.error or ''} [{r.reason}]" if r.state == "failed" else ""
            if r.state == "unavailable":
                why = self.tr("its folder or drive is not reachable now; kept until it returns")
            items = [QTableWidgetItem(path.name), QTableWidgetItem(str(path.parent)),
                     QTableWidgetItem(state), QTableWidgetItem(why)]
            items[2].setData(STATE_ROLE, r.state)
            items[0].setData(Qt.ItemDataRole.UserRole, r.path)
            items[0].setToolTip(tooltip(r.key))
            items[3].setToolTip(tooltip(why))
            if r.state == "failed":
                for item in items:
                    item.setForeground(_brush(c.unsupported))
            for col, item in enumerate(items):
                self.table.setItem(row, col, item)

    def failed_rows(self) -> list[int]:
        return [row for row in range(self.table.rowCount())
                if self.table.item(row, 2).data(STATE_ROLE) == "failed"]

    def _selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]

    def _retry_selected(self) -> None:
        paths = self._selected_paths()
        if paths:
            self.retry_requested.emit(paths)

    def _forget_selected(self) -> None:
        paths = self._selected_paths()
        if not paths:
            return
        answer = QMessageBox.question(
            self, self.tr("Forget files"),
            self.tr("Remove {n} file(s) from the index? The files themselves are not touched; "
                    "files inside a watched folder are not indexed again until you add them.")
            .format(n=len(paths)))
        if answer == QMessageBox.StandardButton.Yes:
            self.forget_requested.emit(paths)

    def _remove(self) -> None:
        folders = [i.text() for i in self.folders.selectedItems()]
        if folders:
            self.remove_folders_requested.emit(folders)

    def _pause(self, on: bool) -> None:
        self.set_paused(on)
        self.pause_toggled.emit(on)


def _brush(color: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))

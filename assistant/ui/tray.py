"""The system tray: an icon showing what the assistant is doing (idle, indexing, error), a
menu (Ask…, Open assistant, Pause/Resume indexing, a status line, Quit), and one notification
per indexing run that changed something or failed (never one per file).

Where the desktop has no tray (GNOME without the AppIndicator extension), :func:`available`
is false: the window then quits when closed instead of hiding where nobody can reach it.

Signals:
    ask_requested(), open_requested(), pause_toggled(bool), quit_requested()
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, QRectF, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from assistant.ui import theme
from assistant.ui.untrusted import tooltip

STATE_COLORS = {"indexing": "#1a73e8", "error": "#d93025", "paused": "#f9ab00"}


def available() -> bool:
    return bool(QSystemTrayIcon.isSystemTrayAvailable())


def why_unavailable() -> str:
    return QCoreApplication.translate(
        "Tray", "No system tray here: the desktop shows no tray icons (on GNOME, install and "
        "enable the \"AppIndicator and KStatusNotifierItem Support\" extension, e.g. the "
        "gnome-shell-extension-appindicator package). Meanwhile closing the window quits the "
        "assistant; `assistant popup` still opens a quick question.")


def state_icon(state: str) -> QIcon:
    """The app icon with a dot in the state's colour (none when idle)."""
    base = theme.app_icon()
    size = 64
    pixmap = base.pixmap(size, size)
    color = STATE_COLORS.get(state)
    if color:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("white"))
        painter.setBrush(QColor(color))
        painter.drawEllipse(QRectF(size * 0.56, size * 0.56, size * 0.4, size * 0.4))
        painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    ask_requested = Signal()
    open_requested = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.state = "idle"
        self.icon = QSystemTrayIcon(state_icon("idle"), self)
        self.icon.setToolTip(self.tr("Assistant"))
        menu = QMenu()
        self.ask_action = QAction(self.tr("Ask…"), menu)
        self.ask_action.triggered.connect(self.ask_requested)
        self.open_action = QAction(self.tr("Open assistant"), menu)
        self.open_action.triggered.connect(self.open_requested)
        self.pause_action = QAction(self.tr("Pause indexing"), menu)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self._pause)
        self.status_action = QAction(self.tr("Up to date"), menu)
        self.status_action.setEnabled(False)
        self.quit_action = QAction(self.tr("Quit"), menu)
        self.quit_action.triggered.connect(self.quit_requested)
        for action in (self.ask_action, self.open_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.pause_action)
        menu.addAction(self.status_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_state(self, state: str, status: str = "") -> None:
        if state != self.state:
            self.state = state
            self.icon.setIcon(state_icon(state))
        if status:
            self.status_action.setText(status)
            text = self.tr("Assistant — {status}").format(status=status)
            # Qt draws the tray tooltip itself (rich text guessed) only on X11; Windows and
            # macOS show the native, plain one, where markup would show as characters
            self.icon.setToolTip(text if sys.platform in ("win32", "darwin") else tooltip(text))

    def set_paused(self, paused: bool) -> None:
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(paused)
        self.pause_action.setText(self.tr("Resume indexing") if paused
                                  else self.tr("Pause indexing"))
        self.pause_action.blockSignals(False)

    def notify(self, title: str, text: str, error: bool = False) -> None:
        icon = (QSystemTrayIcon.MessageIcon.Warning if error
                else QSystemTrayIcon.MessageIcon.Information)
        self.icon.showMessage(title, text, icon, 8000)

    def _pause(self, on: bool) -> None:
        self.set_paused(on)
        self.pause_toggled.emit(on)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_requested.emit()


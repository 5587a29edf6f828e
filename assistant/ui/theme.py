"""Colours that follow the system's light or dark scheme, and the app icon.

The window uses Qt's Fusion style with a palette for the system's colour scheme (Qt 6.5+
reports it), so it looks the same on every desktop and switches live with the system.
``ASSISTANT_THEME=dark`` (or ``light``) overrides it where the desktop reports none.
Colours used inside rich text (chips, badges, highlights) come from :func:`colors`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"


def is_dark() -> bool:
    if _scheme_dark():
        return True
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(32, 33, 36), QColor(41, 42, 45), QColor(232, 234, 237)
    for role, color in [
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.PlaceholderText,
                                                 QColor(154, 160, 166)),
        (QPalette.ColorRole.Highlight, QColor(138, 180, 248)),
        (QPalette.ColorRole.HighlightedText, QColor(32, 33, 36)),
        (QPalette.ColorRole.Link, QColor(138, 180, 248)),
    ]:
        p.setColor(role, color)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(128, 128, 128))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText,
               QColor(128, 128, 128))
    return p


def apply(app: QApplication) -> None:
    """Fusion style with the palette of the system's scheme; call again when it changes."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if _scheme_dark() else app.style().standardPalette())


def _scheme_dark() -> bool:
    forced = os.environ.get("ASSISTANT_THEME", "").lower()  # "dark" or "light": no system
    if forced in ("dark", "light"):
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


@dataclass(frozen=True)
class Colors:
    text: str
    muted: str
    chip_bg: str
    chip_fg: str
    user_bg: str
    card_bg: str
    border: str
    found_bg: str  # "From N passages" badge
    found_fg: str
    missing_bg: str  # "Not in your documents" badge
    missing_fg: str
    mark_bg: str  # question words in a passage, the cited span in a document
    unsupported: str


def colors() -> Colors:
    if is_dark():
        return Colors("#e8eaed", "#9aa0a6", "#394457", "#a8c7fa", "#2d3b52", "#2a2b2e",
                      "#3c4043", "#1e3a2b", "#81c995", "#4a3b18", "#fdd663", "#5c4a00",
                      "#f28b82")
    return Colors("#202124", "#5f6368", "#dbe6fb", "#1a56c4", "#e8f0fe", "#ffffff",
                  "#dadce0", "#e6f4ea", "#137333", "#fef7e0", "#8a5a00", "#fff2a8",
                  "#c5221f")


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        png = RESOURCES / "icons" / f"assistant-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    svg = RESOURCES / "icons" / "assistant.svg"
    if svg.is_file():
        icon.addFile(str(svg))
    return icon

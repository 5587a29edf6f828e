"""Fonts for every script the documents hold: the window's own font first, then fallbacks
for Chinese, Japanese and Korean, Arabic, Hebrew and the rest, where they are installed.

Qt asks fontconfig for a fallback when a font lacks a character, but fontconfig picks by the
locale and by what is configured, and it has answered with fonts whose Han or Arabic glyphs do
not render (empty boxes in the chat, the sources and the library). Naming the fallbacks in the
application font's family list makes Qt try them first, in this order, for every widget and
every rich-text view. Han characters look different in Chinese, Japanese and Korean, so the
CJK family that matches the window's language comes first.

A label that shows one text the user did not write as one line (a question) takes that text's
direction, :func:`direction`: rich-text views find it per paragraph themselves.
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QRawFont, QTextDocument
from PySide6.QtWidgets import QApplication

CJK = {
    "zh_CN": ["Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN"],
    "zh_TW": ["Noto Sans CJK TC", "Source Han Sans TC", "Source Han Sans TW"],
    "zh_HK": ["Noto Sans CJK HK", "Source Han Sans HK", "Noto Sans CJK TC"],
    "ja": ["Noto Sans CJK JP", "Source Han Sans JP", "Source Han Sans"],
    "ko": ["Noto Sans CJK KR", "Source Han Sans KR", "Source Han Sans K"],
}
OTHER_CJK = ["WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC",
             "Hiragino Sans", "Yu Gothic", "Malgun Gothic", "Droid Sans Fallback"]
SCRIPTS = ["Noto Sans", "DejaVu Sans",  # Latin, Greek, Cyrillic
           "Noto Sans Arabic", "Noto Naskh Arabic", "Segoe UI", "Geeza Pro",  # Arabic
           "Noto Sans Hebrew", "Arial Hebrew",  # Hebrew
           "Noto Sans Devanagari", "Noto Sans Thai", "Noto Sans Armenian",
           "Noto Sans Georgian", "Noto Sans Symbols", "Noto Sans Symbols 2"]


def cjk_order(language: str) -> list[str]:
    """CJK families for a window language such as "zh_CN", "ja" or "en" (Simplified first
    where the language has none of its own)."""
    lang = language.replace("-", "_")
    key = lang if lang in CJK else lang.split("_")[0]
    if key == "zh":
        key = "zh_CN"
    first = CJK.get(key, [])
    rest = [f for k in ("zh_CN", "ja", "ko", "zh_TW", "zh_HK") for f in CJK[k]]
    return first + [f for f in rest if f not in first] + OTHER_CJK


def families(language: str = "en", primary: str = "") -> list[str]:
    """The family list for the window: ``primary`` (the system's UI font), then the
    installed fallbacks."""
    installed = set(QFontDatabase.families())
    wanted = [primary] if primary else []
    for family in SCRIPTS[:2] + cjk_order(language) + SCRIPTS[2:]:
        if family in installed and family not in wanted:
            wanted.append(family)
    return wanted


def apply(app: QApplication, language: str = "en") -> list[str]:
    """Give the application font the fallback list; returns it."""
    font = app.font()
    chosen = families(language, font.family())
    font.setFamilies(chosen)
    app.setFont(font)
    return chosen


def missing(text: str, font: QFont | None = None) -> list[str]:
    """The characters of ``text`` that no font of ``font``'s family list has (Qt would then
    ask fontconfig, or draw a box): [] when the list covers them all."""
    font = font or QApplication.font()
    raws = [QRawFont.fromFont(QFont(family, 12)) for family in font.families() or
            [font.family()]]
    return [ch for ch in text if ch.isprintable() and not ch.isspace() and not any(
        raw.isValid() and raw.supportsCharacter(ord(ch)) for raw in raws)]


def boxes(document: QTextDocument) -> int:
    """How many glyphs of a laid-out document are a font's "missing glyph" (glyph 0, the box
    or blank a user sees instead of the character): 0 when every character renders."""
    document.size()  # lays it out
    count = 0
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount() if layout is not None else 0):
            for run in layout.lineAt(i).glyphRuns():
                count += sum(1 for glyph in run.glyphIndexes() if glyph == 0)
        block = block.next()
    return count


def direction(text: str) -> Qt.LayoutDirection:
    """Right to left when the first letter with a strong direction is Arabic, Hebrew or
    another right-to-left script (Unicode's rule for a paragraph), else left to right."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return Qt.LayoutDirection.RightToLeft
        if kind == "L":
            return Qt.LayoutDirection.LeftToRight
    return Qt.LayoutDirection.LeftToRight

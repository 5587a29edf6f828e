"""The engine's and the command line's own texts in the user's language: one catalog.

A message is looked up by its English text (as gettext does), so code reads in English and a
missing translation falls back to it. Answers speak the question's language
(:func:`assistant.core.text.detect_language`); the command line's other messages follow the
terminal's locale (:func:`locale_language`). The window has its own catalog, Qt's (.ts/.qm
in assistant/ui/i18n), since Qt's tools extract and check those strings.

To add a language: a dict beside ZH with every key of ZH, and an entry in CATALOG; a test
checks that every message used in the code has a translation in each catalog.
"""

from __future__ import annotations

import os

# Simplified Chinese.
ZH: dict[str, str] = {
    "I can't find the answer to that in your documents.": "在你的文档中找不到这个问题的答案。",
    "Sources:": "来源：",
    "Closest passages (they don't answer it):": "最接近的段落（它们没有回答这个问题）：",
    "Checked against your documents:": "已对照你的文档核对：",
    "Not backed by your documents": "你的文档不支持这些内容",
    "No passages found. Index some documents first: assistant index PATH":
        "没有找到段落。请先索引一些文档：assistant index 路径",
    "page {page}": "第 {page} 页",
}

CATALOG: dict[str, dict[str, str]] = {"zh": ZH}


def translate(message: str, lang: str, **values: object) -> str:
    """``message`` in language ``lang`` (an ISO 639-1 code, or a locale such as zh_CN), with
    ``{name}`` placeholders filled from ``values``."""
    table = CATALOG.get(_code(lang), {})
    text = table.get(message, message)
    return text.format(**values) if values else text


def _code(lang: str) -> str:
    return lang.replace("-", "_").split("_")[0].split(".")[0].lower()


def locale_language() -> str:
    """The terminal's language: ASSISTANT_LANG, else the POSIX locale variables in the order
    gettext reads them ("en" when none is set or it is C/POSIX)."""
    for name in ("ASSISTANT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(":")[0]
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return _code(value)
    return "en"

"""Traditional to Simplified Chinese, one character at a time, so that 臺灣 finds 台湾.

The table is OpenCC's (Apache-2.0), read from the pinned ``opencc-python-reimplemented``
package the first time Chinese text is analysed: its Taiwan and Hong Kong variant tables
(臺 -> 台 as written in Taiwan) and then its Traditional -> Simplified characters. A
character with several simplified forms takes the first, OpenCC's default. Phrase tables
are not used: a search needs the same key for the same character everywhere, not the
best rendering of a sentence.
"""

from __future__ import annotations

import threading
from importlib import resources

_TABLES = ("TWVariantsRev.txt", "HKVariantsRev.txt", "TSCharacters.txt")
_lock = threading.Lock()
_table: dict[int, str] | None = None


def _read(name: str) -> dict[str, str]:
    out = {}
    text = resources.files("opencc").joinpath("dictionary", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            out[source] = targets.split()[0]
    return out


def table() -> dict[int, str]:
    """``str.translate`` table, loaded once (about 4,000 characters, a few ms)."""
    global _table
    with _lock:
        if _table is None:
            variants: dict[str, str] = {}
            for name in _TABLES[:2]:
                variants.update(_read(name))
            simplified = _read(_TABLES[2])
            merged = dict(simplified)
            for ch, standard in variants.items():
                merged[ch] = simplified.get(standard, standard)
            _table = {ord(k): v for k, v in merged.items() if len(v) == 1 and v != k}
        return _table


def simplified(text: str) -> str:
    return text.translate(table())

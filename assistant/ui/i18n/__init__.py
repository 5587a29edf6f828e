"""The window's language: Qt's translation system for every string the window shows.

Strings are marked in the UI modules with ``self.tr()`` (or ``QCoreApplication.translate()``
outside a class); ``assistant_<lang>.ts`` here holds their translations, written by hand, and
``assistant_<lang>.qm`` is what Qt loads, compiled from it with ``pyside6-lrelease`` (both are
committed; ``tests/ui/test_i18n.py`` fails when a marked string has no translation or the .qm
is older than its .ts). To add a string: mark it, run ``python -m assistant.ui.i18n update``
(pyside6-lupdate adds it to every .ts as unfinished), translate it, run
``python -m assistant.ui.i18n release``.

The language follows the system (``QLocale.system()``: LANGUAGE, LC_ALL, LC_MESSAGES, LANG);
``ASSISTANT_LANG=zh_CN`` (or ``en``) overrides it, and so does the choice in Settings, Desktop
(kept with the window's view state, applied at the next start). Qt's own strings (the
buttons of standard dialogs) come from the qtbase translations PySide6 ships.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

HERE = Path(__file__).resolve().parent
DOMAIN = "assistant"
ENV = "ASSISTANT_LANG"
# The languages the window can be shown in: (code, name in that language).
LANGUAGES = [("en", "English"), ("zh_CN", "简体中文")]
SETTING = "view/language"  # in the window's view state (window.ini); "" = the system's

_installed: list[QTranslator] = []


def saved_choice() -> str:
    """The language chosen in the settings ("" when none: the system's)."""
    from assistant import paths

    s = QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)
    value = s.value(SETTING, "")
    return value if isinstance(value, str) else ""


def save_choice(code: str) -> None:
    from assistant import paths

    s = QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)
    s.setValue(SETTING, code)
    s.sync()


def wanted_locale(env: Mapping[str, str] | None = None, saved: str | None = None) -> QLocale:
    """The locale the window speaks: ASSISTANT_LANG, else the saved choice, else the
    system's."""
    env = os.environ if env is None else env
    forced = env.get(ENV, "").strip() or (saved_choice() if saved is None else saved)
    if forced:
        return QLocale(forced.split(".")[0].replace("-", "_"))
    return QLocale.system()


def install(app: QCoreApplication | None = None, locale: QLocale | None = None) -> str:
    """Load the translations for ``locale`` (default :func:`wanted_locale`) into the app,
    replacing those loaded before; returns the file loaded ("" when the window stays in
    English, its source language)."""
    app = app or QCoreApplication.instance()
    if app is None:
        return ""
    remove(app)
    locale = wanted_locale() if locale is None else locale
    QLocale.setDefault(locale)  # dates and numbers in the window's language too
    if locale.language() in (QLocale.Language.English, QLocale.Language.C):
        return ""
    ours = QTranslator(app)
    if not ours.load(locale, DOMAIN, "_", str(HERE)):
        return ""
    app.installTranslator(ours)
    _installed.append(ours)
    qt = QTranslator(app)  # Qt's standard dialogs and buttons (OK, Cancel, Save...)
    if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.
                                                        TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    return ours.filePath()


def remove(app: QCoreApplication | None = None) -> None:
    """Back to English (the tests switch languages)."""
    app = app or QCoreApplication.instance()
    while _installed:
        translator = _installed.pop()
        if app is not None:
            app.removeTranslator(translator)


def language() -> str:
    """The language the window speaks now ("en" when no translation is loaded)."""
    for translator in _installed:
        if translator.filePath().startswith(str(HERE)):
            return translator.language().replace("-", "_") or "en"
    return "en"


# Maintenance: extract marked strings into the .ts files, compile them -----------------


def tool(name: str) -> str:
    """pyside6-lupdate or pyside6-lrelease: beside this Python, on the PATH, or in PySide6."""
    here = Path(sys.executable).parent / f"pyside6-{name}"
    if here.exists():
        return str(here)
    found = shutil.which(f"pyside6-{name}") or shutil.which(name)
    if found:
        return found
    import PySide6

    bundled = Path(PySide6.__file__).parent / name
    if bundled.exists():
        return str(bundled)
    raise FileNotFoundError(f"pyside6-{name} not found (it comes with PySide6)")


def sources() -> list[Path]:
    """The UI modules whose marked strings are translated."""
    ui = HERE.parent
    return sorted(p for p in ui.glob("*.py"))


def ts_files() -> list[Path]:
    return sorted(HERE.glob(f"{DOMAIN}_*.ts"))


def update(ts: list[Path] | None = None) -> None:
    """Add newly marked strings to the .ts files (unfinished) and drop vanished ones."""
    subprocess.run([tool("lupdate"), "-no-obsolete", "-locations", "none",
                    *map(str, sources()), "-ts", *map(str, ts or ts_files())], check=True)


def release(ts: Path, qm: Path | None = None) -> Path:
    qm = qm or ts.with_suffix(".qm")
    subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
    return qm


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["update"]:
        update()
    elif args[:1] == ["release"]:
        for ts in ts_files():
            print(release(ts))
    else:
        print("usage: python -m assistant.ui.i18n update|release")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

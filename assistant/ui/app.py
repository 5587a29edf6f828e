"""Start the desktop app: the window is up and takes typing at once; the embedder and the
language model load in the background (the status line says so), and a question asked
before they are ready waits for them. The window speaks the system's language where it has a
translation (assistant/ui/i18n) and its fonts cover every script (assistant/ui/fonts.py)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from assistant.ui import fonts, i18n, theme


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("assistant")
    app.setOrganizationName("assistant")
    app.setWindowIcon(theme.app_icon())
    theme.apply(app)
    if not getattr(app, "_assistant_language", None):  # once: tests make the app many times
        i18n.install(app)
        fonts.apply(app, i18n.language())
        app._assistant_language = i18n.language()  # type: ignore[attr-defined]
    app.setApplicationDisplayName(app.translate("MainWindow", "Assistant"))
    hints = app.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda *_: theme.apply(app))
    return app


def start(paths: list[Path] | None = None, settings: Any = None,
          popup: bool = False, hidden: bool = False) -> tuple[Any, Any]:
    """The engine and the shown window (the caller runs the event loop). The app listens on
    its data directory's socket: a second launch and terminal commands come to it."""
    from assistant import cli
    from assistant.ui.engine import AppEngine
    from assistant.ui.instance import InstanceServer
    from assistant.ui.main_window import MainWindow

    engine = AppEngine(settings)
    window = MainWindow(engine)
    server = InstanceServer(
        engine.services.data_dir,
        lambda argv, write, terminal: cli.serve(engine.services, argv, write, terminal), window)
    if not server.listen():
        engine.error.emit(server.problem)
    server.show_requested.connect(lambda p: window.bring_up([Path(x) for x in p]))
    server.popup_requested.connect(window.show_quick_ask)
    window.instance = server
    if not (hidden and window.tray is not None):  # hidden only where the tray can bring it up
        window.show()
    QTimer.singleShot(0, engine.preload)
    if paths:
        QTimer.singleShot(0, lambda: window.add_paths(list(paths)))
    if popup:
        QTimer.singleShot(0, window.show_quick_ask)
    return engine, window


def quit_on_signals(window: Any) -> QTimer:
    """SIGTERM (logout, `kill`) and Ctrl+C in the launching terminal quit like the Quit menu:
    the writer stops its batch, a running answer stops, the stores close. Python runs signal
    handlers only between bytecodes, so a timer gives it a turn while Qt waits for events."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: QTimer.singleShot(0, window.quit_app))
    timer = QTimer(window)
    timer.setInterval(200)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def no_display_reason() -> str:
    """Why no window can open here ("" when one can): Qt would abort instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return ("there is no display here (DISPLAY and WAYLAND_DISPLAY are not set). "
            "Run it in your desktop session, or try the command line: `assistant demo`, "
            "`assistant index PATH`, `assistant ask \"...\"`")


def platform_problem() -> str:
    """What this system lacks for Qt's platform plugin ("" when it can load). Asked before the
    QApplication exists: once Qt fails to load it, Qt aborts the process (SIGABRT, a core
    dump) with its own advice, which named libxcb-cursor0 on a machine that had it."""
    from assistant import syslibs

    return syslibs.gui_problem()


def main(argv: list[str] | None = None, paths: list[Path] | None = None,
         popup: bool = False, hidden: bool = False, hand_over: bool = True) -> int:
    """The app; ``hand_over=False`` when the caller already tried the running one."""
    os.umask(0o077)
    reason = no_display_reason()
    if reason:
        print(f"assistant: cannot open the window: {reason}", file=sys.stderr)
        return 1
    if hand_over:
        from assistant import ipc

        if ipc.hand_over_launch(paths or [], popup, hidden):
            return 0
    missing = platform_problem()
    if missing:
        print(f"assistant: cannot open the window: {missing}", file=sys.stderr)
        return 1
    app = make_app(argv)
    try:
        engine, window = start(paths, popup=popup, hidden=hidden)
    except Exception as exc:  # noqa: BLE001 - a broken config, an unreadable data dir
        box = QMessageBox(QMessageBox.Icon.Critical,
                          app.translate("MainWindow", "Assistant can't start"), str(exc))
        box.setTextFormat(Qt.TextFormat.PlainText)  # the reason may name a path
        box.exec()
        return 1
    quit_on_signals(window)
    try:
        code = int(app.exec())
    finally:
        window.save_view_state()
        window.instance.close()
        closed = engine.close(ending=True)
    if not closed:  # the writer is mid-batch (encoding): the process ends without waiting
        from assistant.exiting import leave

        leave(code)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

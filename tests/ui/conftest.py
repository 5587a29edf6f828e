"""The real window on the real engine (session models shared), offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def engine(services, qapp):
    from assistant.ui.app import make_app
    from assistant.ui.engine import AppEngine

    make_app()
    e = AppEngine(services=services)
    yield e
    e.close()


@pytest.fixture
def window(engine, qtbot):
    from assistant.ui.main_window import MainWindow

    w = MainWindow(engine)
    w.quit_on_close = False
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def wait_indexed(qtbot, engine, files: int, timeout: int = 120_000) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: engine.services.catalog.counts()["files"] >= files
                    and engine.writer.state in ("idle", "paused"), timeout=timeout)


def ask(qtbot, window, question: str, timeout: int = 120_000):  # noqa: ANN001, ANN201
    with qtbot.waitSignal(window.answer_finished, timeout=timeout) as blocker:
        window.question.setPlainText(question)
        window.send()
    return blocker.args[0]


def drop(window, paths: list[Path]) -> None:  # noqa: ANN001
    """A real drop event on the window, as the desktop sends it."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window refused the drag"
    event = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    assert event.isAccepted(), "the window refused the drop"


@pytest.fixture(scope="session")
def xvfb():
    """A private X server (Xvfb) for what needs a real X11 desktop: global shortcuts, a
    tray host. Skipped, with the reason, where Xvfb or xdotool is missing (`make test`
    installs them where it can)."""
    import shutil
    import subprocess
    import time

    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (Debian: apt install xvfb xdotool)")
    for number in range(91, 120):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            break
    display = f":{number}"
    # -noreset: without it the server resets whenever its last client leaves, and a client
    # connecting meanwhile is dropped
    server = subprocess.Popen(["Xvfb", display, "-noreset", "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.skip(f"Xvfb did not start on {display}")
        time.sleep(0.05)
    yield display
    server.terminate()
    server.wait(10)


def xdotool(display: str, *args: str) -> str:
    import subprocess

    return subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=30).stdout


def stop_app(app) -> int:  # noqa: ANN001
    """SIGTERM an app started by a test (as a logout does); killed if it hangs."""
    import signal
    import subprocess

    app.send_signal(signal.SIGTERM)
    try:
        return app.wait(15)
    except subprocess.TimeoutExpired:
        app.kill()
        app.wait(10)
        raise


def always_ask_the_model(engine, max_tokens: int = 400) -> None:  # noqa: ANN001
    """Long model answers whatever the evidence (for stopping and quitting mid-answer)."""
    from assistant.core.answer import Thresholds

    engine.services.answerer.max_answer_tokens = max_tokens
    engine.services.answerer.thresholds = Thresholds(skip_model=-9.0, quote=-9.0, keys=0.0)


@pytest.fixture(autouse=True)
def english_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window in its source language whatever the machine's locale (the tests read its
    English strings); tests/ui/test_i18n.py switches to Chinese where it checks that."""
    monkeypatch.setenv("ASSISTANT_LANG", "en")

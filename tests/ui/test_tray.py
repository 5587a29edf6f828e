"""The tray, the quick-ask popup, and one running instance per data folder: a second launch
hands over to the running app, terminal commands are served by it, and a socket left by a
killed app does not get in the way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from assistant.services import Services
from tests.ui.conftest import always_ask_the_model, stop_app, wait_indexed

pytestmark = [pytest.mark.ui, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tray_window(engine, qtbot, monkeypatch: pytest.MonkeyPatch):
    """The window as on a desktop with a tray (offscreen has none; the menu is the same)."""
    from assistant.ui import tray
    from assistant.ui.main_window import MainWindow

    monkeypatch.setattr(tray, "available", lambda: True)
    w = MainWindow(engine)
    quits: list[bool] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.quit", lambda *a: quits.append(True))
    w.quits = quits
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_tray_menu_pause_ask_and_quit(tray_window, engine, qtbot) -> None:
    w = tray_window
    assert w.tray is not None
    w.tray.pause_action.trigger()
    assert engine.writer.paused and w.tray.pause_action.text() == "Resume indexing"
    w.tray.pause_action.trigger()
    assert not engine.writer.paused
    w.close()  # closing keeps the app in the tray
    assert not w.isVisible() and w.quits == []
    w.tray.ask_action.trigger()
    assert w.quick is not None and w.quick.isVisible()
    w.tray.open_action.trigger()
    assert w.isVisible()
    w.tray.quit_action.trigger()  # Quit really quits
    assert w.quits == [True] and not w.quick.isVisible()


def test_without_a_tray_closing_quits_and_settings_say_why(window, monkeypatch) -> None:
    from assistant.ui import tray

    assert not tray.available() and window.tray is None  # offscreen: no tray host
    quits: list[bool] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.quit", lambda *a: quits.append(True))
    window.quit_on_close = True
    window.close()
    assert quits == [True]
    assert "AppIndicator" in tray.why_unavailable()


def test_quick_ask_streams_opens_a_source_and_continues_in_the_window(
        window, engine, qtbot, tmp_path: Path) -> None:
    (tmp_path / "kites.md").write_text("# Kites\n\nThe red kite nests in tall oak trees "
                                       "near the river.\n")
    window.add_paths([tmp_path / "kites.md"])
    wait_indexed(qtbot, engine, 1)
    t0 = time.perf_counter()
    quick = window.show_quick_ask()
    assert quick.isVisible() and time.perf_counter() - t0 < 0.15
    quick.question.setText("Where does the red kite nest?")
    with qtbot.waitSignal(quick.answer_finished, timeout=120_000) as blocker:
        QTest.keyClick(quick.question, Qt.Key.Key_Return)
    card = blocker.args[0]
    assert card.done is not None and not card.done["abstained"]
    assert "kites.md" in quick.sources.text()
    quick._open("0")  # a compact source opens the main window's viewer
    qtbot.waitUntil(lambda: window.viewer.source is not None, timeout=10_000)
    assert window.viewer.source["path"].endswith("kites.md")
    quick.continue_button.click()
    assert not quick.isVisible()
    messages = engine.conversations.messages(window.conversation_id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert window.chat.answers()[0].done is not None
    quick2 = window.show_quick_ask()
    QTest.keyClick(quick2, Qt.Key.Key_Escape)
    assert not quick2.isVisible()


def _corpus(folder: Path, n: int, paragraphs: int = 12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"doc{i:03}.md").write_text(f"# Document {i}\n\n" + "\n\n".join(
            f"Paragraph {j} of document {i} is about harbours, tides and boats."
            for j in range(paragraphs)))
    return folder


def test_quit_during_indexing_and_generation_is_done_within_5_seconds(
        window, engine, qtbot, tmp_path: Path) -> None:
    """Quit while 200 documents are being indexed and an answer streams: the writer stops its
    batch, the answer stops, the stores close, all within 5 s, and the index is consistent."""
    (tmp_path / "tides.md").write_text("# Tides\n\n" + " ".join(
        f"Harbour {i} floods at spring tide and has {i + 3} moorings." for i in range(40)))
    window.add_paths([tmp_path / "tides.md"])
    wait_indexed(qtbot, engine, 1)
    always_ask_the_model(engine)
    window.add_paths([_corpus(tmp_path / "many", 200)])
    window.question.setPlainText("Describe every harbour and its moorings, one by one.")
    window.send()
    card = window.chat.answers()[-1]
    qtbot.waitUntil(lambda: len(card.draft) > 0 and engine.writer.state == "indexing",
                    timeout=120_000)
    t0 = time.perf_counter()
    window.quit_app()
    engine.close()
    took = time.perf_counter() - t0
    assert took < 5, f"quitting took {took:.1f} s"
    assert not engine.services.generator.lane.locked()
    assert engine.services.catalog.counts()["files"] < 201  # it stopped mid-run
    # The next start repairs what the stopped batch left, as after a crash.
    again = Services(engine.services.settings, embedder=engine.services.embedder,
                     generator=engine.services.generator)
    try:
        again.indexer  # noqa: B018 - takes the writer lock and repairs
        ids, stored = again.catalog.chunk_ids(), again.store.ids()
        assert ids <= stored and again.catalog.fts_count() == len(ids)
        # what is stored beyond the catalog belongs to the interrupted files, kept for reuse
        interrupted = {str(f.id) for f in again.catalog.files("indexing")}
        assert {i.split("-", 1)[0] for i in stored - ids} <= interrupted
    finally:
        again.close()


def test_sigterm_while_indexing_quits_cleanly(tmp_path: Path) -> None:
    """Logging out sends SIGTERM: the app quits as from its menu (exit 0, within 5 s) and
    the next start finds a consistent index."""
    home = tmp_path / "home"
    app = _app(home, str(_corpus(tmp_path / "many", 300, paragraphs=60)))
    try:
        _wait_for_socket(home)
        deadline = time.monotonic() + 120
        while True:
            status = _cli(home, "status", "--json")
            assert status.returncode == 0, status.stderr
            if json.loads(status.stdout)["files"] >= 3:
                break
            assert time.monotonic() < deadline
            time.sleep(0.5)
    finally:
        t0 = time.monotonic()
        rc = stop_app(app)
    took = time.monotonic() - t0
    assert rc == 0, app.stderr.read() if app.stderr else ""
    assert took < 5, f"SIGTERM to exit took {took:.1f} s"
    after = _cli(home, "status", "--json")
    assert after.returncode == 0, after.stderr
    assert 3 <= json.loads(after.stdout)["files"] < 300


def _app(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ASSISTANT_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "assistant", "gui", *args], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _wait_for_socket(home: Path, timeout: float = 60) -> None:
    from assistant import ipc

    data = home / "data"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = ipc.connect(data)
        if conn is not None:
            conn.close()
            return
        time.sleep(0.2)
    raise AssertionError("the app did not start listening")


def test_second_launch_hands_over_and_terminal_commands_are_served(tmp_path: Path) -> None:
    home = tmp_path / "home"
    note = tmp_path / "herons.md"
    note.write_text("# Herons\n\nThe grey heron nests in colonies called heronries.\n")
    app = _app(home)
    try:
        _wait_for_socket(home)
        t0 = time.monotonic()
        second = _cli(home, "gui", str(note), timeout=60)
        handed = time.monotonic() - t0
        assert second.returncode == 0, second.stderr
        assert handed < 5  # hand-over itself (the client's Python start-up included)
        deadline = time.monotonic() + 120
        while True:  # served by the running app: no second writer, same output
            status = _cli(home, "status", "--json")
            assert status.returncode == 0, status.stderr
            if json.loads(status.stdout)["files"] == 1:
                break
            assert time.monotonic() < deadline, status.stdout
            time.sleep(1)
        search = _cli(home, "search", "--json", "-k", "1", "Where do herons nest?")
        assert search.returncode == 0 and "heronries" in search.stdout
        _api_served_by_the_app(home)
        from assistant import ipc  # the Windows client (QLocalSocket), same protocol

        conn = ipc.connect(home / "data", qt=True)
        assert conn is not None
        conn.send({"cmd": "run", "argv": ["status", "--json"], "tty": False})
        replies = []
        for message in conn.messages():
            replies.append(message)
            if "exit" in message:
                break
        conn.close()
        assert replies[-1] == {"exit": 0}
        assert json.loads("".join(m.get("out", "") for m in replies))["files"] == 1
        busy = _cli(home, "watch", str(tmp_path))  # a second writer is refused, clearly
        assert busy.returncode != 0 and "already indexing" in busy.stderr
    finally:
        app.send_signal(signal.SIGKILL)  # killed: leaves its socket file behind
        app.wait(30)
    # A terminal command after the kill runs on its own; a new app replaces the stale socket.
    alone = _cli(home, "status", "--json")
    assert alone.returncode == 0 and json.loads(alone.stdout)["files"] == 1
    app = _app(home)
    try:
        _wait_for_socket(home)
        assert _cli(home, "status", "--json").returncode == 0
    finally:
        stop_app(app)


def _api_served_by_the_app(home: Path) -> None:
    """`assistant serve` with the app running: the app serves the API, on its own engine."""
    import http.client

    from tests.servers import free_port

    port = free_port()
    served = _cli(home, "serve", "--port", str(port))
    assert served.returncode == 0, served.stderr
    assert f"The running app serves the API at http://127.0.0.1:{port}" in served.stdout
    token = (home / "data" / "api-token").read_text().strip()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/search?q=Where+do+herons+nest&k=1",
                 headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    assert resp.status == 200 and "heronries" in resp.read().decode()
    conn.close()
    again = _cli(home, "serve", "--port", str(port))  # already served: the same address
    assert again.returncode == 0 and f"127.0.0.1:{port}" in again.stdout


def test_one_notification_per_indexing_run(tray_window, engine, qtbot,
                                           tmp_path: Path) -> None:
    w = tray_window
    shown: list[tuple[str, str, bool]] = []
    w.tray.notify = lambda title, text, error=False: shown.append((title, text, error))
    w.close()  # in the tray: the user is elsewhere
    folder = _corpus(tmp_path / "notes", 6)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n% cut short\n")
    w.add_paths([folder])
    wait_indexed(qtbot, engine, 6)
    qtbot.waitUntil(lambda: any(n[0] != "Assistant is still running" for n in shown),
                    timeout=30_000)
    qtbot.wait(500)  # nothing more comes for this run
    runs = [n for n in shown if n[0] != "Assistant is still running"]  # the one-time hint
    assert len(runs) == 1, runs
    title, text, error = runs[0]
    assert title == "Indexing finished" and "6 added" in text and "1 could not be read" in text
    assert error and w.tray.state in ("idle", "error")
    # a later edit is picked up by the watcher quietly: no notification per change
    (folder / "doc000.md").write_text("# Document 0\n\nNow about lighthouses.\n")
    qtbot.waitUntil(lambda: any("lighthouses" in p.text for p in
                                engine.services.retriever.search("lighthouses", 3)),
                    timeout=60_000)
    qtbot.wait(300)
    assert [n for n in shown if n[0] != "Assistant is still running"] == runs


def test_desktop_settings_switch_the_shortcut_off_and_start_at_login(
        window, engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.ui.settings_dialog import SettingsDialog

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    dialog = SettingsDialog(engine.settings, parent=window,
                            shortcut_status=window.shortcut.status)
    assert "offscreen" in dialog.shortcut_status.text()  # why it is not registered here
    assert "assistant popup" in dialog.popup_command.text()  # the fallback to bind
    dialog.shortcut_on.setChecked(False)
    dialog.autostart.setChecked(True)
    dialog._save()
    assert dialog.changes == {("desktop", "shortcut_enabled"): False}
    assert dialog.autostart_wanted is True
    for (section, key), value in dialog.changes.items():
        engine.save_setting(section, key, value)
    window._apply_settings()
    window.apply_shortcut()
    assert window.shortcut.status.startswith("Off") and not window.shortcut.registered
    assert "starts at login" in window.set_autostart(True)
    assert (tmp_path / "cfg" / "autostart" / "assistant.desktop").is_file()
    window.set_autostart(False)
    assert not (tmp_path / "cfg" / "autostart" / "assistant.desktop").exists()

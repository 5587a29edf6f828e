"""The global quick-ask shortcut on a real X server (Xvfb): registered only when switched
on, fired by a real key press, a combination another program holds is reported (never a
silent failure), and where no backend works the status says why."""

from __future__ import annotations

import pytest

from tests.ui.conftest import stop_app, xdotool

pytestmark = pytest.mark.ui


@pytest.fixture
def on_x11(xvfb, monkeypatch: pytest.MonkeyPatch):
    """This process's Qt stays offscreen; the shortcut backend talks to the Xvfb server."""
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "xcb"))
    return xvfb


def other_program_can_grab(display: str, sequence: str) -> bool:
    from assistant.ui.shortcut import _X11, ShortcutError

    try:
        grab = _X11(sequence, lambda: None)
    except ShortcutError:
        return False
    grab.close()
    return True


def test_the_shortcut_opens_the_popup_and_is_released(on_x11, qapp, qtbot) -> None:
    from assistant.ui.shortcut import GlobalShortcut

    shortcut = GlobalShortcut()
    assert shortcut.apply(True, "Ctrl+Alt+Space"), shortcut.status
    assert "Registered" in shortcut.status
    assert not other_program_can_grab(on_x11, "Ctrl+Alt+Space")  # it is really held
    with qtbot.waitSignal(shortcut.activated, timeout=5_000):
        xdotool(on_x11, "key", "ctrl+alt+space")
    with qtbot.waitSignal(shortcut.activated, timeout=5_000):  # NumLock on: still works
        xdotool(on_x11, "key", "Num_Lock", "ctrl+alt+space", "Num_Lock")
    shortcut.apply(True, "Ctrl+Shift+K")  # a new combination replaces the old one
    assert other_program_can_grab(on_x11, "Ctrl+Alt+Space")
    with qtbot.waitSignal(shortcut.activated, timeout=5_000):
        xdotool(on_x11, "key", "ctrl+shift+k")
    shortcut.remove()
    assert other_program_can_grab(on_x11, "Ctrl+Shift+K")


def test_a_disabled_shortcut_is_never_registered(on_x11, qapp) -> None:
    from assistant.ui.shortcut import GlobalShortcut

    shortcut = GlobalShortcut()
    assert not shortcut.apply(False, "Ctrl+Alt+Space")
    assert shortcut.status.startswith("Off") and not shortcut.registered
    assert other_program_can_grab(on_x11, "Ctrl+Alt+Space")


def test_a_combination_held_by_another_program_is_reported(on_x11, qapp) -> None:
    from assistant.ui.shortcut import _X11, GlobalShortcut

    other = _X11("Ctrl+Alt+J", lambda: None)
    try:
        shortcut = GlobalShortcut()
        assert not shortcut.apply(True, "Ctrl+Alt+J")
        assert "already taken by another program" in shortcut.status
    finally:
        other.close()


def test_without_a_backend_the_status_says_why(qapp) -> None:
    from assistant.ui.shortcut import GlobalShortcut, ShortcutError, _portal_trigger, split

    shortcut = GlobalShortcut()  # offscreen Qt: no global shortcuts at all
    assert not shortcut.apply(True, "Ctrl+Alt+Space")
    assert shortcut.status.startswith("Not registered") and "offscreen" in shortcut.status
    assert split("Ctrl+Alt+Space") == ({"ctrl", "alt"}, "Space")
    assert _portal_trigger("Meta+Shift+A") == "SHIFT+LOGO+a"
    with pytest.raises(ShortcutError, match="at least one of"):
        split("F5")


def test_the_real_app_at_login_sits_in_the_tray_and_the_shortcut_asks(xvfb, tmp_path,
                                                                     monkeypatch) -> None:
    """`assistant gui --hidden` (what the login entry runs) on a real X11 desktop with a tray
    host: no window, an icon in the tray; the global shortcut opens the popup; a second
    launch brings the window up."""
    import os
    import shutil
    import subprocess
    import sys
    import time
    from pathlib import Path

    if shutil.which("trayer") is None:
        pytest.skip("needs a tray host: trayer (Debian: apt install trayer)")
    monkeypatch.setenv("DISPLAY", xvfb)  # for other_program_can_grab
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb",
           "ASSISTANT_HOME": str(tmp_path / "home")}
    tray_host = subprocess.Popen(["trayer", "--edge", "top", "--align", "right"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def visible(name: str) -> bool:
        return bool(xdotool(xvfb, "search", "--onlyvisible", "--name", name).strip())

    def wait(condition, seconds: float = 30) -> bool:  # noqa: ANN001
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return False

    app = subprocess.Popen([sys.executable, "-m", "assistant", "gui", "--hidden"], cwd=repo,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        from assistant import ipc

        started = wait(lambda: app.poll() is not None or (
            (c := ipc.connect(tmp_path / "home" / "data")) is not None and (c.close() or True)),
            60)
        assert started and app.poll() is None, (
            f"the app did not start (exit code {app.poll()}): "
            f"{app.stderr.read() if app.poll() is not None else ''}")
        time.sleep(1)
        assert not visible("^Assistant$"), "--hidden showed the window"
        assert wait(lambda: not other_program_can_grab(xvfb, "Ctrl+Alt+Space")), \
            "the shortcut was not registered"
        xdotool(xvfb, "key", "ctrl+alt+space")
        assert wait(lambda: visible("Ask the assistant"), 10), "the shortcut opened nothing"
        second = subprocess.run([sys.executable, "-m", "assistant", "gui"], cwd=repo, env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert wait(lambda: visible("^Assistant$"), 10), "a second launch did not show it"
    finally:
        stop_app(app)
        tray_host.terminate()
        tray_host.wait(10)
    assert app.returncode == 0, app.stderr.read()
    assert other_program_can_grab(xvfb, "Ctrl+Alt+Space")  # released on quit

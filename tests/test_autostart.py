"""Start at login: the entry each platform reads, pointing at this installation's app with
--hidden; switching it off removes it."""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path

import pytest

from assistant import autostart


def test_the_linux_entry_starts_this_app_hidden_and_goes_away(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg dir"))
    monkeypatch.setattr("sys.executable", str(tmp_path / "my env" / "bin" / "python"))
    assert not autostart.enabled()
    path = autostart.set_enabled(True)
    assert path == tmp_path / "cfg dir" / "autostart" / "assistant.desktop" and autostart.enabled()
    entry = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    # the Exec line (quoted per the Desktop Entry spec) gives back the exact command
    assert shlex.split(entry["Exec"]) == [str(tmp_path / "my env" / "bin" / "python"), "-I",
                                          "-m", "assistant", "gui", "--hidden"]
    autostart.set_enabled(False)
    assert not path.exists() and not autostart.enabled()


def test_the_macos_and_windows_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["/Applications/Assistant.app/Contents/MacOS/python", "-m", "assistant", "gui",
            "--hidden"]
    monkeypatch.setattr("sys.platform", "darwin")
    plist = plistlib.loads(autostart.render(argv))
    assert plist["ProgramArguments"] == argv and plist["RunAtLoad"] is True
    assert autostart.entry_path().name == "org.assistant.desktop.plist"
    monkeypatch.setattr("sys.platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path))
    assert autostart.entry_path().parent.name == "Startup"
    script = autostart.render([r"C:\Program Files\Assistant\pythonw.exe", "-m", "assistant",
                               "gui", "--hidden"]).decode()
    assert 'start "" "C:\\Program Files\\Assistant\\pythonw.exe" "-m"' in script

"""Start the app at login, hidden in the tray: an XDG autostart entry on Linux, a LaunchAgent
on macOS, a file in the Startup folder on Windows. The file itself is the setting (the
user may also remove it by hand, or through their desktop's own startup settings)."""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path

LABEL = "org.assistant.desktop"


def launcher(*args: str) -> list[str]:
    """This installation's app with ``args``, as a command line that works from anywhere
    (a login, a desktop keyboard shortcut): absolute paths, no activated venv needed."""
    if getattr(sys, "frozen", False):  # an installed, frozen app
        return [sys.executable, *args]
    python = Path(sys.executable)
    if sys.platform.startswith("win"):  # pythonw: no console window
        windowed = python.with_name("pythonw.exe")
        python = windowed if windowed.is_file() else python
    # -I: run from a login or a desktop shortcut, the current folder (often home) must not
    # come first on sys.path, where a folder named "assistant" would be imported instead
    return [str(python), "-I", "-m", "assistant", *args]


def command() -> list[str]:
    """What the login starts: the app, hidden in the tray."""
    return launcher("gui", "--hidden")


def shell_line(argv: list[str]) -> str:
    """``argv`` as one line to paste into a desktop's shortcut settings."""
    import shlex
    import subprocess

    return subprocess.list2cmdline(argv) if sys.platform.startswith("win") else shlex.join(argv)


def entry_path() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    if sys.platform.startswith("win"):
        appdata = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
        return (appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
                / "Assistant.cmd")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "autostart" / "assistant.desktop"


def enabled() -> bool:
    return entry_path().is_file()


def _desktop_quote(arg: str) -> str:
    """An Exec argument per the Desktop Entry spec (quoted when it needs to be)."""
    if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace(
        "$", "\\$")
    return f'"{escaped}"'


def render(argv: list[str]) -> bytes:
    """The entry's contents for this platform."""
    if sys.platform == "darwin":
        return plistlib.dumps({"Label": LABEL, "ProgramArguments": argv, "RunAtLoad": True,
                               "ProcessType": "Interactive"})
    if sys.platform.startswith("win"):
        quoted = " ".join(f'"{a}"' for a in argv)
        return f'@echo off\r\nstart "" {quoted}\r\n'.encode()
    exec_line = " ".join(_desktop_quote(a).replace("%", "%%") for a in argv)
    return ("[Desktop Entry]\n"
            "Type=Application\n"
            "Name=Assistant\n"
            "Comment=Answers from your documents, with sources (starts hidden in the tray)\n"
            f"Exec={exec_line}\n"
            "Icon=assistant\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n").encode()


def set_enabled(on: bool) -> Path:
    """Create or remove the login entry; returns its path."""
    path = entry_path()
    if on:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(render(command()))
        os.replace(tmp, path)
    else:
        path.unlink(missing_ok=True)
    return path

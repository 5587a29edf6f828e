"""The desktop integration files: a valid .desktop entry and AppStream metainfo, installed
into the menu by `make desktop-entry` with this venv's commands and the app's icons."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ID = "io.github.assistant.Assistant"
DESKTOP = REPO / "resources" / "linux" / f"{ID}.desktop"
METAINFO = REPO / "resources" / "linux" / f"{ID}.metainfo.xml"


def test_the_desktop_entry_and_metainfo_are_valid() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Exec"].split()[0] == "assistant-gui"
    assert (REPO / "resources" / "icons" / f"{main['Icon']}.svg").is_file()
    assert 'assistant-gui = "assistant.ui.app:main"' in (REPO / "pyproject.toml").read_text()
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == ID
    assert root.findtext("launchable") == DESKTOP.name
    if shutil.which("desktop-file-validate"):
        out = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stdout + out.stderr
    if shutil.which("appstreamcli"):
        out = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_desktop_entry_installs_the_menu_entry(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    out = subprocess.run(["make", "-s", "desktop-entry"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    installed = (tmp_path / "applications" / DESKTOP.name).read_text()
    venv_bin = REPO / ".venv" / "bin"
    assert f"Exec={venv_bin}/assistant-gui %U" in installed
    assert f"Exec={venv_bin}/assistant popup" in installed
    assert (tmp_path / "metainfo" / METAINFO.name).is_file()
    assert (tmp_path / "icons" / "hicolor" / "48x48" / "apps" / "assistant.png").is_file()
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "assistant.svg").is_file()

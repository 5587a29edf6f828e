"""What the system must provide (assistant.syslibs): a missing library gets the app's own one
line and exit code 1, not Qt's abort; libraries map to the packages that hold them."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import syslibs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import broken_qt_plugin  # noqa: E402

linux_with_ldd = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("ldd") is None,
    reason="reads shared libraries with ldd (Linux)")


def test_missing_libraries_name_their_packages_on_each_family() -> None:
    packages = syslibs.packages_for(["libxcb-icccm.so.4", "libxcb-keysyms.so.1",
                                     "libxcb-shm.so.0", "libxcb-randr.so.0"])
    assert packages.debian == ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-shm0",
                               "libxcb-randr0")
    assert packages.fedora == ("xcb-util-wm", "xcb-util-keysyms", "libxcb")
    assert packages.arch == ("xcb-util-wm", "xcb-util-keysyms", "libxcb")
    assert not packages.guessed


def test_an_unknown_library_gets_debians_policy_name_as_a_guess() -> None:
    assert syslibs.debian_guess("libfoo.so.1") == "libfoo1"
    assert syslibs.debian_guess("libfoo2.so.3") == "libfoo2-3"
    assert syslibs.debian_guess("libgssapi_krb5.so.2") == "libgssapi-krb5-2"
    packages = syslibs.packages_for(["libquux.so.7"])
    assert packages.debian == ("libquux7",) and packages.guessed == ("libquux.so.7",)
    # Fedora and Arch names are not guessed: the hint gives only what it knows
    hint = syslibs.install_hint(packages, "fedora")
    assert hint == "Debian/Ubuntu: sudo apt-get install libquux7"


def test_the_hint_starts_with_this_machines_family() -> None:
    packages = syslibs.packages_for(["libxcb-icccm.so.4"])
    assert syslibs.install_hint(packages, "debian") == (
        "sudo apt-get install libxcb-icccm4 (Fedora: sudo dnf install xcb-util-wm; "
        "Arch: sudo pacman -S xcb-util-wm)")
    assert syslibs.install_hint(packages, "arch").startswith("sudo pacman -S xcb-util-wm (")
    assert syslibs.install_hint(packages, "").startswith(
        "Debian/Ubuntu: sudo apt-get install libxcb-icccm4 (Fedora:")


def test_distro_family_from_os_release() -> None:
    assert syslibs.distro_family('ID=ubuntu\nID_LIKE=debian\n') == "debian"
    assert syslibs.distro_family('ID="rocky"\nID_LIKE="rhel centos fedora"\n') == "fedora"
    assert syslibs.distro_family("ID=manjaro\nID_LIKE=arch\n") == "arch"
    assert syslibs.distro_family("ID=alpine\n") == ""


def test_platform_candidates_follow_qt() -> None:
    assert syslibs.platform_candidates({"QT_QPA_PLATFORM": "offscreen:size=800x600"}) == [
        "offscreen"]
    assert syslibs.platform_candidates({"QT_QPA_PLATFORM": "wayland;xcb"}) == ["wayland", "xcb"]
    assert syslibs.platform_candidates({"DISPLAY": ":0"}) == ["xcb"]
    assert syslibs.platform_candidates({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == [
        "wayland", "xcb"]
    assert syslibs.platform_candidates({"XDG_SESSION_TYPE": "wayland"})[0] == "wayland"


@linux_with_ldd
def test_this_machine_has_what_the_suite_runs_on() -> None:
    """The offscreen plugin the suite runs on loads (the suite could not have started
    otherwise); the check agrees, and its JSON says what each part is."""
    out = subprocess.run([sys.executable, "-m", "assistant.syslibs", "--for", "tests",
                          "--json"], capture_output=True, text=True, cwd=REPO, timeout=120)
    parts = {p["label"]: p for p in json.loads(out.stdout)}
    offscreen = next(p for label, p in parts.items() if "offscreen" in label)
    assert offscreen["ok"] and offscreen["file"].endswith("libqoffscreen.so"), offscreen
    assert any("QtPdf" in label for label in parts)
    assert syslibs.gui_problem({**os.environ, "QT_QPA_PLATFORM": "offscreen"}) == ""


def _no_core() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@linux_with_ldd
def test_a_missing_library_is_one_line_and_exit_1_not_qts_abort(tmp_path: Path) -> None:
    """An xcb plugin whose library is absent (a copy that needs libxcb-icccm.so.9): bare Qt
    aborts on it (the control), the app says what is missing and how to install it."""
    env = {**os.environ, **broken_qt_plugin.make(tmp_path / "qt"),
           "ASSISTANT_HOME": str(tmp_path / "home")}
    env.pop("WAYLAND_DISPLAY", None)
    bare = subprocess.run([sys.executable, "-c", "from PySide6.QtWidgets import QApplication;"
                           " QApplication([])"], env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=_no_core)
    assert bare.returncode == -signal.SIGABRT, (bare.returncode, bare.stderr)
    assert "could not load the qt platform plugin" in bare.stderr.lower()

    app = subprocess.run([sys.executable, "-m", "assistant", "gui"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120, preexec_fn=_no_core)
    assert app.returncode == 1, (app.returncode, app.stderr)
    lines = app.stderr.strip().splitlines()
    assert len(lines) == 1, app.stderr
    # (on a machine that also lacks the real plugin's libraries, they are named too)
    assert lines[0].startswith("assistant: cannot open the window: Qt's xcb platform plugin "
                               "needs "), lines[0]
    assert "libxcb-icccm.so.9" in lines[0] and "which this system does not have" in lines[0]
    assert "sudo apt-get install" in lines[0] and " libxcb-icccm9" in lines[0]
    assert not list(tmp_path.glob("core*")) and not list(REPO.glob("core*"))


@linux_with_ldd
def test_the_set_up_stops_with_the_command_when_it_cannot_install(tmp_path: Path) -> None:
    """What `make run` prints where it cannot install (not root, or no apt): every gap and
    one install line, exit 1."""
    env = {**os.environ, **broken_qt_plugin.make(tmp_path / "qt")}
    out = subprocess.run([sys.executable, "-m", "assistant.syslibs", "--for", "app"],
                         env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "Qt xcb platform plugin" in out.stderr and "libxcb-icccm.so.9" in out.stderr
    install = [line for line in out.stderr.splitlines() if line.startswith("Install: ")]
    assert len(install) == 1 and "libxcb-icccm9" in install[0], out.stderr


@linux_with_ldd
def test_doctor_names_what_the_system_lacks(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import doctor

    for key, value in broken_qt_plugin.make(tmp_path / "qt").items():
        monkeypatch.setenv(key, value)
    gaps = doctor.system_libraries()
    xcb = [g for g in gaps if "xcb platform plugin" in g["label"]]
    assert len(xcb) == 1 and "libxcb-icccm.so.9" in xcb[0]["missing"], gaps
    assert "libxcb-icccm9" in xcb[0]["packages"] and xcb[0]["level"] == "required"

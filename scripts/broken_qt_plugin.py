"""Make a copy of Qt's xcb platform plugin whose system library is absent, to see what the app
does on a machine that lacks one (as a fresh Linux machine lacked libxcb-icccm4).

    python scripts/broken_qt_plugin.py [--pyside PYSIDE6_DIR] DIR
        prints the environment to start the app with (as JSON); --pyside: a bundle's PySide6

The copy needs ``libxcb-icccm.so.9`` where the real plugin needs ``libxcb-icccm.so.4``: the
same length, so only one string in its dynamic section changes and the loader, ldd and Qt all
see a plugin with a missing dependency. Qt's own libraries still resolve: ``DIR/Qt/lib`` links
to PySide6's, where the plugin's RUNPATH ($ORIGIN/../../lib) looks. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.util import find_spec
from pathlib import Path

REAL, ABSENT = b"libxcb-icccm.so.4\0", b"libxcb-icccm.so.9\0"


def make(where: Path, pyside: Path | None = None) -> dict[str, str]:
    """Build it under ``where``; the environment that makes Qt take it."""
    if pyside is None:
        spec = find_spec("PySide6")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("PySide6 is not installed")
        pyside = Path(list(spec.submodule_search_locations)[0])
    plugin = pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    data = plugin.read_bytes()
    if data.count(REAL) != 1:
        raise SystemExit(f"{plugin} does not name {REAL[:-1].decode()} once")
    platforms = where / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True, exist_ok=True)
    lib = where / "Qt" / "lib"
    if not lib.exists():
        lib.symlink_to(pyside / "Qt" / "lib", target_is_directory=True)
    (platforms / "libqxcb.so").write_bytes(data.replace(REAL, ABSENT))
    # QT_PLUGIN_PATH comes before PySide6's own plugins: Qt takes this xcb plugin, fails to
    # load it and aborts, though the real one is there too.
    return {"QT_QPA_PLATFORM": "xcb", "QT_PLUGIN_PATH": str(where / "Qt" / "plugins"),
            "DISPLAY": os.environ.get("DISPLAY", ":0")}


if __name__ == "__main__":
    args = sys.argv[1:]
    pyside_dir = None
    if args[:1] == ["--pyside"] and len(args) == 3:
        pyside_dir, args = Path(args[1]).resolve(), args[2:]
    if len(args) != 1:
        raise SystemExit(__doc__)
    print(json.dumps(make(Path(args[0]).resolve(), pyside_dir)))

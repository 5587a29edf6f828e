"""Make a copy of Qt's xcb platform plugin whose system library is absent, to see what the app
does on a machine that lacks one (as a fresh Linux machine lacked libxcb-icccm4).

    python scripts/broken_qt_plugin.py DIR
        prints the environment to start the app with (as JSON)
    python scripts/broken_qt_plugin.py --in-place PLUGIN
        breaks that plugin file (a new file renamed over it, so a hard-linked copy of a
        bundle can be broken without touching the bundle: a frozen app sets QT_PLUGIN_PATH
        to its own plugins, so only its own plugin can be the broken one)

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


def broken(plugin: Path) -> bytes:
    """The plugin's bytes, needing the absent library instead of the real one."""
    data = plugin.read_bytes()
    if data.count(REAL) != 1:
        raise SystemExit(f"{plugin} does not name {REAL[:-1].decode()} once")
    return data.replace(REAL, ABSENT)


def make(where: Path, pyside: Path | None = None) -> dict[str, str]:
    """Build it under ``where``; the environment that makes Qt take it."""
    if pyside is None:
        spec = find_spec("PySide6")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("PySide6 is not installed")
        pyside = Path(list(spec.submodule_search_locations)[0])
    data = broken(pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so")
    platforms = where / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True, exist_ok=True)
    lib = where / "Qt" / "lib"
    if not lib.exists():
        lib.symlink_to(pyside / "Qt" / "lib", target_is_directory=True)
    (platforms / "libqxcb.so").write_bytes(data)
    # QT_PLUGIN_PATH comes before PySide6's own plugins: Qt takes this xcb plugin, fails to
    # load it and aborts, though the real one is there too.
    return {"QT_QPA_PLATFORM": "xcb", "QT_PLUGIN_PATH": str(where / "Qt" / "plugins"),
            "DISPLAY": os.environ.get("DISPLAY", ":0")}


def break_in_place(plugin: Path) -> None:
    data = broken(plugin)
    fresh = plugin.with_name(plugin.name + ".broken")
    fresh.write_bytes(data)
    fresh.replace(plugin)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--in-place":
        break_in_place(Path(args[1]))
    elif len(args) == 1 and not args[0].startswith("-"):
        print(json.dumps(make(Path(args[0]).resolve())))
    else:
        raise SystemExit(__doc__)

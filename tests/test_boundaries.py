"""The engine must import and run without Qt (napari-style boundary)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import assistant.core


def test_core_imports_without_qt() -> None:
    modules = [f"assistant.core.{m.name}" for m in pkgutil.iter_modules(assistant.core.__path__)]
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6'):\n"
        "            raise ImportError('Qt is not allowed in assistant.core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        + "".join(f"import {m}\n" for m in modules)
        + "import assistant.services, assistant.cli\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(modules) >= 10

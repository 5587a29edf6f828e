#!/usr/bin/env bash
# What a fresh machine must have for the assistant and its test suite, checked on this one:
# every system library that Qt's platform plugins (xcb, wayland, offscreen), the Qt modules
# the app imports (QtPdf among them), llama.cpp, Chroma, tokenizers and torch load (read
# with ldd off the installed files), a font, and the tools the X11 tests drive. Prints one
# line per part and fails (exit 1) on any gap, naming it and the package that fills it, so
# an install step done once by hand on a CI machine cannot hide. Run after `make test-deps`
# (it reads the installed packages); `make check-machine` does both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if [ ! -x "$PY" ]; then
    echo "fresh_machine_check: no $PY; run make test-deps first" >&2
    exit 1
fi
exec "$PY" -m assistant.syslibs --for tests --strict --list

"""Crash points for the crash-safety tests: ``ASSISTANT_CRASH_AT=name[:n]`` kills this process
with SIGKILL the n-th time (default first) it passes the checkpoint ``name``.
``ASSISTANT_PAUSE_AT=name[:n]`` with ``ASSISTANT_PAUSE_FILE=path`` instead creates ``path``
there and waits until the test deletes it (to stop a server at a known moment). Unset (always,
outside those tests) a checkpoint costs one dictionary lookup."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def _parse(spec: str) -> tuple[str, int]:
    name, _, count = spec.partition(":")
    return name, int(count or 1)


_name, _remaining = _parse(os.environ.get("ASSISTANT_CRASH_AT", ""))
_pause_name, _pause_remaining = _parse(os.environ.get("ASSISTANT_PAUSE_AT", ""))


def checkpoint(name: str) -> None:
    global _remaining, _pause_remaining
    if _pause_name and name == _pause_name:
        _pause_remaining -= 1
        if _pause_remaining == 0:
            flag = Path(os.environ["ASSISTANT_PAUSE_FILE"])
            flag.touch()
            while flag.exists():
                time.sleep(0.02)
    if not _name or name != _name:
        return
    _remaining -= 1
    if _remaining <= 0:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

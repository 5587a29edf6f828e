"""Crash points for the crash-safety tests: ``ASSISTANT_CRASH_AT=name[:n]`` kills this process
with SIGKILL the n-th time (default first) it passes the checkpoint ``name``. Unset (always,
outside those tests) a checkpoint costs one dictionary lookup."""

from __future__ import annotations

import os
import signal

_spec = os.environ.get("ASSISTANT_CRASH_AT", "")
_name, _, _count = _spec.partition(":")
_remaining = int(_count or 1)


def checkpoint(name: str) -> None:
    global _remaining
    if not _name or name != _name:
        return
    _remaining -= 1
    if _remaining <= 0:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

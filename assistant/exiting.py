"""Ending the process while the writer lane's thread is inside a quiet step."""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    """End the process now, without joining the lane's thread that is inside a step that
    writes nothing (an import, an embedding batch: seconds no flag can cut short). Python's
    own exit would run the stores' finalizers beside that thread, and the thread would go on
    after the step to shut the lane down on stores already closed. Nothing is lost: the
    catalog is as a crash leaves it (files marked "indexing"), which the next start repairs
    without embedding again what was stored."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)

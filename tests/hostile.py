"""The hostile-file corpus: files a user's folders may really hold that try to crash, hang,
leak or fool the indexer. Each case writes its files into a folder and says what must become
of each one; tests/test_hostile.py indexes them all together beside one ordinary document and
checks that every promise held, that the ordinary document is searchable and that the index is
consistent. A security finding's reproduction joins this list once it is fixed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

INDEXED = "indexed"  # searchable afterwards
SKIPPED = "skipped"  # never read: not in the catalog at all


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], dict[str, str]]  # writes into the folder; relative path -> outcome
    # outcome: INDEXED, SKIPPED, or the failure reason the file must be reported with


CASES: list[Case] = []


def case(make: Callable[[Path], dict[str, str]]) -> Callable[[Path], dict[str, str]]:
    CASES.append(Case(make.__name__, make))
    return make


def write_corpus(folder: Path) -> dict[str, str]:
    """Every case, each in its own sub-folder; relative path -> outcome."""
    expected: dict[str, str] = {}
    for c in CASES:
        sub = folder / c.name
        sub.mkdir(parents=True)
        expected.update({f"{c.name}/{rel}": outcome for rel, outcome in c.make(sub).items()})
    return expected


# ---- cases ---------------------------------------------------------------------------------


@case
def bomb_pdf(folder: Path) -> dict[str, str]:
    """A PDF whose page tree points at itself."""
    (folder / "bomb.pdf").write_bytes(b"%PDF-1.4\n" + b"1 0 obj << /Kids [1 0 R] >> endobj\n" * 50)
    return {"bomb.pdf": "corrupt"}


@case
def markup_names(folder: Path) -> dict[str, str]:
    """Names and sentences that are HTML or a Markdown image of a device once rendered
    (the window must show them as text: tests/ui/test_untrusted_text.py)."""
    name = "<img src=&#47;dev&#47;zero>.md"
    (folder / name).write_text("# Board\n\nThe board meets on Tuesdays.\n")
    (folder / "falcon.md").write_text(
        "# Project Falcon\n\nThe launch code for Project Falcon is 7731 ![status](/dev/zero).\n")
    return {name: INDEXED, "falcon.md": INDEXED}


@case
def not_regular_files(folder: Path) -> dict[str, str]:
    """A FIFO with a document's name would block whoever opens it; a link to a device would
    never end. Neither is a document."""
    import os

    os.mkfifo(folder / "pipe.md")
    (folder / "zero.txt").symlink_to("/dev/zero")
    return {"pipe.md": SKIPPED, "zero.txt": SKIPPED}

"""The hostile-file corpus: files a user's folders may really hold that try to crash, hang,
leak or fool the indexer. Each case writes its files into a folder and says what must become
of each one; tests/test_hostile.py indexes them all together beside one ordinary document and
checks that every promise held, that the ordinary document is searchable and that the index is
consistent. A security finding's reproduction joins this list once it is fixed."""

from __future__ import annotations

import os
import sys
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
    os.mkfifo(folder / "pipe.md")
    (folder / "zero.txt").symlink_to("/dev/zero")
    return {"pipe.md": SKIPPED, "zero.txt": SKIPPED}


@case
def link_to_a_hidden_file_outside(folder: Path) -> dict[str, str]:
    """ci.yml -> a token file in a hidden folder outside the indexed one (seen: a link to
    ~/.config/gh/hosts.yml made a GitHub token searchable). Never followed."""
    secret = folder.parent.parent / "outside-hidden" / ".config" / "gh" / "hosts.yml"
    secret.parent.mkdir(parents=True)
    secret.write_text("github.com:\n    oauth_token: ghp_HostileCorpusToken0123\n")
    (folder / "ci.yml").symlink_to(secret)
    return {"ci.yml": SKIPPED}


@case
def link_to_a_home_like_folder(folder: Path) -> dict[str, str]:
    """vendor -> a folder outside the indexed one (seen: vendor -> ~ indexed the whole home).
    Links out of the folder are not followed unless indexing.follow_links is on."""
    home = folder.parent.parent / "outside-home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "diary.txt").write_text("Dear diary, a marmot ate my sandwich.\n")
    (folder / "vendor").symlink_to(home, target_is_directory=True)
    return {"vendor/Documents/diary.txt": SKIPPED}


@case
def names_the_old_key_mixed_up(folder: Path) -> dict[str, str]:
    """caf<0xff>.txt and caf\\xff.txt (a backslash and three letters) are two files; the
    catalog's key before schema 3 gave them one (one unsearchable, one re-embedded)."""
    if not sys.platform.startswith("linux"):
        return {}  # byte names
    raw = os.fsdecode(b"caf\xff.txt")
    (folder / raw).write_text("The raw byte name is about pistachio ice cream.\n")
    (folder / "caf\\xff.txt").write_text("The escaped name is about hazelnut biscuits.\n")
    return {raw: INDEXED, "caf\\xff.txt": INDEXED}


@case
def name_ending_in_a_backslash(folder: Path) -> dict[str, str]:
    """'data\\' is a folder of its own beside 'data' on Linux and macOS."""
    if os.sep == "\\":
        return {}
    (folder / "data").mkdir()
    (folder / "data" / "keep.txt").write_text("Keep this note about badgers.\n")
    (folder / "data\\").mkdir()
    (folder / "data\\" / "voles.txt").write_text("A folder whose name ends in a backslash.\n")
    return {"data/keep.txt": INDEXED, "data\\/voles.txt": INDEXED}


@case
def names_that_are_not_utf8(folder: Path) -> dict[str, str]:
    """A folder and a file whose names are Latin-1 bytes."""
    if not sys.platform.startswith("linux"):
        return {}
    cafe = os.fsdecode(b"caf\xe9")
    (folder / cafe).mkdir()
    (folder / cafe / "menu.txt").write_text("Today's menu: lentil soup and rye bread.\n")
    note = os.fsdecode(b"r\xe9sum\xe9.txt")
    (folder / note).write_text("Worked as a lighthouse keeper in Lindesnes.\n")
    return {f"{cafe}/menu.txt": INDEXED, note: INDEXED}


@case
def heading_like_markdown_lines(folder: Path) -> dict[str, str]:
    """Two 150 kB lines that look like headings, a long run of blanks or hashes before more
    words (the ATX pattern took ~2 min a line: the 120 s parse limit ran out)."""
    (folder / "headings.md").write_text(
        "# Harbour notes" + " " * 150_000 + "end\n\nThe pelican count rose.\n\n"
        "## Next" + " \t#" * 50_000 + " x\n\nMore text about herons.\n")
    return {"headings.md": INDEXED}


@case
def html_full_of_headings(folder: Path) -> dict[str, str]:
    """70,000 empty headings (630 kB) before one real section: each heading's offset summed
    the text so far (~200 s before). Empty sections are dropped, so it embeds one chunk."""
    (folder / "headings.html").write_text(
        "<html><body>" + "<h2></h2>" * 70_000
        + "<h1>Harbour report</h1><p>The pelican count rose.</p></body></html>")
    return {"headings.html": INDEXED}


@case
def large_plain_log(folder: Path) -> dict[str, str]:
    """A 70 kB log with no blank lines (one paragraph over two 64 kB tokenizer windows),
    its last line holding a word found nowhere else: indexed whole (tests/test_hostile.py
    searches for it). Memory on really large logs: tests/test_limits_memory.py."""
    lines = [f"2024-05-01T12:00:{i % 60:02d}Z INFO worker-{i % 16} request {i} took "
             f"{i % 500} ms status=200\n" for i in range(1_000)]
    (folder / "service.log").write_text("".join(lines)
                                        + "2024-05-01T23:59:59Z WARN zebracorn seen once\n")
    return {"service.log": INDEXED}

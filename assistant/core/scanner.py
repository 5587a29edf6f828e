"""Walk files and folders the way the indexer needs: ignore rules applied, symlink loops cut,
links followed only where the rules allow (by where they lead, not only by their names), every
odd file name kept (non-UTF-8 names arrive as surrogate-escaped strings)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.core import loaders
from assistant.core.ignore import IgnoreRules


@dataclass(frozen=True)
class FoundFile:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # "sensitive file", "not found", ...
    explicit: bool  # the user named this path: they should hear why it was skipped


def absolute(path: Path | str) -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def named_reason(path: Path, rules: IgnoreRules) -> str | None:
    """Why a path the user named must not be indexed although they named it: a link on its
    way leads where the rules forbid (see :meth:`IgnoreRules.link_reason`). None otherwise."""
    if os.path.realpath(path) == str(path):
        return None  # no link on the way
    base = Path(path.anchor)
    for part in path.parts[1:]:  # the folder that holds the first link
        if os.path.islink(base / part):
            break
        base = base / part
    return rules.link_reason(path, base, named=True)


def scan(roots: Iterable[Path | str], rules: IgnoreRules) -> Iterator[FoundFile | Skipped]:
    """Supported files under ``roots``. Files named explicitly skip the ignore patterns but
    not the sensitive-file rules, nor the rules for where a link on their way leads."""
    seen_files: set[str] = set()
    for raw in roots:
        root = absolute(raw)
        try:
            st = root.stat()
        except FileNotFoundError:
            yield Skipped(str(root), "not found", True)
            continue
        except OSError as exc:
            yield Skipped(str(root), f"cannot be read ({exc.strerror})", True)
            continue
        linked = named_reason(root, rules)
        if linked is not None:
            yield Skipped(str(root), linked, True)
            continue
        if stat.S_ISREG(st.st_mode):
            reason = None
            if rules.skip_sensitive:  # named explicitly: check where it really is, too
                real = Path(os.path.realpath(root))
                reason = rules.file_reason(root, root.parent) or (
                    rules.file_reason(real, real.parent) if real != root else None)
            if reason == "sensitive file" or reason == "sensitive location":
                yield Skipped(str(root), reason, True)
            elif str(root) not in seen_files:
                seen_files.add(str(root))
                yield FoundFile(str(root), st.st_size, st.st_mtime_ns)
            continue
        if rules.skip_sensitive and rules.dir_reason(root, root.parent) == "sensitive location":
            yield Skipped(str(root), "sensitive location", True)
            continue
        yield from _walk(root, rules, seen_files)


def _walk(root: Path, rules: IgnoreRules, seen_files: set[str]) -> Iterator[FoundFile | Skipped]:
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError as exc:
            if folder != root:
                yield Skipped(str(folder), f"cannot be read ({exc.strerror})", False)
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:  # a symlink loop, or a folder linked twice
            continue
        visited.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(str(folder), f"cannot be listed ({exc.strerror})", False)
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
                is_link = entry.is_symlink()
            except OSError as exc:  # keep what we had there: it may be readable again soon
                yield Skipped(entry.path, f"cannot be read ({exc.strerror})", False)
                continue
            if is_dir:
                if rules.dir_reason(path, root) is not None:
                    continue
                linked = rules.link_reason(path, root) if is_link else None
                if linked is not None:  # not followed; said, for whoever lists what was left
                    yield Skipped(entry.path, linked, False)
                else:
                    subdirs.append(path)
            elif is_file and loaders.is_supported(path):
                if rules.file_reason(path, root) is not None or entry.path in seen_files:
                    continue
                linked = rules.link_reason(path, root) if is_link else None
                if linked is not None:
                    yield Skipped(entry.path, linked, False)
                    continue
                try:
                    est = entry.stat()
                except OSError:  # vanished between listing and stat
                    continue
                seen_files.add(entry.path)
                yield FoundFile(entry.path, est.st_size, est.st_mtime_ns)
        stack.extend(reversed(subdirs))

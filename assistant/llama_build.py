"""Which llama.cpp backend to compile on this machine, and the build that falls back to the CPU.

pip compiles llama-cpp-python from source. What it is compiled for must follow what the
machine can *run*, not which compilers happen to be installed: a CUDA toolkit on a machine
without an NVIDIA GPU (CI images, laptops with a half-installed toolkit) makes llama.cpp's
CMake stop ("CUDA_ARCHITECTURES is set to native, but no GPU was detected"), and the user
never sees the assistant. So:

- CUDA only when a GPU answers ``nvidia-smi`` *and* the toolkit has what the build links
  (nvcc, the runtime and cuBLAS), compiled for the architectures of the GPUs found;
- Metal on Apple Silicon;
- otherwise the portable CPU build (AVX2 on x86-64 rather than ``-march=native``, whose
  AMX/AVX-512 code dies with "Illegal instruction" in some VMs and on other machines).

``LLAMA_BACKEND=cpu|cuda|metal`` forces a choice; ``LLAMA_CMAKE_ARGS`` replaces the flags.
When an accelerated build fails anyway, the CPU build is made instead, with one line saying
what failed and how to retry. Wheels are kept per (version, flags) in a wheelhouse outside
the checkout, so a fresh clone does not compile again.

Standard library only: the Makefile runs this before anything else is installed.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BACKENDS = ("auto", "cpu", "cuda", "metal")
X86_CPU_ARGS = ("-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON "
                "-DGGML_F16C=ON -DGGML_BMI2=ON")


@dataclass
class Machine:
    """What the build choice depends on; :func:`probe` reads it, tests make it up."""

    system: str  # platform.system(): Linux, Darwin, Windows
    arch: str  # platform.machine(): x86_64, arm64, aarch64, AMD64
    gpus: list[str] = field(default_factory=list)  # names that nvidia-smi listed
    compute_caps: list[str] = field(default_factory=list)  # "9.0", "8.6", ...
    nvcc: str = ""  # path of nvcc, "" when not on the PATH
    cuda_missing: list[str] = field(default_factory=list)  # toolkit parts the build needs


@dataclass(frozen=True)
class Choice:
    backend: str  # cpu, cuda, metal, custom
    cmake_args: str
    reason: str
    forced: bool = False  # the user named it (LLAMA_BACKEND / LLAMA_CMAKE_ARGS)

    def line(self) -> str:
        return f"llama.cpp backend: {self.backend} ({self.reason})"


def cpu_args(machine: Machine) -> str:
    if machine.arch.lower() in ("x86_64", "amd64"):
        return X86_CPU_ARGS
    return "-DGGML_NATIVE=OFF"


def cuda_args(machine: Machine) -> str:
    archs = sorted({c.replace(".", "") for c in machine.compute_caps if c.strip()})
    # "native" needs a GPU at configure time; the probe found one, but naming its
    # architecture keeps the wheel the same whichever way CMake finds the device.
    return f"-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES={';'.join(archs) or 'native'}"


def choose(machine: Machine, backend: str = "auto", cmake_args: str = "") -> Choice:
    """The backend and CMake flags for ``machine``; ``backend``/``cmake_args`` override."""
    if cmake_args.strip():
        return Choice("custom", cmake_args.strip(), "LLAMA_CMAKE_ARGS given", True)
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise ValueError(f"LLAMA_BACKEND={backend}: expected one of {', '.join(BACKENDS)}")
    apple_silicon = machine.system == "Darwin" and machine.arch in ("arm64", "aarch64")
    if backend == "cpu":
        return Choice("cpu", cpu_args(machine), "LLAMA_BACKEND=cpu", True)
    if backend == "metal":
        return Choice("metal", "-DGGML_METAL=on", "LLAMA_BACKEND=metal", True)
    if backend == "cuda":
        return Choice("cuda", cuda_args(machine), "LLAMA_BACKEND=cuda", True)
    if apple_silicon:
        return Choice("metal", "-DGGML_METAL=on", "Apple Silicon")
    if machine.gpus and machine.nvcc and not machine.cuda_missing:
        names = ", ".join(sorted(set(machine.gpus)))
        return Choice("cuda", cuda_args(machine), f"NVIDIA GPU found: {names}")
    if machine.gpus and not machine.nvcc:
        why = "an NVIDIA GPU answers but the CUDA toolkit (nvcc) is not installed"
    elif machine.gpus:
        why = ("an NVIDIA GPU answers but the CUDA toolkit lacks "
               + ", ".join(machine.cuda_missing))
    elif machine.nvcc:
        why = "the CUDA toolkit is installed but no NVIDIA GPU answers nvidia-smi"
    else:
        why = "no GPU backend on this machine"
    return Choice("cpu", cpu_args(machine), f"portable CPU build: {why}")


# Probing the real machine ------------------------------------------------------------


def _run(cmd: list[str], timeout: float = 20) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout if out.returncode == 0 else ""


def _cuda_roots(nvcc: str) -> list[Path]:
    roots = [Path(os.environ[v]) for v in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(v)]
    if nvcc:
        roots.append(Path(os.path.realpath(nvcc)).parent.parent)
    roots.append(Path("/usr/local/cuda"))
    return roots


def cuda_toolkit_missing(nvcc: str) -> list[str]:
    """The parts of the CUDA toolkit llama.cpp's build links that are not installed."""
    for root in _cuda_roots(nvcc):
        if not (root / "include" / "cuda_runtime.h").is_file():
            continue
        libs = [root / "lib64", root / "lib", *map(Path, glob.glob(str(root / "targets/*/lib")))]
        missing = []
        if not (root / "include" / "cublas_v2.h").is_file() and not glob.glob(
                str(root / "targets/*/include/cublas_v2.h")):
            missing.append("the cuBLAS headers")
        if not any(glob.glob(str(d / "libcublas.*")) or glob.glob(str(d / "cublas*.lib"))
                   for d in libs):
            missing.append("the cuBLAS library")
        return missing
    return ["the CUDA runtime headers"]


def probe() -> Machine:
    machine = Machine(platform.system(), platform.machine())
    if shutil.which("nvidia-smi"):
        listing = _run(["nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader"])
        for row in listing.splitlines():
            name, _, cap = row.partition(",")
            if name.strip():
                machine.gpus.append(name.strip())
                if cap.strip() and cap.strip()[0].isdigit():
                    machine.compute_caps.append(cap.strip())
        if not machine.gpus:  # older drivers lack compute_cap: names only
            machine.gpus = [line.split(":", 1)[-1].split("(")[0].strip()
                            for line in _run(["nvidia-smi", "-L"]).splitlines()
                            if line.startswith("GPU")]
    machine.nvcc = shutil.which("nvcc") or ""
    if machine.gpus and machine.nvcc:
        machine.cuda_missing = cuda_toolkit_missing(machine.nvcc)
    return machine


# Building and installing ---------------------------------------------------------------


def wheel_key(version: str, cmake_args: str, machine: Machine) -> str:
    blob = f"{version} {cmake_args} {machine.system} {machine.arch}"
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _wheels(folder: Path, version: str) -> list[Path]:
    return sorted(folder.glob(f"llama_cpp_python-{version}-*.whl"))


def build_wheel(python: str, version: str, cmake_args: str, folder: Path) -> tuple[bool, str]:
    """Compile the wheel into ``folder``; (ok, last error line). The log stays beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "build.log"
    env = {**os.environ, "CMAKE_ARGS": cmake_args}
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.call(
            [python, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir",
             f"llama-cpp-python=={version}", "-w", str(folder)],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    if code == 0 and _wheels(folder, version):
        return True, ""
    return False, _error_line(log)


def _error_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "see the build log"
    for line in lines:
        if "CMake Error" in line or "error:" in line.lower():
            idx = lines.index(line)
            detail = " ".join(x.strip() for x in lines[idx: idx + 3] if x.strip())
            return detail[:300]
    tail = [x.strip() for x in lines if x.strip()]
    return tail[-1][:300] if tail else "no output"


Builder = Callable[[str, str, str, Path], tuple[bool, str]]


def ensure_wheel(python: str, version: str, choice: Choice, machine: Machine, root: Path,
                 say: Callable[[str], None] = print,
                 builder: Builder = build_wheel) -> tuple[Path, Choice]:
    """A wheel for ``choice`` (built once per key), or the CPU one when an accelerated build
    fails. A failed accelerated build is remembered, so ``auto`` does not retry it every
    time; naming the backend explicitly retries."""
    key = wheel_key(version, choice.cmake_args, machine)
    folder = root / key
    if choice.backend != "cpu" and not choice.forced and (root / f"failed-{key}").exists():
        say(f"llama.cpp: the {choice.backend} build failed before on this machine "
            f"(log: {folder / 'build.log'}); using the CPU build. Retry with "
            f"`make run LLAMA_BACKEND={choice.backend}`.")
        return ensure_wheel(python, version, fallback(machine), machine, root, say, builder)
    found = _wheels(folder, version)
    if found:
        return found[-1], choice
    say(f"Compiling llama.cpp {version} for {choice.backend} ({choice.cmake_args}); "
        "this takes several minutes, once.")
    ok, error = builder(python, version, choice.cmake_args, folder)
    if ok:
        (root / f"failed-{key}").unlink(missing_ok=True)
        return _wheels(folder, version)[-1], choice
    if choice.backend == "cpu":
        raise SystemExit(f"llama.cpp: the CPU build failed: {error} (log: {folder / 'build.log'})")
    (root / f"failed-{key}").write_text(error + "\n", encoding="utf-8")
    retry = f"make run LLAMA_BACKEND={choice.backend}" if choice.backend != "custom" else \
        "make run LLAMA_CMAKE_ARGS='...'"
    say(f"llama.cpp: the {choice.backend} build failed ({error}); falling back to the CPU "
        f"build. Log: {folder / 'build.log'}. To retry with acceleration: {retry}")
    return ensure_wheel(python, version, fallback(machine), machine, root, say, builder)


def fallback(machine: Machine) -> Choice:
    return Choice("cpu", cpu_args(machine), "fallback after a failed accelerated build")


def install(python: str, wheel: Path, version: str, marker: Path) -> None:
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == str(wheel):
        return
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    subprocess.check_call([*pip, "install", "--no-deps", "--force-reinstall", str(wheel)])
    # its own dependencies (numpy, jinja2, diskcache, ...), the compiled wheel satisfying it
    subprocess.check_call([*pip, "install", f"llama-cpp-python=={version}",
                           "--find-links", str(wheel.parent)])
    marker.write_text(f"{wheel}\n", encoding="utf-8")


def default_wheelhouse() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "assistant" / "wheels"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build and install llama-cpp-python for "
                                                 "the backend this machine can use.")
    parser.add_argument("--python", default=sys.executable, help="the venv's python")
    parser.add_argument("--version", required=True, help="llama-cpp-python version")
    parser.add_argument("--backend", default=os.environ.get("LLAMA_BACKEND", "auto"))
    parser.add_argument("--cmake-args", default=os.environ.get("LLAMA_CMAKE_ARGS", ""))
    parser.add_argument("--wheelhouse", type=Path, default=None)
    parser.add_argument("--marker", type=Path, help="file recording the installed wheel")
    parser.add_argument("--choose-only", action="store_true",
                        help="print the choice and exit without building")
    args = parser.parse_args(argv)
    machine = probe()
    try:
        choice = choose(machine, args.backend, args.cmake_args)
    except ValueError as exc:
        print(f"llama.cpp: {exc}", file=sys.stderr)
        return 2
    print(choice.line(), flush=True)
    if args.choose_only:
        return 0
    root = args.wheelhouse or default_wheelhouse()
    wheel, used = ensure_wheel(args.python, args.version, choice, machine, root,
                               say=lambda s: print(s, flush=True))
    marker = args.marker or Path(args.python).parent.parent / ".llama-wheel"
    install(args.python, wheel, args.version, marker)
    if used != choice:
        print(used.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

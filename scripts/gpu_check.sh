#!/usr/bin/env bash
# GPU beside CPU, on a machine with an NVIDIA GPU:
#   1. builds llama.cpp's CUDA wheel for this GPU's architecture only (assistant/llama_build.py
#      reads the compute capability from nvidia-smi) into its own venv, with a CUDA torch;
#   2. runs `assistant doctor`;
#   3. runs scripts/bench.py twice (model and embedder on the GPU, then both on the CPU) and
#      prints tokens/s and embedding chunks/s side by side.
# Meant to finish within 12 minutes on a 16-core machine with one GPU once pip's downloads
# are cached. Usage: scripts/gpu_check.sh   (VENV=.venv-gpu TORCH_SPEC=torch by default)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA GPU answers nvidia-smi; nothing to compare" >&2
    exit 2
fi
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader

VENV=${VENV:-.venv-gpu}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
start=$(date +%s)
make install VENV="$VENV" LLAMA_BACKEND=cuda TORCH_SPEC="${TORCH_SPEC:-torch}"
make model VENV="$VENV"
"$VENV/bin/pip" install -q fpdf2  # the bench writes PDFs
echo "set-up: $(( $(date +%s) - start )) s"

PY=$VENV/bin/python
"$PY" -m assistant doctor --quick

out=$(mktemp -d)
bench() {  # $1 = layers on the GPU, $2 = embedder device, $3 = output file
    ASSISTANT_LLM__N_GPU_LAYERS=$1 ASSISTANT_EMBEDDING__DEVICE=$2 "$PY" scripts/bench.py \
        --corpora 1 --queries 20 --answers 5 --rescan-files 0 --watch-trials 0 \
        --startup-trials 0 --popup-trials 0 >"$3"
}
bench -1 cuda "$out/gpu.json"
bench 0 cpu "$out/cpu.json"

"$PY" - "$out/gpu.json" "$out/cpu.json" <<'PYEOF'
import json, sys

gpu, cpu = (json.load(open(p)) for p in sys.argv[1:3])
rows = [
    ("model tokens/s", lambda r: r["generation"]["tokens_per_s"]),
    ("model first token (s)", lambda r: r["generation"]["ttft_s"]),
    ("GPU offload", lambda r: r["generation"]["gpu_offload"]),
    ("embedding chunks/s, bare encode", lambda r: r["indexing_small_files"]["raw_encode_chunks_per_s"]),
    ("embedding chunks/s, indexing small notes", lambda r: r["indexing_small_files"]["chunks_per_s"]),
    ("embedding chunks/s, indexing PDFs", lambda r: r["indexing_large_pdfs"]["chunks_per_s"]),
    ("search p50 (ms)", lambda r: r["retrieval"]["p50_ms"]),
]
print(f"{'':44}{'GPU':>12}{'CPU':>12}")
for name, get in rows:
    print(f"{name:44}{get(gpu)!s:>12}{get(cpu)!s:>12}")
PYEOF
echo "gpu_check: $(( $(date +%s) - start )) s in all"

#!/usr/bin/env bash
# Smoke-test a built bundle (default dist/assistant/assistant): it starts, `doctor` runs, it
# indexes the sample documents (its parser child included) and answers headless with the
# checkout's models/ (models stay outside the bundle), and its window opens under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
APP=$(realpath "${1:-dist/assistant/assistant}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ASSISTANT_HOME="$WORK/home" ASSISTANT_LLM__MODELS_DIR="$PWD/models" HF_HUB_OFFLINE=1

step() { echo "smoke: $*"; }
step "version";  "$APP" --version
step "doctor";   "$APP" doctor --quick | tee "$WORK/doctor.txt" | head -5
grep -q "llama.cpp: llama-cpp-python" "$WORK/doctor.txt"
step "index";    "$APP" index --json resources/sample-docs | tail -1 | tee "$WORK/index.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['added'] >= 4 and d['failed'] == 0, d" "$WORK/index.json"
step "ask";      "$APP" ask --json "How long does hot composting take?" > "$WORK/answer.json"
python3 - "$WORK/answer.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["citations"] and not d["abstained"], d
print("smoke: answered:", d["answer"][:120].replace("\n", " "), "| cited", d["citations"][0]["path"])
PY
step "window (Xvfb)"
if command -v xvfb-run >/dev/null && command -v xdotool >/dev/null; then
    xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
        "$0" gui & app=$!
        for _ in $(seq 1 120); do
            if xdotool search --onlyvisible --name "^Assistant" >/dev/null 2>&1; then
                echo "smoke: the window is shown"; kill $app; wait $app || true; exit 0
            fi
            sleep 0.5
        done
        kill $app || true; echo "smoke: the window did not show" >&2; exit 1' "$APP"
else
    echo "smoke: xvfb-run or xdotool missing: the window check is skipped" >&2
fi
step "window with a missing system library"
# The bundle's own xcb plugin, made to need an absent library, in a hard-linked copy of the
# bundle (no space taken, the bundle untouched): the app must say so in one line and exit 1,
# not let Qt abort (SIGABRT) with its own advice.
BUNDLE=$(dirname "$APP")
BROKEN=$(mktemp -d "$(dirname "$BUNDLE")/.smoke-broken.XXXXXX")
trap 'rm -rf "$WORK" "$BROKEN"' EXIT
cp -al "$BUNDLE" "$BROKEN/assistant"
python3 scripts/broken_qt_plugin.py --in-place \
    "$BROKEN/assistant/_internal/PySide6/Qt/plugins/platforms/libqxcb.so"
set +e
QT_QPA_PLATFORM=xcb DISPLAY=:0 ASSISTANT_HOME="$WORK/home-broken" \
    "$BROKEN/assistant/$(basename "$APP")" gui 2> "$WORK/broken.err"
code=$?
set -e
cat "$WORK/broken.err"
if [ "$code" != 1 ] || [ "$(wc -l < "$WORK/broken.err")" != 1 ] || \
    ! grep -q "^assistant: cannot open the window: Qt's xcb platform plugin needs" "$WORK/broken.err"; then
    echo "smoke: expected one line and exit code 1, got $code" >&2; exit 1
fi
echo "smoke: all good"

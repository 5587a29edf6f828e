#!/usr/bin/env bash
# macOS: dist/Assistant.app and dist/Assistant.dmg (run on a Mac; it cannot be run on Linux).
#   make install-dev (a Metal build of llama.cpp is chosen on Apple Silicon), then:
#   installers/macos/build_app.sh
# Sign and notarise the .app before handing it out (codesign, xcrun notarytool): an unsigned
# app is stopped by Gatekeeper on other Macs.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
mkdir -p build/assistant.iconset
for n in 16 32 128 256; do
    sips -z $n $n resources/icons/assistant-256.png --out build/assistant.iconset/icon_${n}x${n}.png >/dev/null
    sips -z $((n * 2)) $((n * 2)) resources/icons/assistant-256.png \
        --out build/assistant.iconset/icon_${n}x${n}@2x.png >/dev/null
done
iconutil -c icns build/assistant.iconset -o build/assistant.icns
"$PY" -m pip install -q "pyinstaller>=6.10" "pyinstaller-hooks-contrib>=2024.8"
"$PY" -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller installers/assistant.spec
hdiutil create -volname Assistant -srcfolder dist/Assistant.app -ov -format UDZO dist/Assistant.dmg
echo "dist/Assistant.app and dist/Assistant.dmg are ready (unsigned)"

#!/usr/bin/env bash
# Put Assistant in the desktop's menu: the .desktop entry (with the Quick question action),
# the AppStream metainfo and the icons, under $XDG_DATA_HOME (~/.local/share).
#   install-desktop-entry.sh BIN_DIR [RESOURCES_DIR]
# BIN_DIR holds the `assistant` command (and `assistant-gui`, when it is a venv's bin/);
# RESOURCES_DIR defaults to the checkout's or the bundle's resources/. In a bundle:
#   dist/assistant/install-desktop-entry.sh dist/assistant
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
default=$here/../../resources  # in a checkout; a bundle has them in _internal/
[ -d "$here/_internal/resources" ] && default=$here/_internal/resources
resources=$(realpath "${2:-$default}")
id=io.github.assistant.Assistant
dest=${XDG_DATA_HOME:-$HOME/.local/share}
gui="$bin/assistant-gui"
[ -x "$gui" ] || gui="$bin/assistant gui"  # a bundle: one executable for both
mkdir -p "$dest/applications" "$dest/metainfo" "$dest/icons/hicolor/scalable/apps"
sed -e "s|^Exec=assistant-gui|Exec=$gui|" \
    -e "s|^TryExec=assistant-gui|TryExec=${gui%% *}|" \
    -e "s|^Exec=assistant popup|Exec=$bin/assistant popup|" \
    "$resources/linux/$id.desktop" > "$dest/applications/$id.desktop"
cp "$resources/linux/$id.metainfo.xml" "$dest/metainfo/"
for n in 16 24 32 48 64 128 256; do
    mkdir -p "$dest/icons/hicolor/${n}x${n}/apps"
    cp "$resources/icons/assistant-$n.png" "$dest/icons/hicolor/${n}x${n}/apps/assistant.png"
done
cp "$resources/icons/assistant.svg" "$dest/icons/hicolor/scalable/apps/assistant.svg"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$dest/applications" || true
echo "Assistant is in the desktop's menu: $dest/applications/$id.desktop"

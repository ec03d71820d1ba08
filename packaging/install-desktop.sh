#!/usr/bin/env bash
# Add Fieldmark to this user's desktop menu (Linux). Run it from the unpacked package folder
# (build.sh copies it next to the `fieldmark` binary); it needs no root and no network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/fieldmark" ] || { echo "install-desktop.sh: run the copy inside the package folder (next to 'fieldmark')" >&2; exit 1; }
share=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$share/applications" "$share/icons/hicolor/256x256/apps"
cp "$here/_internal/resources/fieldmark.png" "$share/icons/hicolor/256x256/apps/fieldmark.png"
sed -e "s|^Exec=fieldmark |Exec=\"$here/fieldmark\" |" -e "/^# /d" "$here/fieldmark.desktop" \
  > "$share/applications/fieldmark.desktop"
mkdir -p "$share/mime/packages"
cp "$here/fieldmark-mime.xml" "$share/mime/packages/fieldmark.xml"  # .fmproj and .fmpkg open in Fieldmark
command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$share/mime" || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$share/applications" || true
echo "Fieldmark is in the applications menu ($share/applications/fieldmark.desktop)."

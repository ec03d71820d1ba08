#!/usr/bin/env bash
# Build the one-folder package: dist/fieldmark/ (run it as dist/fieldmark/fieldmark).
#   bash packaging/build.sh            CPU build (default; smaller, runs models on the CPU)
#   bash packaging/build.sh --cuda     CUDA build (all of torch's NVIDIA libraries and triton)
#   add --archive to also pack dist/fieldmark-<version>-<os>-<arch>-<flavour>.tar.zst (or .tar.gz)
# `make package` runs this. Needs the project's .venv (make setup); installs PyInstaller into it
# from packaging/requirements-package.txt when missing. Prints the build time and the package size.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
FLAVOUR=cpu
ARCHIVE=0
for arg in "$@"; do
  case "$arg" in
    --cuda) FLAVOUR=cuda ;;
    --cpu) FLAVOUR=cpu ;;
    --archive) ARCHIVE=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $arg (use --cpu, --cuda, --archive)" >&2; exit 2 ;;
  esac
done
[ -x "$PY" ] || { echo "build.sh: no .venv here; run 'make setup' first" >&2; exit 1; }

want=$(grep -E '^pyinstaller==' packaging/requirements-package.txt | cut -d= -f3)
have=$("$PY" -c 'import PyInstaller; print(PyInstaller.__version__)' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "Installing PyInstaller $want into .venv ..."
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install -q -r packaging/requirements-package.txt
fi

mkdir -p build
export FIELDMARK_FLAVOUR=$FLAVOUR
echo "Building the $FLAVOUR package (PyInstaller log: build/pyinstaller-$FLAVOUR.log) ..."
start=$(date +%s)
if ! "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
     --distpath dist --workpath "build/pyinstaller-$FLAVOUR" packaging/fieldmark.spec \
     > "build/pyinstaller-$FLAVOUR.log" 2>&1; then
  tail -40 "build/pyinstaller-$FLAVOUR.log" >&2
  echo "build.sh: PyInstaller failed (full log: build/pyinstaller-$FLAVOUR.log)" >&2
  exit 1
fi
seconds=$(( $(date +%s) - start ))
cp packaging/fieldmark.desktop packaging/fieldmark-mime.xml packaging/install-desktop.sh dist/fieldmark/
grep -E '^fieldmark.spec:' "build/pyinstaller-$FLAVOUR.log" || true
size=$(du -sm dist/fieldmark | cut -f1)
files=$(find dist/fieldmark -type f | wc -l)
echo "Built dist/fieldmark ($FLAVOUR) in ${seconds} s: ${size} MiB, ${files} files"
echo "build_seconds=$seconds size_mib=$size files=$files flavour=$FLAVOUR" > dist/fieldmark-build.txt

if [ "$ARCHIVE" = 1 ]; then
  version=$("$PY" -c 'import app; print(app.__version__)')
  name="fieldmark-$version-$(uname -s | tr 'A-Z' 'a-z')-$(uname -m)-$FLAVOUR"
  start=$(date +%s)
  if command -v zstd >/dev/null; then
    archive="dist/$name.tar.zst"
    tar -C dist -cf - fieldmark | zstd -T0 -6 -q -f -o "$archive"
  else
    archive="dist/$name.tar.gz"
    tar -C dist -czf "$archive" fieldmark
  fi
  echo "Packed $archive in $(( $(date +%s) - start )) s: $(du -m "$archive" | cut -f1) MiB"
fi

#!/usr/bin/env bash
# Idempotent set-up: system libraries Qt needs, .venv in the repo root, pinned dependencies in the
# order that avoids sam2's double torch install. A second run only checks a stamp and is fast.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

"$PY" - <<'PYEOF' || { echo "Fieldmark needs Python 3.11 or newer (found $("$PY" --version 2>&1))." >&2; exit 1; }
import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)
PYEOF

# --- system libraries for Qt (offscreen and xcb) -------------------------------------------------
QT_LIBS="libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 fontconfig libdbus-1-3 libglib2.0-0 \
libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0 \
libxcb-xkb1 libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libxcb-util1 libx11-xcb1"
if command -v dpkg-query >/dev/null 2>&1; then
  missing=""
  for pkg in $QT_LIBS; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing system libraries for Qt:$missing"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
      echo "Qt needs these system packages, which are missing:$missing" >&2
      echo "Install them with: sudo apt-get install$missing" >&2
      echo "(continuing: the tests run offscreen, but the GUI may not start without them)" >&2
    fi
  fi
fi

# --- PostgreSQL server for team projects and their tests -------------------------------------------
# The tests start a throwaway cluster (tests/support/postgres.py) from Debian's server binaries.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL (Debian's postgresql package) for team projects and their tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL's server is not installed: team-project tests will be skipped." >&2
    echo "Install it with: sudo apt-get install postgresql" >&2
  fi
fi

# --- Python environment -----------------------------------------------------------------------------
STAMP=.venv/.fieldmark-installed
want=$(cat requirements-torch.txt requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip_install() {
  # Some machines' pip config names local indexes that may be absent; their warnings are noise here.
  .venv/bin/python -m pip install -q "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
echo "Installing torch (large: a CUDA build, ~6 GB venv) ..."
pip_install -r requirements-torch.txt
echo "Installing sam2 against that torch ..."
SAM2_BUILD_CUDA=0 pip_install --no-build-isolation sam2==1.1.0
echo "Installing the rest ..."
pip_install -r requirements.txt
pip_install --no-deps --no-build-isolation -e .
echo "$want" > "$STAMP"
echo "Set-up done."

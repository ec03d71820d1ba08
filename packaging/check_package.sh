#!/usr/bin/env bash
# Check the package the way a user meets it (its own command; not part of the unit tests):
# build it, then start the built binary under Xvfb with no network (unshare -n), an empty HOME and
# FIELDMARK_HOME and a clean environment (no Python, no venv on PATH), and go through a first run:
# the welcome, "Open demo project" (creates the demo from the bundled photos), the main window,
# Help > About (torch and the device, loaded inside the package), then Ctrl+Q. Then, still offline,
# the CLI of the package auto-annotates the demo with a YOLO checkpoint dropped into the models folder
# and with SAM 2 built from its bundled config. Screenshots and the app's log go to
# build/package-check/. Prints build time, package size and start-up time.
#
#   bash packaging/check_package.sh               build the CPU package, then check it
#   bash packaging/check_package.sh --no-build    check dist/fieldmark as it is
#   bash packaging/check_package.sh --cuda        build and check the CUDA package
#   bash packaging/check_package.sh --no-build --bin FILE   check another launcher with the same steps
#                                                 (e.g. a script running `python -m app "$@"`)
# Needs: Xvfb, xdotool, ImageMagick's `import` (apt-get install xvfb xdotool imagemagick
# libxcb-icccm4 libxcb-keysyms1), and util-linux `unshare` with the right to make a network
# namespace (root here); without it the check runs with the network and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=1
FLAVOUR_ARGS=()
BIN=$PWD/dist/fieldmark/fieldmark
while [ $# -gt 0 ]; do
  arg=$1; shift
  case "$arg" in
    --no-build) BUILD=0 ;;
    --bin) BIN=$(realpath "$1"); shift ;;
    --cpu|--cuda) FLAVOUR_ARGS+=("$arg") ;;
    *) echo "check_package.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "check_package.sh: $tool is missing (see the header of this file)" >&2; exit 1; }
done
if [ "$BUILD" = 1 ]; then
  nice -n 10 bash packaging/build.sh "${FLAVOUR_ARGS[@]}"
fi
[ -x "$BIN" ] || { echo "check_package.sh: $BIN does not exist; build it first" >&2; exit 1; }

OUT=$PWD/build/package-check
rm -rf "$OUT"
mkdir -p "$OUT"
WORK=$(mktemp -d)
DISPLAY_NUM=$(( 90 + RANDOM % 100 ))
APP_PID=""
XVFB_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if unshare -n true 2>/dev/null; then
  NONET=(unshare -n)
  NETWORK="none (unshare -n: a new network namespace with only a down loopback)"
else
  NONET=()
  NETWORK="NOT isolated: unshare -n is not permitted here, so the app ran with the network"
fi
mkdir -p "$WORK/home" "$WORK/fieldmark" "$WORK/run"
chmod 700 "$WORK/run"
# A clean environment: nothing from this shell (no venv, no PYTHONPATH), /usr/bin only on PATH.
RUN_ENV=(env -i "PATH=/usr/bin:/bin" "HOME=$WORK/home" "FIELDMARK_HOME=$WORK/fieldmark" "LANG=C.UTF-8"
         "XDG_RUNTIME_DIR=$WORK/run" "DISPLAY=:$DISPLAY_NUM" "QT_QPA_PLATFORM=xcb")

Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.2; done

wait_window() {  # wait_window TITLE SECONDS -> prints the window id
  local title=$1 limit=$2 start=$SECONDS id
  while (( SECONDS - start < limit )); do
    id=$(xdotool search --onlyvisible --name "$title" 2>/dev/null | head -1 || true)
    if [ -n "$id" ]; then echo "$id"; return 0; fi
    if [ -n "$APP_PID" ] && ! kill -0 "$APP_PID" 2>/dev/null; then
      echo "check_package.sh: the app exited before '$title' appeared" >&2; return 1
    fi
    sleep 0.5
  done
  echo "check_package.sh: no window '$title' after ${limit}s" >&2
  return 1
}
fail() {
  echo "FAILED: $1" >&2
  import -window root "$OUT/failure.png" 2>/dev/null || true
  echo "--- app output ---" >&2; tail -30 "$OUT/app.out" >&2 || true
  echo "--- app log ---" >&2; tail -30 "$WORK/fieldmark/log/fieldmark.log" >&2 || true
  exit 1
}

echo "== CLI from the package"
"${RUN_ENV[@]}" "${NONET[@]}" "$BIN" --version | tee "$OUT/version.txt"

echo "== First run: welcome, demo, main window, About"
t0=$(date +%s.%N)
"${RUN_ENV[@]}" "${NONET[@]}" "$BIN" >"$OUT/app.out" 2>&1 &
APP_PID=$!
welcome=$(wait_window "Welcome to Fieldmark" 120) || fail "the first-run welcome did not appear"
startup=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sleep 1
import -window root "$OUT/welcome.png"
xdotool windowfocus --sync "$welcome"
xdotool key --clearmodifiers Return  # the default button: Open demo project
main=$(wait_window "Fieldmark demo" 180) || fail "the demo project did not open"
sleep 2
import -window "$main" "$OUT/main-window.png"
xdotool windowfocus --sync "$main"
xdotool key --clearmodifiers alt+h Up Return  # Help > About Fieldmark (the last entry)
wait_window "About Fieldmark" 30 >/dev/null || fail "Help > About did not open"
for _ in $(seq 240); do
  grep -q "About: torch" "$WORK/fieldmark/log/fieldmark.log" 2>/dev/null && break
  sleep 0.5
done
sleep 1
import -window root "$OUT/about.png"
grep -q "About: torch" "$WORK/fieldmark/log/fieldmark.log" || fail "the About box did not report torch"
xdotool key --clearmodifiers Escape
xdotool windowfocus --sync "$main"
xdotool key --clearmodifiers ctrl+q
for _ in $(seq 60); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$APP_PID" 2>/dev/null; then fail "the app did not quit on Ctrl+Q"; fi
set +e; wait "$APP_PID"; rc=$?; set -e
APP_PID=""
[ "$rc" = 0 ] || fail "the app exited with status $rc"
cp "$WORK/fieldmark/log/fieldmark.log" "$OUT/fieldmark.log"
if grep -q "unhandled error" "$OUT/fieldmark.log"; then fail "the log has an unhandled error"; fi
grep -q "Fieldmark .* started" "$OUT/fieldmark.log" || fail "the log has no start line"
[ -f "$WORK/fieldmark/data/demo/demo.fmproj" ] || fail "the demo project was not created"
grep -q '"welcome_shown": true' "$WORK/fieldmark/config/settings.json" || fail "welcome_shown was not saved"

echo "== Models from the models folder, run inside the package (no network)"
MODELS="$WORK/fieldmark/cache/models"
mkdir -p "$MODELS"
# A YOLO checkpoint with random weights stands in for one the user drops in (no downloads here).
YOLO_OFFLINE=1 YOLO_CONFIG_DIR="$WORK/yolo-config" "$REPO/.venv/bin/python" -c \
  "from ultralytics import YOLO; YOLO('yolo11n.yaml').save('$MODELS/check-yolo11n.pt')" >/dev/null 2>&1 \
  || fail "could not make the stand-in YOLO checkpoint with .venv"
DEMO="$WORK/fieldmark/data/demo/demo.fmproj"
(cd "$WORK" && "${RUN_ENV[@]}" "${NONET[@]}" "$BIN" auto-annotate "$DEMO" --task photos \
   --model check-yolo11n.pt --allow-unmatched-labels) >"$OUT/yolo.out" 2>&1 \
  || { cat "$OUT/yolo.out" >&2; fail "YOLO from the models folder did not run"; }
(cd "$WORK" && "${RUN_ENV[@]}" "${NONET[@]}" "$BIN" auto-annotate "$DEMO" --task photos \
   --function-file "$REPO/packaging/check_sam2_function.py") >"$OUT/sam2.out" 2>&1 \
  || { cat "$OUT/sam2.out" >&2; fail "SAM 2 did not run inside the package"; }
grep -q "SAM2 OK" "$OUT/sam2.out" || fail "the SAM 2 function printed no result"
echo "YOLO (models folder) and SAM 2 (bundled config) ran: $(grep -c 'SAM2 OK' "$OUT/sam2.out") images"

echo "== Result"
echo "network:        $NETWORK"
echo "start-up:       ${startup} s to the welcome window (first run, cold)"
grep "About: " "$OUT/fieldmark.log" | sed 's/.*About: /about:          /'
[ -f dist/fieldmark-build.txt ] && sed 's/^/build:          /' dist/fieldmark-build.txt
echo "package size:   $(du -sm dist/fieldmark | cut -f1) MiB ($(find dist/fieldmark -type f | wc -l) files)"
echo "screenshots:    $OUT/welcome.png $OUT/main-window.png $OUT/about.png"
echo "PASSED"

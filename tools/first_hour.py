"""An annotator's scripted first hour, under a real X server, with screenshots.

    .venv/bin/python tools/first_hour.py [--out DIR] [--size 1920x1080] [--size 1366x768]

For each size it starts ``Xvfb`` on a free display (install: ``apt-get install xvfb xdotool``), runs
the app there with a fresh settings folder (a first start), opens the demo project, opens its first
job and then: draws a rectangle, polygon, polyline, points, ellipse, mask, skeleton and a frame tag;
edits a card's label and attribute and the tag's attribute; switches frames; runs intelligent
scissors; and checks that a canvas key (``]``, the brush size) works after a real click (xdotool) on
the objects list. Screenshots (PNG, taken from the X server with ImageMagick's ``import`` when it is
there, else from Qt) and ``report-WxH.json`` (canvas share, counts, checks) go to ``--out``.
Exit status 1 when a check fails. The README's screenshot is ``02-job-1920x1080.png`` of a run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_display() -> int:
    for number in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number between :140 and :199")


def run_size(size: str, out: Path) -> int:
    """Start Xvfb at ``size`` and run this script's scenario in a child process on it."""
    if shutil.which("Xvfb") is None:
        print("Xvfb is not installed (apt-get install xvfb xdotool imagemagick)", file=sys.stderr)
        return 2
    display = free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{display}").exists():
                break
            time.sleep(0.1)
        home = Path(tempfile.mkdtemp(prefix="fieldmark-first-hour-"))
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb", FIELDMARK_HOME=str(home),
                   XDG_CONFIG_HOME=str(home / "xdg"), FIELDMARK_SETTINGS=str(home / "settings.json"),
                   YOLO_OFFLINE="1", PYTHONPATH=str(ROOT))
        child = [sys.executable, str(Path(__file__).resolve()), "--child", "--out", str(out), "--size", size]
        return subprocess.run(child, env=env, cwd=ROOT, timeout=600).returncode
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "first-hour"), help="folder for PNGs and reports")
    parser.add_argument("--size", action="append", help="screen size WxH (repeatable; default both)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = args.size or ["1920x1080", "1366x768"]
    if args.child:
        from tools.first_hour_scenario import run_scenario

        return run_scenario(out, sizes[0])
    status = 0
    for size in sizes:
        status = max(status, run_size(size, out))
    return status


if __name__ == "__main__":
    sys.exit(main())

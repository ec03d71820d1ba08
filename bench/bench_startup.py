"""Start-up time: from launching the interpreter to the first paint of the main window (what the
user waits for before anything shows), the median of a few cold-ish starts in fresh processes.

The child does what ``app.widgets.application.run`` does up to the first paint (logging, the
QApplication, the main window with its Help menu, ``show``) and prints when the window's first paint
event arrives. ``FIELDMARK_STARTUP_ROOT`` selects another checkout to compare with (its ``app``)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
CHILD = """
import os
from PySide6.QtCore import QEvent, QObject
from app.widgets.application import make_app, setup_logging
setup_logging()
app = make_app()
from app.widgets.help_menu import install_help_menu
from app.widgets.main_window import MainWindow
window = MainWindow()
install_help_menu(window)
class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if watched is window and event.type() == QEvent.Type.Paint:
            print("painted", flush=True)
            os._exit(0)
        return False
spy = FirstPaint()
window.installEventFilter(spy)
window.show()
app.exec()
"""


def one_start(root: Path, home: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(root), FIELDMARK_HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"))
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, cwd=root, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - start
    child.wait(60)
    if line.strip() != "painted":
        raise RuntimeError("the main window was never painted")
    return elapsed


def main() -> dict:
    root = Path(os.environ.get("FIELDMARK_STARTUP_ROOT", Path(__file__).resolve().parents[1]))
    home = Path(tempfile.mkdtemp(prefix="fm-bench-startup-"))
    one_start(root, home)  # warm the OS file cache, as a second launch of the day would be
    times = [one_start(root, home) for _ in range(RUNS)]
    figures = {"root": str(root), "platform": os.environ.get("QT_QPA_PLATFORM", ""),
               "first_paint_s_p50": round(statistics.median(times), 3), "first_paint_s_min": round(min(times), 3),
               "loadavg": Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else ""}
    for key, value in figures.items():
        print(f"  {key:22s} {value}")
    return figures

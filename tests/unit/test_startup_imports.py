"""Start-up stays fast: what the first window needs does not import the store (SQLAlchemy, Alembic,
NumPy), OpenCV, the quality package or pyqtgraph; they load when a project opens or just after the
first paint (bench/bench_startup.py measures the time to the first paint)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("app.storage.store", "sqlalchemy", "alembic", "cv2", "pyqtgraph", "app.quality.service", "torch")


def test_the_first_window_imports_nothing_heavy() -> None:
    code = ("import sys\n"
            "from app.widgets.application import make_app\n"
            "app = make_app()\n"
            "from app.widgets.help_menu import install_help_menu\n"
            "from app.widgets.main_window import MainWindow\n"
            "install_help_menu(MainWindow())\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"

"""Entry point of the packaged app (PyInstaller runs this file as ``__main__``).

It calls the same :func:`app.cli.main` as ``python -m app`` and the ``fieldmark`` console script,
so the frozen binary takes the same commands (no command = the GUI). Before that it applies what
only a package needs: offline defaults, and in the CPU build hiding GPUs from torch, because that
build leaves out the CUDA libraries torch opens only to run GPU kernels (see docs/packaging.md).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path

BUILD_INFO = "fieldmark_build.json"  # written into the bundle by packaging/fieldmark.spec


def build_info() -> dict[str, str]:
    bundle = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))
    try:
        return json.loads((bundle / BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def configure_environment(info: dict[str, str]) -> None:
    """Environment defaults for the packaged app; the user's own settings win where that is safe."""
    os.environ.setdefault("YOLO_OFFLINE", "1")  # no DNS probe / telemetry from ultralytics
    if info.get("flavour") == "cpu":
        # Not setdefault: a GPU visible to torch would make it look for cuDNN/cuSOLVER, which are not there.
        os.environ["CUDA_VISIBLE_DEVICES"] = ""


def main() -> int:
    multiprocessing.freeze_support()  # torch/ultralytics worker processes re-enter the frozen binary
    if sys.argv[1:2] == ["--fieldmark-quality-worker"]:  # app.quality.parallel.WORKER_FLAG
        from app.quality.parallel import worker_main

        return worker_main()
    configure_environment(build_info())
    from app.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())

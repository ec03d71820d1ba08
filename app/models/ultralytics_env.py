"""Import Ultralytics offline: no DNS probes, telemetry, update checks or settings in the user's home."""

from __future__ import annotations

import os
from typing import Any

from app import paths


def prepare_env() -> None:
    """The offline settings Ultralytics reads when first imported (env-notes §4)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(paths.cache_dir() / "ultralytics"))


def import_yolo() -> Any:
    """``ultralytics.YOLO`` with offline settings applied before the first import."""
    prepare_env()
    from ultralytics import YOLO

    return YOLO

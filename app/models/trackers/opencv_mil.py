"""OpenCV's MIL tracker (``cv2.TrackerMIL``) for rectangles, the tracker CVAT runs in the browser.

MIL follows an axis-aligned box of fixed size. A rotated rectangle is tracked by its unrotated box
(CVAT stores rectangles as the box before rotation about its centre) and keeps its rotation.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from app.domain.enums import ShapeType
from app.models.trackers.base import TrackerError, TrackTarget, check_supported

MIN_SIDE = 2  # pixels; MIL cannot learn from a smaller box


@dataclass
class _MilState:
    tracker: Any  # cv2.TrackerMIL
    width: float
    height: float
    image_size: tuple[int, int]  # (height, width) of the frames this state was made for


RNG_SEED = 12345


def _libc_srand() -> Callable[[int], None] | None:
    name = ctypes.util.find_library("c") if sys.platform != "win32" else None
    if not name:
        return None
    try:
        return ctypes.CDLL(name).srand
    except OSError:
        return None


_SRAND = _libc_srand()


def _seed_sampler() -> None:
    """OpenCV's TrackerMIL draws samples with the C library's ``rand()`` as well as cv::RNG, so its
    result depends on every earlier ``rand()`` call in the process. Seeding before each call makes a
    track reproducible: the same frames and box always give the same track (POSIX only)."""
    cv2.setRNGSeed(RNG_SEED)  # and, for some parts, cv::theRNG() of the calling thread
    if _SRAND is not None:
        _SRAND(RNG_SEED)


def _clip_box(points: tuple[float, ...], width: int, height: int) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) in integer pixels inside the image, or None when too little of it is visible."""
    x1, y1, x2, y2 = points[:4]
    left, top = max(0, int(round(min(x1, x2)))), max(0, int(round(min(y1, y2))))
    right, bottom = min(width, int(round(max(x1, x2)))), min(height, int(round(max(y1, y2))))
    if right - left < MIN_SIDE or bottom - top < MIN_SIDE:
        return None
    return left, top, right - left, bottom - top


class MilTracker:
    """Rectangles with ``cv2.TrackerMIL``. Cheap to build; one OpenCV tracker object per target."""

    name = "TrackerMIL"
    supported_types = frozenset({ShapeType.RECTANGLE})

    def __init__(self, params: Any | None = None) -> None:
        self.params = params

    def _create(self) -> Any:
        if self.params is not None:
            return cv2.TrackerMIL.create(self.params)
        return cv2.TrackerMIL.create()

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        if image.ndim != 3 or image.shape[2] != 3:
            raise TrackerError(f"{self.name} needs an RGB image, got an array of shape {image.shape}")
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)

    def init_state(self, pre: np.ndarray, target: TrackTarget) -> _MilState:
        check_supported(self, target)
        height, width = pre.shape[:2]
        box = _clip_box(target.points, width, height)
        if box is None:
            raise TrackerError(f"{self.name}: the rectangle {list(target.points)} is (almost) outside the "
                               f"{width}x{height} frame")
        tracker = self._create()
        _seed_sampler()  # reproducible: the same video and box give the same track
        tracker.init(pre, box)
        return _MilState(tracker, float(box[2]), float(box[3]), (height, width))

    def track(self, pre: np.ndarray, state: _MilState) -> list[float] | None:
        if pre.shape[:2] != state.image_size:
            raise TrackerError(f"{self.name}: frame size changed from {state.image_size} to {pre.shape[:2]}")
        _seed_sampler()
        ok, box = state.tracker.update(pre)
        if not ok:
            return None
        x, y, w, h = (float(v) for v in box)
        if w <= 0 or h <= 0:
            return None
        return [x, y, x + w, y + h]

    def close(self) -> None:
        pass

"""A content-dependent detector for the distributed-run tests: one "car" box per frame around its
brightest pixel (so a wrongly decoded frame gives a different box).

``create(delay: float = 0.0, crash_on: str = "")``: ``delay`` seconds of work per frame; ``crash_on``: a
frame name whose processing kills the whole process (``os._exit``), as a segfaulting model would.
"""

import os
import time

import cvat_sdk.auto_annotation as cvataa
import numpy as np


class _PixelBoxes:
    def __init__(self, delay: float, crash_on: str) -> None:
        self.delay, self.crash_on = delay, crash_on
        self.spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="rectangle")])

    def detect(self, context, image):
        if self.crash_on and context.frame_name == self.crash_on:
            os._exit(3)
        time.sleep(self.delay)
        brightness = np.asarray(image, dtype=np.int64).sum(axis=2)
        y, x = (int(v) for v in np.unravel_index(int(brightness.argmax()), brightness.shape))
        return [cvataa.rectangle(0, [x - 2.0, y - 2.0, x + 2.0, y + 2.0])]


def create(delay: float = 0.0, crash_on: str = ""):
    return _PixelBoxes(delay, crash_on)

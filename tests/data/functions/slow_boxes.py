"""A detection function for run-control tests: one "car" rectangle per frame, after ``delay`` seconds.

``create(delay: float = 0.0, hang_frame: str = "", exit_frame: str = "", interrupt_frame: str = "")``:
on the frame named ``hang_frame`` detect() never returns; on ``exit_frame`` it calls ``sys.exit(4)``;
on ``interrupt_frame`` it raises KeyboardInterrupt (what CVAT functions sometimes do).
"""

import sys
import threading
import time

import cvat_sdk.auto_annotation as cvataa


class _Slow:
    def __init__(self, delay: float, hang_frame: str, exit_frame: str, interrupt_frame: str) -> None:
        self.delay = delay
        self.hang_frame = hang_frame
        self.exit_frame = exit_frame
        self.interrupt_frame = interrupt_frame
        self.spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="rectangle")])

    def detect(self, context, image):
        if context.frame_name == self.hang_frame:
            threading.Event().wait()
        if context.frame_name == self.exit_frame:
            sys.exit(4)
        if context.frame_name == self.interrupt_frame:
            raise KeyboardInterrupt
        time.sleep(self.delay)
        width, height = image.size
        return [cvataa.rectangle(0, [1, 1, width - 2, height - 2])]


def create(delay: float = 0.0, hang_frame: str = "", exit_frame: str = "", interrupt_frame: str = ""):
    return _Slow(delay, hang_frame, exit_frame, interrupt_frame)

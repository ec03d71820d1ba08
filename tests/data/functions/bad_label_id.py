"""Broken on purpose: valid rectangles for the first ``good_frames`` calls, then an unknown label id."""

import cvat_sdk.auto_annotation as cvataa


class _Fn:
    spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="rectangle")])

    def __init__(self, good_frames: int) -> None:
        self.calls = 0
        self.good_frames = good_frames

    def detect(self, context, image):
        self.calls += 1
        label_id = 0 if self.calls <= self.good_frames else 99
        return [cvataa.rectangle(label_id, [1, 1, 4, 4])]


def create(good_frames: int = 0):
    return _Fn(good_frames)

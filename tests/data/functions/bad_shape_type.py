"""Broken on purpose: the label is declared as rectangle, but a polygon is emitted."""

import cvat_sdk.auto_annotation as cvataa

spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="rectangle")])


def detect(context, image):
    return [cvataa.polygon(0, [1, 1, 5, 1, 5, 5])]

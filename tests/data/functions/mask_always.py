"""Emits a mask whatever the context says: fine normally, a violation when masks-as-polygons is on."""

import cvat_sdk.auto_annotation as cvataa
import numpy as np
from cvat_sdk.masks import encode_mask

spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="mask")])


def detect(context, image):
    width, height = image.size
    bitmap = np.zeros((height, width), dtype=bool)
    bitmap[2:6, 3:8] = True
    return [cvataa.mask(0, encode_mask(bitmap))]

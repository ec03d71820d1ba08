"""A well-behaved segmenter: masks normally, polygons when ``context.conv_mask_to_poly`` is set;
objects below ``context.conf_threshold`` are skipped."""

import cvat_sdk.auto_annotation as cvataa
import numpy as np
from cvat_sdk.masks import encode_mask

spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="mask")])


def detect(context, image):
    width, height = image.size
    found = [(0.9, (2, 2, 8, 6)), (0.3, (10, 10, 14, 14))]
    threshold = context.conf_threshold if context.conf_threshold is not None else 0.0
    out = []
    for score, (x1, y1, x2, y2) in found:
        if score < threshold:
            continue
        if context.conv_mask_to_poly:
            out.append(cvataa.polygon(0, [x1, y1, x2, y1, x2, y2, x1, y2]))
        else:
            bitmap = np.zeros((height, width), dtype=bool)
            bitmap[y1:y2, x1:x2] = True
            out.append(cvataa.mask(0, encode_mask(bitmap)))
    return out

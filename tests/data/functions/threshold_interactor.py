"""A small CVAT interaction function (written against cvat_sdk only, as CVAT's agent runs it).

It grows the region of pixels whose brightness is close to the first positive point's, removes what
is connected to negative points and limits everything to the box when one is given. It returns one
``mask`` shape, like the functions CVAT's UI uses.
"""

import cv2
import cvat_sdk.auto_annotation as cvataa
import numpy as np
from cvat_sdk import models
from cvat_sdk.masks import encode_mask

spec = cvataa.InteractionFunctionSpec(min_pos_points=1, min_neg_points=0, min_bounding_boxes=0)


def preprocess_image(context, image):
    return np.asarray(image.convert("L"), dtype=np.int16)


def detect(context, gray, prompts):
    h, w = gray.shape
    x, y = (int(round(v)) for v in prompts.pos_points[0])
    similar = np.abs(gray - gray[y, x]) < 30
    if prompts.bounding_box is not None:
        (x1, y1), (x2, y2) = prompts.bounding_box
        box = np.zeros_like(similar)
        box[int(y1):int(y2) + 1, int(x1):int(x2) + 1] = True
        similar &= box
    _, labels = cv2.connectedComponents(similar.astype(np.uint8), connectivity=4)
    mask = labels == labels[y, x]
    for nx, ny in prompts.neg_points:
        if labels[int(ny), int(nx)] == labels[y, x]:
            mask[:, :] = False
    mask &= similar
    if not mask.any():
        return []
    return [cvataa.InteractionResultShape(
        type="mask", points=encode_mask(mask),
        attributes=[models.AttributeValRequest(spec_id=0, value="0.75")],
    )]

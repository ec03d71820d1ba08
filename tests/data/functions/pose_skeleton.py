"""A pose function shaped like CVAT's YOLO11 pose example: one skeleton label with 17 COCO keypoints.

It emits one person per frame, centred in the image; the last keypoints are marked outside (as the
YOLO function does below its keypoint confidence threshold). Deterministic, no model needed.
"""

import cvat_sdk.auto_annotation as cvataa

KEYPOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
             "left_knee", "right_knee", "left_ankle", "right_ankle"]

spec = cvataa.DetectionFunctionSpec(labels=[
    cvataa.skeleton_label_spec("person", 0, [cvataa.keypoint_spec(name, i) for i, name in enumerate(KEYPOINTS)]),
])


def detect(context, image):
    width, height = image.size
    elements = [
        cvataa.keypoint(i, [width * (i + 1) / 19, height / 2], outside=i >= 15)
        for i in range(len(KEYPOINTS))
    ]
    return [cvataa.skeleton(0, elements)]

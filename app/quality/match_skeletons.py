"""Skeletons: OKS over keypoints in sublabel order, in the mean bbox of the two instance groups.

A missing keypoint is (0, 0) and absent; only *visible* keypoints count (hidden ones are treated as not
visible, so hidden-vs-visible costs the keypoint); a skeleton whose keypoints are all absent is dropped
(neither matched nor counted). Only skeleton-level attributes are compared (elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.quality.assignment import assign, same_label_attr
from app.quality.match_points import bbox_iou, group_bboxes, mean_bbox, oks
from app.quality.objects import ABSENT, VISIBLE, QFrame, QObject
from app.quality.typeresult import TypeResult, fill_best, record_pairs


def skeleton_keypoints(obj: QObject, order: Sequence[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """Keypoints in sublabel order ((0, 0) absent when missing) and visibility; None when all absent."""
    points, vis = [], []
    for sub in order:
        element = next((e for e in obj.elements if e[0] == sub), None)
        points.append((element[1], element[2]) if element else (0.0, 0.0))
        vis.append(element[3] if element else ABSENT)
    if all(v == ABSENT for v in vis):
        return None
    return np.array(points, dtype=float).reshape(-1, 2), np.array(vis)


def match_skeletons(gt_frame: QFrame, ds_frame: QFrame, gt: Sequence[QObject], ds: Sequence[QObject], *,
                    sigma: float, threshold: float, sublabels: dict[int, list[int]]) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    boxes = dict(group_bboxes(gt_frame))
    boxes.update(group_bboxes(ds_frame))
    a = [(o, skeleton_keypoints(o, sublabels[o.label])) for o in gt]
    b = [(o, skeleton_keypoints(o, sublabels[o.label])) for o in ds]
    a = [(o, k) for o, k in a if k is not None]
    b = [(o, k) for o, k in b if k is not None]
    sim = np.zeros((len(a), len(b)))
    for i, (x, kx) in enumerate(a):
        for j, (y, ky) in enumerate(b):
            bx, by = boxes[id(x)], boxes[id(y)]
            if bbox_iou(bx, by) <= 0:
                continue
            box = mean_bbox([bx, by])
            with np.errstate(invalid="ignore", divide="ignore"):
                sim[i, j] = oks(kx[0], ky[0], sigma, box[2] * box[3], kx[1] == VISIBLE, ky[1] == VISIBLE)
    ga, gb = [o for o, _ in a], [o for o, _ in b]
    result = TypeResult(assignment=assign(ga, gb, sim, threshold, same_label_attr))
    record_pairs(result, sim, ga, gb)
    fill_best(result, ga, gb, sim)
    return result

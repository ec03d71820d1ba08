"""Points: OKS-based similarity (the helpers are shared with skeletons).

Every object belongs to an instance group of its frame (same non-zero group id, any type); the group's
bbox (union of members' bboxes) sets the scale. Two single points (both group bboxes of area 0) compare
in image space; other point sets pair their points by a nested assignment and compare in the mean group
bbox (or image area with ``point_size_base = image_size``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.quality.assignment import assign, same_label_attr
from app.quality.match_boxes import box_iou_arrays
from app.quality.objects import QFrame, QObject
from app.quality.typeresult import TypeResult, fill_best, record_pairs


def max_bbox(boxes: Sequence[Sequence[float]]) -> list[float]:
    x0 = min((b[0] for b in boxes), default=0)
    y0 = min((b[1] for b in boxes), default=0)
    x1 = max((b[0] + b[2] for b in boxes), default=0)
    y1 = max((b[1] + b[3] for b in boxes), default=0)
    return [x0, y0, x1 - x0, y1 - y0]


def mean_bbox(boxes: Sequence[Sequence[float]]) -> list[float]:
    n = len(boxes)
    left = sum(b[0] for b in boxes) / n
    top = sum(b[1] for b in boxes) / n
    right = sum(b[0] + b[2] for b in boxes) / n
    bottom = sum(b[1] + b[3] for b in boxes) / n
    return [left, top, right - left, bottom - top]


def bbox_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Datumaro's ``bbox_iou``: -1 when the intersection area is 0."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    in_w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    in_h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = in_w * in_h
    if not inter:
        return -1
    return inter / (aw * ah + bw * bh - inter)


def group_bboxes(frame: QFrame) -> dict[int, list[float]]:
    """id(object) -> bbox of its instance group, for the frame's points and skeletons (cached).

    A group is every object with the same non-zero group id (any type; tags have no bbox); an
    ungrouped object is its own group."""
    cached = frame.cache.get("group_bboxes")
    if cached is not None:
        return cached
    out: dict[int, list[float]] = {}
    frame.cache["group_bboxes"] = out
    wanted = [o for o in frame.objects if o.kind in ("points", "skeleton")]
    if not wanted:
        return out
    members: dict[int, list[QObject]] = {}
    if any(o.group for o in wanted):
        for o in frame.objects:
            if o.group:
                members.setdefault(o.group, []).append(o)
    for obj in wanted:
        if not obj.group:
            out[id(obj)] = max_bbox([obj.bbox(frame.height, frame.width)])
            continue
        boxes = [o.bbox(frame.height, frame.width) for o in members[obj.group] if o.kind != "tag"]
        out[id(obj)] = max_bbox([b for b in boxes if b is not None])
    return out


def oks(p1: np.ndarray, p2: np.ndarray, sigma: float, scale: float,
        vis_a: np.ndarray | None = None, vis_b: np.ndarray | None = None) -> float:
    """Object keypoint similarity (CVAT's variant with optional per-point visibility)."""
    if len(p1) != len(p2):
        return 0
    va = np.full(len(p1), True) if vis_a is None else vis_a
    vb = np.full(len(p2), True) if vis_b is None else vis_b
    dists = np.linalg.norm(p1 - p2, axis=1)
    return np.sum(va * vb * np.exp((va == vb) * (-(dists**2) / (2 * scale * (2 * sigma) ** 2)))) / np.sum(
        va | vb, dtype=float)


class PointsSimilarity:
    def __init__(self, frame: QFrame, sigma: float, threshold: float, image_size_base: bool) -> None:
        self.area = frame.height * frame.width
        self.sigma = sigma
        self.threshold = threshold
        self.image_size_base = image_size_base
        self.boxes = dict(group_bboxes(frame))

    def __call__(self, a: QObject, b: QObject) -> float:
        a_box, b_box = self.boxes[id(a)], self.boxes[id(b)]
        pa = np.reshape(a.points, (-1, 2))
        pb = np.reshape(b.points, (-1, 2))
        if a_box[2] * a_box[3] == 0 and b_box[2] * b_box[3] == 0:
            return oks(pa, pb, self.sigma, self.area)
        if self.image_size_base:
            scale = self.area
        else:
            if bbox_iou(a_box, b_box) <= 0:
                return 0
            box = mean_bbox([a_box, b_box])
            scale = box[2] * box[3]
        # per-point OKS (one point each), vectorized with the arithmetic of oks()
        dx = pa[:, None, 0] - pb[None, :, 0]
        dy = pa[:, None, 1] - pb[None, :, 1]
        d = np.sqrt(dx * dx + dy * dy)
        single = np.exp(-(d**2) / (2 * scale * (2 * self.sigma) ** 2)) / 1.0
        pairs = assign(list(range(len(pa))), list(range(len(pb))), single, self.threshold, lambda i, j: True)
        matched = pairs.matches + pairs.mismatches
        ia = [i for i, _ in matched]
        ib = [j for _, j in matched]
        dists = np.linalg.norm(pa[ia] - pb[ib], axis=1)
        return np.sum(np.exp(-(dists**2) / (2 * scale * (2 * self.sigma) ** 2))) / (
            len(matched) + len(pairs.a_unmatched) + len(pairs.b_unmatched))


def match_points(gt_frame: QFrame, ds_frame: QFrame, gt: Sequence[QObject], ds: Sequence[QObject], *,
                 sigma: float, threshold: float, image_size_base: bool) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    gt_sim = PointsSimilarity(gt_frame, sigma, threshold, image_size_base)
    ds_sim = PointsSimilarity(ds_frame, sigma, threshold, image_size_base)
    gt_sim.boxes.update(ds_sim.boxes)
    sim = np.zeros((len(gt), len(ds)))
    boxes = gt_sim.boxes
    lone_a = [len(o.points) == 2 and boxes[id(o)][2] * boxes[id(o)][3] == 0 for o in gt]
    lone_b = [len(o.points) == 2 and boxes[id(o)][2] * boxes[id(o)][3] == 0 for o in ds]
    ia = [i for i, v in enumerate(lone_a) if v]
    ib = [j for j, v in enumerate(lone_b) if v]
    if ia and ib:  # single points on both sides: OKS in image space, vectorized (same arithmetic)
        pa = np.array([gt[i].points for i in ia], dtype=float)
        pb = np.array([ds[j].points for j in ib], dtype=float)
        dx = pa[:, None, 0] - pb[None, :, 0]
        dy = pa[:, None, 1] - pb[None, :, 1]
        d = np.sqrt(dx * dx + dy * dy)
        sim[np.ix_(ia, ib)] = np.exp(-(d**2) / (2 * gt_sim.area * (2 * sigma) ** 2)) / 1.0
    # Pairs PointsSimilarity scores 0 without looking at the points (group boxes that do not meet, unless
    # both are points in image space) are left at 0; the rest go through it one by one.
    ga = np.array([boxes[id(o)] for o in gt], dtype=float).reshape(-1, 4)
    gb = np.array([boxes[id(o)] for o in ds], dtype=float).reshape(-1, 4)
    todo = ~(np.array(lone_a, dtype=bool)[:, None] & np.array(lone_b, dtype=bool)[None, :])
    if not image_size_base:
        both_zero = (ga[:, 2] * ga[:, 3] == 0)[:, None] & (gb[:, 2] * gb[:, 3] == 0)[None, :]
        todo &= both_zero | (box_iou_arrays(ga, gb) > 0)
    for i, j in zip(*np.nonzero(todo)):
        sim[i, j] = gt_sim(gt[i], ds[j])
    result = TypeResult(assignment=assign(list(gt), list(ds), sim, threshold, same_label_attr))
    record_pairs(result, sim, gt, ds)
    fill_best(result, gt, ds, sim)
    return result

"""Polygons and masks, one "segmentation" category (a polygon can match a mask).

Instances: annotations sharing a non-zero group id and a label are one instance (their union); with
panoptic comparison every instance is reduced to its visible pixels (annotations painted in z_order,
later over earlier). Similarity is the pixel IoU of instances; an assigned instance pair expands to
every member pair, an unassigned instance to all its members. Pixels are run intervals throughout.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from app.quality import rle
from app.quality.assignment import Assignment, assign
from app.quality.objects import QObject
from app.quality.typeresult import TypeResult, first_max


def find_instances(objects: Sequence[QObject]) -> list[list[QObject]]:
    """Datumaro's ``find_instances``: stable sort by group; group 0 -> singletons, else one group each."""
    if not any(o.group for o in objects):
        return [[o] for o in objects]
    ordered = sorted(objects, key=lambda o: o.group)
    groups: list[list[QObject]] = []
    for group_id, members in itertools.groupby(ordered, key=lambda o: o.group):
        if not group_id:
            groups.extend([o] for o in members)
        else:
            groups.append(list(members))
    return groups


def segment_instances(objects: Sequence[QObject], allow_groups: bool = True) -> list[list[QObject]]:
    """Groups split by label (label-sorted), as CVAT's segmentation matcher builds instances."""
    groups = find_instances(objects) if allow_groups else [[o] for o in objects]
    instances: list[list[QObject]] = []
    for group in groups:
        group = sorted(group, key=lambda o: o.label)
        for _, members in itertools.groupby(group, key=lambda o: o.label):
            instances.append(list(members))
    return instances


def _overlaps(p: list[float], q: list[float]) -> bool:
    """Whether two pixel boxes [x, y, w, h] share a pixel."""
    return p[0] < q[0] + q[2] and q[0] < p[0] + p[2] and p[1] < q[1] + q[3] and q[1] < p[1] + p[3]


def instance_regions(instances: list[list[QObject]], height: int, width: int, panoptic: bool) -> list[rle.Region]:
    """Each instance's pixels: visible parts only (z-order painting) when ``panoptic``, else the union.

    With ``panoptic`` an annotation loses the pixels of every annotation painted after it (stable sort by
    z_order over the instance order, later wins); only later annotations whose boxes meet it are used."""
    if not panoptic:
        return [rle.union([o.region(height, width) for o in inst], height, width) for inst in instances]
    flat = [(o, k) for k, inst in enumerate(instances) for o in inst]
    painted = sorted(flat, key=lambda item: item[0].z_order)
    regions = [obj.region(height, width) for obj, _ in painted]
    boxes = [r.bbox() for r in regions]
    visible: list[list[rle.Region]] = [[] for _ in instances]
    for i, (_obj, k) in enumerate(painted):
        above = [regions[j] for j in range(i + 1, len(painted)) if _overlaps(boxes[i], boxes[j])]
        region = regions[i]
        if above:
            region = rle.difference(region, rle.union(above, height, width))
        visible[k].append(region)
    return [rle.union(parts, height, width) for parts in visible]


def _iou_matrix(a: list[rle.Region], b: list[rle.Region]) -> np.ndarray:
    sim = np.zeros((len(a), len(b)))
    a_box = [r.bbox() for r in a]
    b_box = [r.bbox() for r in b]
    for i, ra in enumerate(a):
        for j, rb in enumerate(b):
            if _overlaps(a_box[i], b_box[j]):
                sim[i, j] = rle.iou(ra, rb)
    return sim


def match_segmentations(
    gt: Sequence[QObject],
    ds: Sequence[QObject],
    height: int,
    width: int,
    threshold: float,
    *,
    panoptic: bool = True,
    allow_groups: bool = True,
) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    a_inst = segment_instances(gt, allow_groups)
    b_inst = segment_instances(ds, allow_groups)
    a_reg = instance_regions(a_inst, height, width, panoptic)
    b_reg = instance_regions(b_inst, height, width, panoptic)
    sim = _iou_matrix(a_reg, b_reg)
    ia, ib = list(range(len(a_inst))), list(range(len(b_inst)))
    inst = assign(ia, ib, sim, threshold, lambda i, j: a_inst[i][0].label == b_inst[j][0].label)
    result = TypeResult(assignment=_expand(inst, a_inst, b_inst))
    for i, j in (*inst.matches, *inst.mismatches):
        for x, y in itertools.product(a_inst[i], b_inst[j]):
            result.pair_similarity[(id(x), id(y))] = float(sim[i, j])
    for k, members in enumerate(a_inst):
        best = first_max(sim[k].tolist()) if b_inst else None
        for obj in members:
            result.best[id(obj)] = best
    for k, members in enumerate(b_inst):
        best = first_max(sim[:, k].tolist()) if a_inst else None
        for obj in members:
            result.best[id(obj)] = best
    return result


def _expand(inst: Assignment[int, int], a_inst: list[list[QObject]], b_inst: list[list[QObject]]) -> Assignment:
    out: Assignment[QObject, QObject] = Assignment()
    out.matches = [p for i, j in inst.matches for p in itertools.product(a_inst[i], b_inst[j])]
    out.mismatches = [p for i, j in inst.mismatches for p in itertools.product(a_inst[i], b_inst[j])]
    out.a_unmatched = [o for i in inst.a_unmatched for o in a_inst[i]]
    out.b_unmatched = [o for j in inst.b_unmatched for o in b_inst[j]]
    return out

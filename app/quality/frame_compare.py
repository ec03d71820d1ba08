"""Compare one GT frame with one job frame: per-type matching, conflicts, per-frame statistics.

Follows CVAT v2.73's ``DatasetComparator._generate_frame_annotation_conflicts``: conflicts in the order
low_overlap, missing, extra, mismatching_label, mismatching_direction, covered, attributes, groups.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from app.quality import rle
from app.quality.assignment import assign, same_label_attr
from app.quality.conflicts import Conflict, ConflictType
from app.quality.match_boxes import box_polygon, ellipse_polygon, match_boxes, match_ellipses
from app.quality.match_lines import LineSimilarity, match_lines
from app.quality.match_points import match_points
from app.quality.match_polygons import find_instances, match_segmentations
from app.quality.match_skeletons import match_skeletons
from app.quality.objects import LabelIndex, QFrame, QObject
from app.quality.settings import QualitySettings
from app.quality.stats import FrameStats, confusion_matrix
from app.quality.typeresult import TypeResult

IGNORED_ATTRIBUTES = frozenset({"track_id", "keyframe", "z_order", "group", "rotation", "outside"})
# Comparison order (included_annotation_types without masks, which go with polygons).
TYPE_ORDER = ("bbox", "points", "polygon", "polyline", "skeleton", "tag", "ellipse")
SPATIAL = ("polygon", "mask", "bbox", "ellipse")


def _bounds(obj: QObject, h: int, w: int) -> tuple[float, float, float, float]:
    """Outline bounds (x0, y0, x1, y1) of an unrotated box/ellipse, a polygon or a mask."""
    if obj.kind in ("bbox", "ellipse"):
        return obj.box_corners()
    if obj.kind == "mask" and obj.mask_points is not None:
        x1, y1, x2, y2 = obj.mask_points[-4:]
        return x1, y1, x2 + 1, y2 + 1
    xs, ys = obj.points[0::2], obj.points[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def segmentation_list(frame: QFrame) -> list[QObject]:
    """CVAT's list of a frame's segmentations: all polygons, then all masks (each in frame order).

    This list order, not the frame's, decides the instance order (assignment ties, pair order) and the
    painting order of the panoptic comparison (stable z_order sort: at equal z_order a mask is painted over
    a polygon). The covered-annotation check uses the frame order instead."""
    objects = frame.objects
    return [o for o in objects if o.kind == "polygon"] + [o for o in objects if o.kind == "mask"]


@dataclass
class FrameResult:
    frame_id: int
    conflicts: list[Conflict] = field(default_factory=list)
    stats: FrameStats | None = None


class FrameComparator:
    """Compares frames under one set of settings and one label list (the GT dataset's)."""

    def __init__(self, settings: QualitySettings, labels: LabelIndex) -> None:
        self.settings = settings
        self.labels = labels
        self.ignored = IGNORED_ATTRIBUTES | set(settings.ignored_attributes)
        self.sublabels = {i: labels.sublabel_indices(i) for i in range(len(labels.labels))}
        self.top_level = labels.top_level()
        self.matrix_labels = [labels.labels[i].name for i in self.top_level] + ["unmatched"]

    # ------------------------------------------------------------------ matching

    def match_types(self, gt: QFrame, ds: QFrame) -> dict[str, TypeResult]:
        s = self.settings
        h, w = gt.height, gt.width
        thr = s.iou_threshold
        live = lambda frame, *kinds: [o for o in frame.objects if o.kind in kinds]  # noqa: E731
        out: dict[str, TypeResult] = {}
        out["bbox"] = match_boxes(live(gt, "bbox"), live(ds, "bbox"), h, w, thr)
        out["points"] = match_points(gt, ds, live(gt, "points"), live(ds, "points"), sigma=s.oks_sigma,
                                     threshold=thr, image_size_base=s.point_size_base == "image_size")
        out["polygon"] = match_segmentations(segmentation_list(gt), segmentation_list(ds), h, w, thr,
                                             panoptic=s.panoptic_comparison)
        out["polyline"] = match_lines(live(gt, "polyline"), live(ds, "polyline"), h, w, thr, s.line_thickness)
        out["skeleton"] = match_skeletons(gt, ds, live(gt, "skeleton"), live(ds, "skeleton"), sigma=s.oks_sigma,
                                          threshold=thr, sublabels=self.sublabels)
        out["tag"] = self.match_tags(live(gt, "tag"), live(ds, "tag"))
        out["ellipse"] = match_ellipses(live(gt, "ellipse"), live(ds, "ellipse"), h, w, thr)
        return out

    @staticmethod
    def match_tags(gt: list[QObject], ds: list[QObject]) -> TypeResult:
        if not gt and not ds:
            return TypeResult()
        sim = np.array([[0.5 + (a.label == b.label) / 2 for b in ds] for a in gt]).reshape(len(gt), len(ds))
        return TypeResult(assignment=assign(gt, ds, sim, 0.5, same_label_attr))

    # ------------------------------------------------------------------ one frame

    def compare(self, gt: QFrame, ds: QFrame) -> FrameResult:
        per_type = self.match_types(gt, ds)
        all_m, all_mm, all_gu, all_du = [], [], [], []
        sh_m, sh_mm, sh_gu, sh_du = [], [], [], []
        pair_sim: dict[tuple[int, int], float] = {}
        best: dict[int, float | None] = {}
        for kind in TYPE_ORDER:
            r = per_type[kind].assignment
            all_m += r.matches
            all_mm += r.mismatches
            all_gu += r.a_unmatched
            all_du += r.b_unmatched
            if kind != "tag":
                sh_m += r.matches
                sh_mm += r.mismatches
                sh_gu += r.a_unmatched
                sh_du += r.b_unmatched
                pair_sim.update(per_type[kind].pair_similarity)
                best.update(per_type[kind].best)
        fid = ds.frame_id
        conflicts: list[Conflict] = []
        for g, d in itertools.chain(all_m, all_mm):
            sim = pair_sim.get((id(g), id(d)))
            if sim and sim < self.settings.low_overlap_threshold:
                conflicts.append(Conflict(fid, ConflictType.LOW_OVERLAP, [d.ref, g.ref]))
        conflicts += [Conflict(fid, ConflictType.MISSING_ANNOTATION, [g.ref]) for g in all_gu]
        conflicts += [Conflict(fid, ConflictType.EXTRA_ANNOTATION, [d.ref]) for d in all_du]
        conflicts += [Conflict(fid, ConflictType.MISMATCHING_LABEL, [d.ref, g.ref]) for g, d in all_mm]

        distances = [pair_sim.get((id(g), id(d))) for g, d in itertools.chain(sh_m, sh_mm)]
        for obj in itertools.chain(sh_gu, sh_du):
            value = best.get(id(obj))
            distances.append(0 if value is None else value)
        distances = [v if v is not None and v >= 0 else 0 for v in distances]
        mean_iou = float(np.mean(distances)) if distances else 0

        if self.settings.compare_line_orientation:
            conflicts += self._direction_conflicts(gt, all_m + all_mm, pair_sim, fid)
        if self.settings.check_covered_annotations:
            conflicts += [Conflict(fid, ConflictType.COVERED_ANNOTATION, [o.ref]) for o in self.find_covered(ds)]
        if self.settings.compare_attributes:
            for g, d in all_m:
                if self.attributes_differ(g, d):
                    conflicts.append(Conflict(fid, ConflictType.MISMATCHING_ATTRIBUTES, [d.ref, g.ref]))
        if self.settings.compare_groups:
            conflicts += self._group_conflicts(gt, ds, sh_m + sh_mm, fid)

        matrix = confusion_matrix(len(self.labels.labels), self.top_level, all_m, all_mm, all_gu, all_du)
        stats = FrameStats.build(matrix, shape_counts=(len(sh_m), len(sh_mm), len(sh_gu), len(sh_du)),
                                 label_counts=(len(all_m), len(all_mm)), mean_iou=mean_iou,
                                 gt_empty=not gt.objects, ds_empty=not ds.objects,
                                 empty_is_annotated=self.settings.empty_is_annotated,
                                 labels=self.matrix_labels)
        return FrameResult(fid, conflicts, stats)

    # ------------------------------------------------------------------ checks

    def _direction_conflicts(self, gt: QFrame, pairs: list, pair_sim: dict, fid: int) -> list[Conflict]:
        oriented = LineSimilarity(float(gt.height * gt.width), self.settings.line_thickness, oriented=True)
        out = []
        for g, d in pairs:
            if g.kind != "polyline" or d.kind != "polyline":
                continue
            if pair_sim[(id(g), id(d))] - oriented(g, d) > self.settings.line_orientation_threshold:
                out.append(Conflict(fid, ConflictType.MISMATCHING_DIRECTION, [d.ref, g.ref]))
        return out

    def attributes_differ(self, a: QObject, b: QObject) -> bool:
        keys = (a.attributes.keys() | b.attributes.keys()) - self.ignored
        missing = object()
        return any(a.attributes.get(k, missing) != b.attributes.get(k, missing) for k in keys)

    def find_covered(self, frame: QFrame) -> list[QObject]:
        """Job objects whose visible share under the objects after them (z-order, stable) is too small.

        Only objects whose outline bounds meet a later object's bounds are rasterized (others cannot be
        covered); rectangles and ellipses are rasterized without rotation, as CVAT does here."""
        anns = sorted((o for o in frame.objects if o.kind in SPATIAL), key=lambda o: o.z_order)
        if len(anns) < 2:
            return []
        h, w = frame.height, frame.width
        bounds = np.array([_bounds(o, h, w) for o in anns]).reshape(-1, 4)
        margin = 2.0
        meets = (
            (bounds[:, None, 0] <= bounds[None, :, 2] + margin)
            & (bounds[None, :, 0] <= bounds[:, None, 2] + margin)
            & (bounds[:, None, 1] <= bounds[None, :, 3] + margin)
            & (bounds[None, :, 1] <= bounds[:, None, 3] + margin)
        )
        regions: dict[int, rle.Region] = {}

        def region(k: int) -> rle.Region:
            if k not in regions:
                obj = anns[k]
                if obj.kind == "bbox":
                    regions[k] = rle.from_polygons([box_polygon(obj, rotate=False)], h, w)
                elif obj.kind == "ellipse":
                    regions[k] = rle.from_polygons([ellipse_polygon(obj, rotate=False)], h, w)
                else:
                    regions[k] = obj.region(h, w)
            return regions[k]

        covered = []
        for i in range(len(anns) - 1):
            later = [k for k in range(i + 1, len(anns)) if meets[i, k]]
            if not later:
                continue
            bottom = region(i)
            inter = rle.intersection_area(bottom, rle.union([region(k) for k in later], h, w))
            if inter and 1 - inter / (bottom.area or 1) < self.settings.object_visibility_threshold:
                covered.append(anns[i])
        return covered

    def _group_conflicts(self, gt: QFrame, ds: QFrame, pairs: list, fid: int) -> list[Conflict]:
        groupable = lambda f: [o for o in f.objects if o.kind not in ("tag", "other")]  # noqa: E731
        gt_groups = find_instances(groupable(gt))
        ds_groups = find_instances(groupable(ds))
        gt_of = {id(o): k for k, grp in enumerate(gt_groups) for o in grp}
        ds_of = {id(o): k for k, grp in enumerate(ds_groups) for o in grp}
        # Jaccard of groups: GT members whose (last) matched job object lies in the job group
        last_match = {id(g): d for g, d in pairs}
        inter = np.zeros((len(gt_groups), len(ds_groups)), dtype=np.int64)
        for gid, d in last_match.items():
            inter[gt_of[gid], ds_of[id(d)]] += 1
        sizes_g = np.array([len(g) for g in gt_groups], dtype=np.int64)[:, None]
        sizes_d = np.array([len(d) for d in ds_groups], dtype=np.int64)[None, :]
        union = sizes_g + sizes_d - inter
        union[union == 0] = 1
        sim = inter / union
        gi_list, di_list = list(range(len(gt_groups))), list(range(len(ds_groups)))
        result = assign(gi_list, di_list, sim, self.settings.group_match_threshold, lambda g, d: sim[g, d] == 1)
        ds_to_gt: dict[int, int | None] = {d: g for g, d in (*result.matches, *result.mismatches)}
        ds_to_gt.update({d: None for d in result.b_unmatched})
        out = []
        for g, d in pairs:
            g_group, d_group = gt_of[id(g)], ds_of[id(d)]
            if (len(gt_groups[g_group]) == 1 and len(ds_groups[d_group]) != 1) or ds_to_gt.get(d_group) != g_group:
                out.append(Conflict(fid, ConflictType.MISMATCHING_GROUPS, [d.ref, g.ref]))
        return out

"""Consensus merge of replica jobs into their parent job (CVAT v2.73 ``IntersectMerge`` settings).

Per frame and shape type, every pair of replicas is matched with the quality matcher of that type
(threshold ``iou_threshold``, groups not merged into instances, no panoptic mode, polygons only with
polygons and masks only with masks); only same-label matches link objects. Clusters grow along links,
never taking two objects of one replica, and only objects similar (>= threshold) to every member. Each
cluster (singletons too) gives one object: the voted label, score = votes / replicas, the member closest
to the cluster's mean bbox as geometry (skeletons: the lowest mean dissimilarity), max z_order, voted
attributes (incl. occluded), source ``consensus``. Tags: one per distinct label, score = count / replicas.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import JobStage, JobState, JobType, Source
from app.domain.interpolation import track_to_shapes
from app.domain.labels import Label
from app.quality import rle
from app.quality.conflicts import AnnotationRef
from app.quality.match_boxes import box_polygon, ellipse_polygon, match_boxes, match_ellipses
from app.quality.match_lines import match_lines
from app.quality.match_points import match_points, mean_bbox, oks
from app.quality.match_polygons import match_segmentations
from app.quality.match_skeletons import match_skeletons, skeleton_keypoints
from app.quality.objects import VISIBLE, LabelIndex, QFrame, QObject, convert_shape

KINDS = ("bbox", "ellipse", "polygon", "mask", "points", "polyline", "skeleton")


@dataclass
class Cluster:
    members: list[tuple[int, QObject, Shape]] = field(default_factory=list)  # (replica, object, source shape)


@dataclass
class FrameAgreement:
    frame: int
    clusters: int
    full: int  # clusters drawn by every replica
    mean_score: float


class _Matcher:
    def __init__(self, labels: LabelIndex, width: int, height: int, threshold: float) -> None:
        self.labels, self.width, self.height, self.threshold = labels, width, height, threshold
        self.sublabels = {i: labels.sublabel_indices(i) for i in range(len(labels.labels))}
        self._ok: dict[tuple[int, int], bool] = {}

    def run(self, kind: str, a: list[QObject], b: list[QObject]):
        h, w, t = self.height, self.width, self.threshold
        if kind == "bbox":
            return match_boxes(a, b, h, w, t)
        if kind == "ellipse":
            return match_ellipses(a, b, h, w, t)
        if kind in ("polygon", "mask"):
            return match_segmentations(a, b, h, w, t, panoptic=False, allow_groups=False)
        if kind == "polyline":
            return match_lines(a, b, h, w, t, 0.01)
        fa, fb = QFrame(0, "", w, h, list(a)), QFrame(0, "", w, h, list(b))
        if kind == "points":
            return match_points(fa, fb, a, b, sigma=0.09, threshold=t, image_size_base=False)
        return match_skeletons(fa, fb, a, b, sigma=0.09, threshold=t, sublabels=self.sublabels)

    def similar(self, kind: str, x: QObject, y: QObject) -> bool:
        key = (id(x), id(y))
        if key not in self._ok:
            r = self.run(kind, [x], [y]).assignment
            self._ok[key] = self._ok[(id(y), id(x))] = bool(r.matches or r.mismatches)
        return self._ok[key]


def _objects(shapes: Sequence[Shape], labels: LabelIndex, kind: str, replica: int) -> list[tuple[QObject, Shape]]:
    out = []
    for k, shape in enumerate(shapes):
        obj = convert_shape(shape.copy(group=0), labels, AnnotationRef(k, replica, "shape", shape.type.value))
        if obj is not None and obj.kind == kind:
            out.append((obj, shape))
    return out


def cluster_kind(matcher: _Matcher, kind: str, per_replica: list[list[tuple[QObject, Shape]]]) -> list[Cluster]:
    links: dict[int, list[tuple[int, QObject, Shape]]] = {}
    for i, j in itertools.combinations(range(len(per_replica)), 2):
        a, b = per_replica[i], per_replica[j]
        if not a or not b:
            continue
        result = matcher.run(kind, [o for o, _ in a], [o for o, _ in b]).assignment
        src = {id(o): s for o, s in (*a, *b)}
        for x, y in result.matches:
            links.setdefault(id(x), []).append((j, y, src[id(y)]))
            links.setdefault(id(y), []).append((i, x, src[id(x)]))
    visited: set[int] = set()
    clusters = []
    for replica, items in enumerate(per_replica):
        for obj, shape in items:
            if id(obj) in visited:
                continue
            cluster = Cluster([(replica, obj, shape)])
            visited.add(id(obj))
            queue = [obj]
            while queue:
                current = queue.pop(0)
                for r, other, other_shape in links.get(id(current), []):
                    if id(other) in visited or any(m[0] == r for m in cluster.members):
                        continue
                    if all(matcher.similar(kind, other, m[1]) for m in cluster.members):
                        cluster.members.append((r, other, other_shape))
                        visited.add(id(other))
                        queue.append(other)
            clusters.append(cluster)
    return clusters


def _vote(values: Sequence) -> tuple[object, int]:
    counts = Counter(values)
    best = max(counts.values())
    winner = next(v for v in values if counts[v] == best)
    return winner, best


def _shape_region(obj: QObject, h: int, w: int) -> rle.Region:
    if obj.kind == "bbox":
        return rle.from_polygons([box_polygon(obj)], h, w)
    if obj.kind == "ellipse":
        return rle.from_polygons([ellipse_polygon(obj)], h, w)
    if obj.kind in ("polygon", "mask"):
        return obj.region(h, w)
    x, y, bw, bh = obj.bbox(h, w) or [0, 0, 0, 0]
    return rle.from_polygons([[x, y, x + bw, y, x + bw, y + bh, x, y + bh]], h, w)


def _representative(cluster: Cluster, kind: str, matcher: _Matcher) -> int:
    objs = [m[1] for m in cluster.members]
    if len(objs) == 1:
        return 0
    h, w = matcher.height, matcher.width
    if kind == "skeleton":
        order = matcher.sublabels[objs[0].label]
        keys = [skeleton_keypoints(o, order) for o in objs]
        scores = []
        for i, ki in enumerate(keys):
            dis = []
            for j, kj in enumerate(keys):
                if i == j or ki is None or kj is None:
                    continue
                box = mean_bbox([objs[i].bbox(), objs[j].bbox()])
                with np.errstate(invalid="ignore", divide="ignore"):
                    s = oks(ki[0], kj[0], 0.09, box[2] * box[3] or 1.0, ki[1] == VISIBLE, kj[1] == VISIBLE)
                dis.append(1 - (0 if np.isnan(s) else s))
            scores.append(np.mean(dis) if dis else 1.0)
        return int(np.argmin(scores))
    x, y, bw, bh = mean_bbox([o.bbox(h, w) for o in objs])
    target = rle.from_polygons([[x, y, x + bw, y, x + bw, y + bh, x, y + bh]], h, w)
    ious = [rle.iou(_shape_region(o, h, w), target) for o in objs]
    return int(np.argmax(ious))


def _attributes(shapes: Sequence[Shape]) -> dict[int, str]:
    keys = list(dict.fromkeys(k for s in shapes for k in s.attributes))
    return {k: _vote([s.attributes[k] for s in shapes if k in s.attributes])[0] for k in keys}  # type: ignore[misc]


def merge_frame(replicas: Sequence[Annotations], labels: Sequence[Label], frame: int, width: int, height: int,
                threshold: float = 0.4) -> tuple[Annotations, FrameAgreement]:
    """Merge the plain shapes and tags of one frame from every replica (tracks already expanded)."""
    index = LabelIndex(labels)
    matcher = _Matcher(index, width, height, threshold)
    n = len(replicas)
    out_shapes: list[tuple[Shape, Cluster]] = []
    scores = []
    full = 0
    for kind in KINDS:
        per_replica = [_objects([s for s in r.shapes if s.frame == frame], index, kind, k)
                       for k, r in enumerate(replicas)]
        for cluster in cluster_kind(matcher, kind, per_replica):
            shapes = [m[2] for m in cluster.members]
            label, votes = _vote([s.label_id for s in shapes])
            chosen = shapes[_representative(cluster, kind, matcher)]
            score = round(votes / n, 2)
            scores.append(score)
            full += votes == n
            merged = chosen.copy(label_id=label, z_order=max(s.z_order for s in shapes), id=None,
                                 attributes=_attributes(shapes), occluded=bool(_vote([s.occluded for s in shapes])[0]),
                                 source=Source.CONSENSUS, score=score, group=0, frame=frame)
            out_shapes.append((merged, cluster))
    _assign_groups(out_shapes)
    tags = _merge_tags([[t for t in r.tags if t.frame == frame] for r in replicas], n, frame)
    agreement = FrameAgreement(frame, len(scores), full, float(np.mean(scores)) if scores else 1.0)
    return Annotations(shapes=[s for s, _ in out_shapes], tags=tags), agreement


def _assign_groups(items: list[tuple[Shape, Cluster]]) -> None:
    parent = list(range(len(items)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    owner: dict[tuple[int, int], int] = {}
    for k, (_, cluster) in enumerate(items):
        for replica, _, shape in cluster.members:
            if shape.group:
                key = (replica, shape.group)
                if key in owner:
                    parent[find(k)] = find(owner[key])
                else:
                    owner[key] = k
    grouped = [k for k, (_, c) in enumerate(items) if any(m[2].group for m in c.members)]
    sizes = Counter(find(k) for k in grouped)
    numbers: dict[int, int] = {}
    for k in grouped:
        root = find(k)
        if sizes[root] > 1:
            numbers.setdefault(root, len(numbers) + 1)
            items[k][0].group = numbers[root]


def _merge_tags(per_replica: list[list[Tag]], n: int, frame: int) -> list[Tag]:
    """One tag per distinct label (no majority filter), scored votes / replicas (:func:`tag_scores`);
    the first gets the voted attributes and ``source=consensus``."""
    all_tags = [t for tags in per_replica for t in tags]
    scores = tag_scores(per_replica, n)
    out: list[Tag] = []
    for label in dict.fromkeys(t.label_id for t in all_tags):
        first = next(t for t in all_tags if t.label_id == label)
        out.append(Tag(frame=frame, label_id=label, source=first.source, attributes=dict(first.attributes),
                       score=scores[label]))
    if out:
        out[0].attributes = _attributes(all_tags)  # type: ignore[arg-type]
        out[0].source = Source.CONSENSUS
    return out


def tag_scores(per_replica: list[list[Tag]], n: int) -> dict[int, float]:
    """label id -> count / replicas, CVAT's score of each merged tag."""
    counts = Counter(t.label_id for tags in per_replica for t in tags)
    return {label: round(c / n, 2) for label, c in counts.items()}


# ----------------------------------------------------------------------------- project level


def _frame_annotations(project, job_id: int, frames: Sequence[int]) -> Annotations:
    ann = project.annotations(job_id)
    shapes = list(ann.shapes)
    for track in ann.tracks:
        shapes += track_to_shapes(track, frames)
    return Annotations(shapes=shapes, tags=list(ann.tags))


def mergeable_parents(project, task_id: int) -> dict[int, list[int]]:
    """Parent annotation jobs in the annotation stage with replicas that were worked on -> replica ids."""
    jobs = project.jobs(task_id)
    out: dict[int, list[int]] = {}
    for parent in jobs:
        if parent.type is not JobType.ANNOTATION or parent.stage is not JobStage.ANNOTATION:
            continue
        replicas = [j for j in jobs if j.type is JobType.CONSENSUS_REPLICA and j.parent_id == parent.id]
        if any(not (r.stage is JobStage.ANNOTATION and r.state is JobState.NEW) for r in replicas):
            out[parent.id] = [r.id for r in replicas]
    return out


def merge_task(project, task_id: int, threshold: float | None = None, job_id: int | None = None,
               progress=None) -> dict[int, list[FrameAgreement]]:
    """Replace each mergeable parent job's annotations by the merge of its replicas; parent -> completed."""
    if threshold is None:
        threshold = float(project.task(task_id).options.get("consensus", {}).get("iou_threshold", 0.4))
    labels = list(project.labels())
    infos = {f.index: f for f in project.frames(task_id)}
    parents = mergeable_parents(project, task_id)
    if job_id is not None:
        parents = {p: r for p, r in parents.items() if p == job_id}
    results: dict[int, list[FrameAgreement]] = {}
    for parent_id, replica_ids in parents.items():
        frames = project.job(parent_id).frame_list()
        replicas = [_frame_annotations(project, r, frames) for r in replica_ids]
        merged, agreement = Annotations(), []
        for k, frame in enumerate(frames):
            info = infos[frame]
            part, agree = merge_frame(replicas, labels, frame, info.width, info.height, threshold)
            merged.extend(part)
            agreement.append(agree)
            if progress is not None:
                progress(k + 1, len(frames))
        with project.transaction():
            project.clear_annotations(parent_id)
            project.add_annotations(parent_id, merged)
            project.update_job(parent_id, state=JobState.COMPLETED)
        results[parent_id] = agreement
    return results


def agreement(project, parent_job_id: int, threshold: float = 0.4) -> list[FrameAgreement]:
    """Per-frame agreement between a parent job's replicas, without changing anything."""
    parent = project.job(parent_job_id)
    labels = list(project.labels())
    infos = {f.index: f for f in project.frames(parent.task_id)}
    replica_ids = [j.id for j in project.jobs(parent.task_id)
                   if j.type is JobType.CONSENSUS_REPLICA and j.parent_id == parent_job_id]
    frames = parent.frame_list()
    replicas = [_frame_annotations(project, r, frames) for r in replica_ids]
    return [merge_frame(replicas, labels, f, infos[f].width, infos[f].height, threshold)[1] for f in frames]

"""Turn a job's annotations (shapes, tracks, tags) into per-frame comparable objects.

Tracks are compared as their per-frame shapes (``app.domain.interpolation.track_to_shapes``; outside
frames are skipped). Per frame the order is CVAT's: tags, then plain shapes and track shapes stably
sorted by z_order. Objects without an id (files) get their 1-based position as id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.domain.annotations import Annotations
from app.domain.interpolation import track_to_shapes
from app.quality.conflicts import AnnotationRef
from app.quality.objects import LabelIndex, QFrame, QObject, convert_shape, convert_tag, round_objects


@dataclass
class FrameMeta:
    frame_id: int
    name: str
    width: int
    height: int


def build_frames(annotations: Annotations, metas: Sequence[FrameMeta], labels: LabelIndex, job_id: int,
                 *, frame_map: dict[int, int] | None = None) -> dict[int, QFrame]:
    """QFrames for ``metas`` (every frame present, empty or not). ``frame_map`` maps the frame numbers the
    annotations use to the frame ids of ``metas`` (honeypot placeholders); identity by default."""
    wanted = {m.frame_id for m in metas}
    remap = frame_map or {}
    to_id = (lambda f: remap.get(f, f)) if remap else (lambda f: f)
    tags: dict[int, list[QObject]] = defaultdict(list)
    shapes: dict[int, list[QObject]] = defaultdict(list)
    for k, tag in enumerate(annotations.tags):
        fid = to_id(tag.frame)
        if fid in wanted and tag.label_id in labels.index_of:
            tags[fid].append(convert_tag(tag, labels, job_id, tag.id if tag.id is not None else k + 1))
    for k, shape in enumerate(annotations.shapes):
        fid = to_id(shape.frame)
        if fid not in wanted or shape.label_id not in labels.index_of:
            continue
        ref = AnnotationRef(shape.id if shape.id is not None else k + 1, job_id, "shape", shape.type.value)
        obj = convert_shape(shape, labels, ref, rounding=False)
        if obj is not None:
            shapes[fid].append(obj)
    source_frames = sorted(f for f, fid in remap.items() if fid in wanted) if remap else sorted(wanted)
    for k, track in enumerate(annotations.tracks):
        if track.label_id not in labels.index_of:
            continue
        track_id = track.id if track.id is not None else k + 1
        for shape in track_to_shapes(track, source_frames):
            fid = to_id(shape.frame)
            ref = AnnotationRef(track_id, job_id, "track", shape.type.value)
            obj = convert_shape(shape, labels, ref, rounding=False)
            if obj is not None:
                shapes[fid].append(obj)
    round_objects([o for objs in shapes.values() for o in objs])
    out = {}
    for meta in metas:
        ordered = tags.get(meta.frame_id, []) + sorted(shapes.get(meta.frame_id, []), key=lambda o: o.z_order)
        out[meta.frame_id] = QFrame(meta.frame_id, meta.name, meta.width, meta.height, ordered)
    return out


class StoreFrames:
    """Reads one job's annotations from a project frame by frame (bounded memory for long jobs):
    plain shapes and tags per frame, tracks once (expanded per requested chunk)."""

    def __init__(self, project: object, job_id: int, labels: LabelIndex) -> None:
        self.project = project
        self.job_id = job_id
        self.labels = labels
        self.tracks = project.tracks(job_id)  # type: ignore[attr-defined]

    def frames(self, metas: Sequence[FrameMeta]) -> dict[int, QFrame]:
        ann = self.annotations(metas)
        ann.tracks = self.tracks
        return build_frames(ann, metas, self.labels, self.job_id)

    def annotations(self, metas: Sequence[FrameMeta]) -> Annotations:
        """Plain shapes and tags of ``metas`` (tracks apart: :attr:`tracks`)."""
        ann = Annotations()
        for meta in metas:
            ann.shapes += self.project.frame_shapes(self.job_id, meta.frame_id)  # type: ignore[attr-defined]
            ann.tags += self.project.frame_tags(self.job_id, meta.frame_id)  # type: ignore[attr-defined]
        return ann


def load_store_pairs(chunk: tuple[Sequence[FrameMeta], Annotations, Annotations], labels: LabelIndex,
                     context: tuple[list, list, int, int]) -> list[tuple[QFrame, QFrame]]:
    """:data:`app.quality.parallel.Loader` for frames read from a project: ``chunk`` = (metas, GT shapes and
    tags, job shapes and tags), ``context`` = (GT tracks, job tracks, GT job id, job id)."""
    metas, gt_ann, ds_ann = chunk
    gt_tracks, ds_tracks, gt_job, ds_job = context
    gt = build_frames(Annotations(gt_ann.shapes, gt_tracks, gt_ann.tags), metas, labels, gt_job)
    ds = build_frames(Annotations(ds_ann.shapes, ds_tracks, ds_ann.tags), metas, labels, ds_job)
    return [(gt[m.frame_id], ds[m.frame_id]) for m in metas]


def frame_metas(frames: Iterable[object]) -> list[FrameMeta]:
    """FrameMeta from objects with index/name/width/height (FrameInfo or DatasetFrame)."""
    out = []
    for f in frames:
        number = getattr(f, "number", None)
        fid = number if number is not None else f.index  # type: ignore[attr-defined]
        out.append(FrameMeta(int(fid), f.name, int(f.width), int(f.height)))  # type: ignore[attr-defined]
    return out

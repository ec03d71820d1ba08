"""Compare two CVAT job exports (GT and annotation job) without a server: ``fieldmark quality compare``.

Frames are matched by image name; only frames present in both are compared (in GT order);
total_frames = number of images in the job file. Labels are the GT file's; the job file's labels,
sublabels and attributes are mapped onto them by name (labels only the job file has are appended).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations, Shape, Track
from app.domain.labels import Label
from app.formats.dataset import Dataset
from app.quality.frame_compare import FrameComparator
from app.quality.frames import build_frames, frame_metas
from app.quality.objects import LabelIndex
from app.quality.report import Report, job_report
from app.quality.settings import QualitySettings

GT_JOB_ID = 0
DS_JOB_ID = 1


def _label_mapping(
    gt_labels: list[Label], ds_labels: list[Label]
) -> tuple[list[Label], dict[int, int], dict[int, int]]:
    """Merged labels (GT's first), and the job file's label-id and attribute-id maps onto them."""
    merged = list(gt_labels)
    next_id = 1 + max([0] + [x.id or 0 for lbl in gt_labels for x in (lbl, *lbl.sublabels, *lbl.attributes)]
                      + [a.id or 0 for lbl in gt_labels for s in lbl.sublabels for a in s.attributes])
    by_name = {lbl.name: lbl for lbl in gt_labels}
    label_map: dict[int, int] = {}
    attr_map: dict[int, int] = {}
    for lbl in ds_labels:
        target = by_name.get(lbl.name)
        if target is None:
            target = lbl
            for item in (lbl, *lbl.sublabels):
                old = item.id
                item.id = next_id
                next_id += 1
                label_map[old] = item.id  # type: ignore[index]
            for sub in lbl.sublabels:
                sub.parent_id = lbl.id
            merged.append(lbl)
            continue
        label_map[lbl.id] = target.id  # type: ignore[index]
        _map_attributes(lbl, target, attr_map)
        for sub in lbl.sublabels:
            tsub = target.sublabel(sub.name)
            if tsub is not None:
                label_map[sub.id] = tsub.id  # type: ignore[index]
                _map_attributes(sub, tsub, attr_map)
    return merged, label_map, attr_map


def _map_attributes(src: Label, dst: Label, attr_map: dict[int, int]) -> None:
    for spec in src.attributes:
        target = dst.attribute(spec.name)
        if target is not None and spec.id is not None:
            attr_map[spec.id] = target.id  # type: ignore[assignment]


def _remap_shape(shape: Shape, label_map: dict[int, int], attr_map: dict[int, int]) -> Shape:
    out = shape.copy(label_id=label_map.get(shape.label_id, -1),
                     attributes={attr_map[k]: v for k, v in shape.attributes.items() if k in attr_map})
    out.elements = [_remap_shape(e, label_map, attr_map) for e in shape.elements]
    return out


def _remap(ann: Annotations, label_map: dict[int, int], attr_map: dict[int, int]) -> Annotations:
    def remap_track(track: Track) -> Track:
        out = track.copy(label_id=label_map.get(track.label_id, -1),
                         attributes={attr_map[k]: v for k, v in track.attributes.items() if k in attr_map})
        for state in out.shapes:
            state.attributes = {attr_map[k]: v for k, v in state.attributes.items() if k in attr_map}
        out.elements = [remap_track(e) for e in track.elements]
        return out

    tags = [t.copy(label_id=label_map.get(t.label_id, -1),
                   attributes={attr_map[k]: v for k, v in t.attributes.items() if k in attr_map}) for t in ann.tags]
    return Annotations(shapes=[_remap_shape(s, label_map, attr_map) for s in ann.shapes],
                       tracks=[remap_track(t) for t in ann.tracks], tags=tags)


def compare_datasets(gt: Dataset, ds: Dataset, settings: QualitySettings | None = None) -> Report:
    """A job report for ``ds`` against ``gt`` (CVAT v2.73 rules)."""
    settings = settings or QualitySettings()
    labels, label_map, attr_map = _label_mapping(gt.labels, ds.labels)
    index = LabelIndex(labels)
    ds_ann = _remap(ds.annotations, label_map, attr_map)
    gt_metas = frame_metas(gt.frames)
    ds_metas = frame_metas(ds.frames)
    gt_by_index = {f.index: m for f, m in zip(gt.frames, gt_metas)}
    ds_by_index = {f.index: m for f, m in zip(ds.frames, ds_metas)}
    gt_frames = build_frames(_reindex(gt.annotations, gt.frames, gt_by_index), gt_metas, index, GT_JOB_ID)
    ds_frames = build_frames(_reindex(ds_ann, ds.frames, ds_by_index), ds_metas, index, DS_JOB_ID)
    ds_by_name = {m.name: m.frame_id for m in ds_metas}
    pairs = [(gt_frames[m.frame_id], ds_frames[ds_by_name[m.name]]) for m in gt_metas if m.name in ds_by_name]
    comparator = FrameComparator(settings, index)
    return job_report(comparator, pairs, len(ds.frames), settings.parameters())


def _reindex(ann: Annotations, frames: list, metas: dict[int, Any]) -> Annotations:
    """Annotations use dataset frame indices; frames are identified by their file frame numbers."""
    lookup = {index: meta.frame_id for index, meta in metas.items()}

    def fix_shape(s: Shape) -> Shape:
        s.frame = lookup.get(s.frame, s.frame)
        for e in s.elements:
            e.frame = s.frame
        return s

    def fix_track(t: Track) -> Track:
        t.frame = lookup.get(t.frame, t.frame)
        for state in t.shapes:
            state.frame = lookup.get(state.frame, state.frame)
        for e in t.elements:
            fix_track(e)
        return t

    shapes = [fix_shape(s.copy()) for s in ann.shapes]
    tracks = [fix_track(t.copy()) for t in ann.tracks]
    tags = [t.copy(frame=lookup.get(t.frame, t.frame)) for t in ann.tags]
    return Annotations(shapes=shapes, tracks=tracks, tags=tags)


def compare_files(gt_path: str | Path, ds_path: str | Path, settings: QualitySettings | None = None) -> Report:
    from app.formats.cvat_xml_read import read_cvat_xml

    return compare_datasets(read_cvat_xml(Path(gt_path)), read_cvat_xml(Path(ds_path)), settings)

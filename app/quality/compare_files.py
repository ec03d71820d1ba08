"""Compare two CVAT job exports (GT and annotation job) without a server: ``fieldmark quality compare``.

Frames are matched by image name; only frames present in both are compared (in GT order);
total_frames = number of images in the job file. Labels are the GT file's; the job file's labels,
sublabels and attributes are mapped onto them by name (labels only the job file has are appended).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.core.gc_pause import paused_gc
from app.domain.annotations import Annotations, Shape, Track
from app.domain.labels import Label
from app.formats.dataset import Dataset
from app.quality.frame_compare import FrameComparator
from app.quality.frames import build_frames, frame_metas
from app.quality.objects import LabelIndex
from app.quality.parallel import CHUNK_FRAMES, MIN_FRAMES_FOR_WORKERS, chunk_list, compare_chunks, worker_count
from app.quality.report import Report, job_report, report_from_results
from app.quality.settings import QualitySettings
from app.quality.xml_frames import file_labels, load_pairs
from app.quality.xml_stream import FastPathUnsupported, ImageChunk, iter_images, read_head

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


def compare_files(gt_path: str | Path, ds_path: str | Path, settings: QualitySettings | None = None, *,
                  workers: int | None = None) -> Report:
    """A job report for the job export ``ds_path`` against the GT export ``gt_path``.

    Plain CVAT-for-images XML files are streamed image by image and compared in worker processes
    (``workers``, default: one per CPU; short jobs in this process); anything else (archives, video
    layout, a file the lean path does not handle) is read whole by the formats reader, which also gives
    the message for a bad file. Both ways give the same report."""
    settings = settings or QualitySettings()
    try:
        return _compare_streaming(Path(gt_path), Path(ds_path), settings, workers)
    except FastPathUnsupported:
        pass
    from app.formats.cvat_xml_read import read_cvat_xml

    return compare_datasets(read_cvat_xml(Path(gt_path)), read_cvat_xml(Path(ds_path)), settings)


def _compare_streaming(gt_path: Path, ds_path: Path, settings: QualitySettings, workers: int | None) -> Report:
    gt_labels, _ = read_head(gt_path)
    ds_labels, _ = read_head(ds_path)
    ds_names = copy.deepcopy(ds_labels)  # the mapping renumbers labels only the job file has
    labels, label_map, attr_map = _label_mapping(gt_labels, ds_labels)
    context = (file_labels(gt_labels, GT_JOB_ID), file_labels(ds_names, DS_JOB_ID, label_map, attr_map))
    pairs = _Pairs(gt_path, ds_path)
    chunks = chunk_list(pairs)
    first = list(itertools.islice(chunks, MIN_FRAMES_FOR_WORKERS // CHUNK_FRAMES + 1))
    short = sum(len(c) for c in first) < MIN_FRAMES_FOR_WORKERS
    count = workers if workers is not None else (1 if short else worker_count())
    results = compare_chunks(settings, labels, itertools.chain(first, chunks), load_pairs, context, workers=count)
    index = LabelIndex(labels)
    matrix_labels = [index.labels[i].name for i in index.top_level()] + ["unmatched"]
    with paused_gc():
        report = report_from_results(results, 0, settings.parameters(), matrix_labels, settings.empty_is_annotated)
    report.total_frames = pairs.ds_total
    return report


class _Pairs:
    """(GT image, job image) pairs in GT order, matched by name; ``ds_total`` counts the job file's
    images once the pairs are exhausted. Job images seen before their GT partner wait in memory."""

    def __init__(self, gt_path: Path, ds_path: Path) -> None:
        self.gt = iter_images(gt_path)
        self.ds = iter_images(ds_path)
        self.waiting: dict[str, ImageChunk] = {}
        self.ds_total = 0
        self.ds_done = False

    def _find(self, name: str) -> ImageChunk | None:
        while name not in self.waiting and not self.ds_done:
            chunk = next(self.ds, None)
            if chunk is None:
                self.ds_done = True
                break
            self.ds_total += 1
            self.waiting[chunk.name] = chunk
        return self.waiting.pop(name, None)

    def __iter__(self) -> Iterator[tuple[ImageChunk, ImageChunk]]:
        for gt in self.gt:
            ds = self._find(gt.name)
            if ds is not None:
                yield gt, ds
        self.ds_total += sum(1 for _ in self.ds)
        self.ds_done = True
        self.waiting.clear()

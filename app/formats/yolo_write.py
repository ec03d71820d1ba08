"""Writer for Ultralytics YOLO: ``data.yaml`` + ``images/<subset>/`` + ``labels/<subset>/`` + ``<subset>.txt``.

Variants: ``detect`` (axis-aligned rectangles; rotated ones are skipped, as CVAT does), ``segment``
(polygons; rectangles, ellipses and masks are turned into polygons), ``obb`` (rectangles as 4 corners
rotated about the centre), ``pose`` (skeletons: the box of the visible keypoints, then K ``x y v``
triples, v = 0 absent, 1 occluded, 2 visible). ``auto`` picks pose, obb, segment or detect from the data.
Coordinates are normalised, clipped to [0, 1] and written with 6 decimals. Frames without a subset go to
``train``; Ultralytics needs a ``val`` entry, so without a val subset ``val`` names the train list.
Tracks are flattened; with ``track_ids`` their index is appended to each line (CVAT's "Detection Track").

:func:`write_darknet` writes the Darknet layout of CVAT's "YOLO 1.1" export (Datumaro's ``yolo`` format):
``obj.data`` (``classes = N``, one ``<subset> = data/<subset>.txt`` line per subset, ``names =
data/obj.names``, ``backup = backup/``), ``obj.names``, ``<subset>.txt`` listing
``data/obj_<subset>_data/<image>`` and ``obj_<subset>_data/<image stem>.txt`` beside each image (written
for every frame, empty when it has no box). Subset names are kept as they are (``val`` stays ``val``);
frames without one (or ``default``) go to ``train``, as CVAT does. Only unrotated boxes are written.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import yaml

from app.domain.annotations import Shape
from app.domain.enums import LabelType, ShapeType
from app.domain.geometry import mask_outlines, rect_corners
from app.domain.interpolation import track_to_shapes
from app.domain.mask import points_to_crop
from app.formats.dataset import Dataset, DatasetFrame, Progress
from app.formats.errors import FormatError

VARIANTS = ("auto", "detect", "segment", "obb", "pose")


def _mask_polygons(points: list[float]) -> list[list[float]]:
    crop, left, top = points_to_crop(points)
    return mask_outlines(crop, left, top)


def _guess(shapes: list[Shape]) -> str:
    kinds = {s.type for s in shapes}
    if ShapeType.SKELETON in kinds:
        return "pose"
    if kinds & {ShapeType.POLYGON, ShapeType.MASK}:
        return "segment"
    if any(s.type is ShapeType.RECTANGLE and s.rotation % 360 for s in shapes):
        return "obb"
    return "detect"


class _Writer:
    def __init__(self, dataset: Dataset, variant: str, track_ids: bool) -> None:
        self.ds = dataset
        self.track_ids = track_ids
        self.by_frame: dict[int, list[tuple[Shape, int | None]]] = defaultdict(list)
        for shape in dataset.annotations.shapes:
            self.by_frame[shape.frame].append((shape, None))
        ends = dataset.task_ends()
        for k, track in enumerate(dataset.annotations.tracks):
            for shape in track_to_shapes(track, range(track.frame, ends[track.frame] + 1)):
                self.by_frame[shape.frame].append((shape, k))
        every = [s for items in self.by_frame.values() for s, _ in items]
        self.variant = _guess(every) if variant == "auto" else variant
        tops = [label for label in dataset.labels if label.type is not LabelType.TAG]
        if self.variant == "pose":
            tops = [label for label in tops if label.type is LabelType.SKELETON]
            if not tops:
                raise FormatError("", "", "a pose export needs a skeleton label")
        self.classes = {label.id: k for k, label in enumerate(tops)}
        self.names = [label.name for label in tops]
        self.labels = {label.id: label for label in tops}
        self.kpt = max((len(label.sublabels) for label in tops), default=0)
        self.skipped = 0

    def lines(self, frame: DatasetFrame) -> list[str]:
        out = []
        for shape, track in self.by_frame.get(frame.index, []):
            cls = self.classes.get(shape.label_id)
            if cls is None:
                continue
            for coords in self._coords(shape, frame):
                text = f"{cls} " + " ".join(coords)
                out.append(text + (f" {track}" if self.track_ids and track is not None else ""))
        return out

    def _norm(self, x: float, y: float, frame: DatasetFrame) -> list[str]:
        return [f"{min(max(x / frame.width, 0.0), 1.0):.6f}", f"{min(max(y / frame.height, 0.0), 1.0):.6f}"]

    def _coords(self, shape: Shape, frame: DatasetFrame) -> list[list[str]]:
        v, t = self.variant, shape.type
        if v == "pose":
            return [self._pose(shape, frame)] if t is ShapeType.SKELETON else []
        if v == "detect":
            if t is not ShapeType.RECTANGLE or shape.rotation % 360:
                self.skipped += t is ShapeType.RECTANGLE
                return []
            x1, y1, x2, y2 = shape.points
            return [self._norm((x1 + x2) / 2, (y1 + y2) / 2, frame) + self._norm(x2 - x1, y2 - y1, frame)]
        if v == "obb":
            if t is not ShapeType.RECTANGLE:
                return []
            corners = rect_corners(shape.points, shape.rotation).tolist()
            return [[c for x, y in corners for c in self._norm(x, y, frame)]]
        polygons: list[list[float]] = []
        if t is ShapeType.POLYGON:
            polygons = [shape.points]
        elif t is ShapeType.RECTANGLE:
            polygons = [rect_corners(shape.points, shape.rotation).ravel().tolist()]
        elif t is ShapeType.ELLIPSE:
            cx, cy = shape.points[0], shape.points[1]
            axes = (max(int(round(abs(shape.points[2] - cx))), 1), max(int(round(abs(cy - shape.points[3]))), 1))
            poly = cv2.ellipse2Poly((int(round(cx)), int(round(cy))), axes, int(round(shape.rotation)), 0, 360, 10)
            polygons = [[float(c) for c in poly.reshape(-1)]]
        elif t is ShapeType.MASK:
            polygons = _mask_polygons(shape.points)
        return [[c for i in range(0, len(p), 2) for c in self._norm(p[i], p[i + 1], frame)] for p in polygons]

    def _pose(self, shape: Shape, frame: DatasetFrame) -> list[str]:
        label = self.labels[shape.label_id]
        by_label = {e.label_id: e for e in shape.elements}
        triples: list[str] = []
        visible = []
        for sub in label.sublabels:
            e = by_label.get(sub.id)
            if e is None or e.outside:
                triples += ["0.000000", "0.000000", "0"]
                continue
            triples += self._norm(e.points[0], e.points[1], frame) + ["1" if e.occluded else "2"]
            visible.append(e.points)
        triples += ["0.000000", "0.000000", "0"] * (self.kpt - len(label.sublabels))
        if visible:
            xs, ys = [p[0] for p in visible], [p[1] for p in visible]
            box = self._norm((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, frame) + self._norm(
                max(xs) - min(xs), max(ys) - min(ys), frame)
        else:
            box = ["0.000000"] * 4
        return box + triples


def _image_rel(frame: DatasetFrame, subset: str) -> str:
    return f"images/{subset}/{frame.name.replace(chr(92), '/').lstrip('/')}"


def write_yolo(dataset: Dataset, folder: Path, *, task: str = "auto", names_as: str = "dict", track_ids: bool = False,
               progress: Progress | None = None) -> str:
    """Write an Ultralytics YOLO dataset into ``folder``; returns ``"yolo-<variant>"``."""
    if task not in VARIANTS:
        raise ValueError(f"unknown YOLO task {task!r}; use one of {VARIANTS}")
    w = _Writer(dataset, task, track_ids)
    subsets: dict[str, list[DatasetFrame]] = defaultdict(list)
    for frame in dataset.frames:
        subsets[frame.subset or "train"].append(frame)
    paths = []
    for done, frame in enumerate(dataset.frames):
        subset = frame.subset or "train"
        rel = _image_rel(frame, subset)
        paths.append(rel)
        lines = w.lines(frame)
        if lines:
            label_file = folder / "labels" / subset / PurePosixPath(rel[len(f"images/{subset}/"):]).with_suffix(".txt")
            label_file.parent.mkdir(parents=True, exist_ok=True)
            label_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if progress is not None and done % 256 == 0:
            progress(done, len(dataset.frames))
    config: dict[str, Any] = {}  # no "path": Ultralytics then resolves entries against data.yaml's folder
    for subset, frames in subsets.items():
        (folder / f"{subset}.txt").write_text("".join(f"./{_image_rel(f, subset)}\n" for f in frames), encoding="utf-8")
        config[subset] = f"{subset}.txt"
    if "val" not in config:
        config["val"] = config.get("train") or next(iter(config.values()))
    if "train" not in config:
        config["train"] = config["val"]
    config["names"] = {k: n for k, n in enumerate(w.names)} if names_as == "dict" else list(w.names)
    if w.variant == "pose":
        config["kpt_shape"] = [w.kpt, 3]
        flip = dataset.meta.get("flip_idx")
        if isinstance(flip, list) and len(flip) == w.kpt:
            config["flip_idx"] = [int(v) for v in flip]
    (folder / "data.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    dataset.meta["export_image_paths"] = paths
    if w.skipped:
        dataset.meta.setdefault("warnings", []).append(
            f"{w.skipped} rotated boxes were skipped (detect has no rotation)")
    return f"yolo-{w.variant}"


def _darknet_subset(frame: DatasetFrame) -> str:
    return frame.subset if frame.subset and frame.subset != "default" else "train"


def _darknet_image(frame: DatasetFrame) -> str:
    return f"obj_{_darknet_subset(frame)}_data/{frame.name.replace(chr(92), '/').lstrip('/')}"


def write_darknet(dataset: Dataset, folder: Path, *, progress: Progress | None = None, **_options: Any) -> str:
    """Write a Darknet YOLO 1.1 dataset into ``folder`` (see the module doc); returns ``"darknet"``."""
    w = _Writer(dataset, "detect", False)
    subsets: dict[str, list[str]] = defaultdict(list)
    paths = []
    for done, frame in enumerate(dataset.frames):
        rel = _darknet_image(frame)
        if "/" in _darknet_subset(frame) or _darknet_subset(frame) in ("", ".", ".."):
            raise FormatError(folder, f"frame {frame.name!r}", f"the subset name {frame.subset!r} cannot be a "
                                                               "folder name")
        paths.append(rel)
        subsets[_darknet_subset(frame)].append(rel)
        label_file = folder / PurePosixPath(rel).with_suffix(".txt")
        label_file.parent.mkdir(parents=True, exist_ok=True)
        lines = w.lines(frame)
        label_file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        if progress is not None and done % 256 == 0:
            progress(done, len(dataset.frames))
    config = [f"classes = {len(w.names)}"]
    for subset, images in subsets.items():
        (folder / f"{subset}.txt").write_text("".join(f"data/{rel}\n" for rel in images), encoding="utf-8")
        config.append(f"{subset} = data/{subset}.txt")
    config += ["names = data/obj.names", "backup = backup/"]
    (folder / "obj.names").write_text("".join(f"{name}\n" for name in w.names), encoding="utf-8")
    (folder / "obj.data").write_text("\n".join(config) + "\n", encoding="utf-8")
    dataset.meta["export_image_paths"] = paths
    if w.skipped:
        dataset.meta.setdefault("warnings", []).append(
            f"{w.skipped} rotated boxes were skipped (YOLO 1.1 has no rotation)")
    return "darknet"

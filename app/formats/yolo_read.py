"""Reader for Ultralytics YOLO (detect, segment, obb, pose, classify) and Darknet YOLO 1.1.

The variant is chosen per dataset: ``kpt_shape`` in data.yaml → pose; no config and
``<subset>/<class>/<image>`` folders → classification (tags); 5 values per line → boxes; otherwise
polygons, except that a dataset whose lines all hold exactly 4 corners is read as oriented
boxes (``variant`` overrides this). A trailing integer column is a track id (tracks are rebuilt).
Coordinates are de-normalised with each image's size (from the image, or ``frame_sizes``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import Label
from app.formats.coco_tracks import TrackCollector
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry, Progress
from app.formats.errors import FormatError
from app.formats.validate import flip_idx, kpt_shape, read_text
from app.formats.yolo_layout import Layout, find_layout, label_path
from app.media.errors import MediaError
from app.media.images import probe_image

_TOL = 0.011  # Ultralytics accepts coordinates within 1% outside [0, 1]


def _frame_name(layout: Layout, subset: str, image: Path) -> str:
    for base in (layout.root / "images" / subset, layout.root / subset / "images", layout.root / "images",
                 layout.root / "obj_train_data", layout.root / f"obj_{subset}_data", layout.root / subset, layout.root):
        try:
            return image.relative_to(base).as_posix()
        except ValueError:
            continue
    return image.name


def _rows(file: Path) -> list[tuple[int, list[str]]]:
    if not file.is_file():
        return []
    lines = read_text(file).splitlines()
    return [(n + 1, line.split()) for n, line in enumerate(lines) if line.strip()]


class _YoloReader:
    def __init__(self, layout: Layout, variant: str, sizes: dict[str, tuple[int, int]],
                 hints: Sequence[Label]) -> None:
        self.layout = layout
        self.variant = variant
        self.sizes = sizes
        self.warnings: list[str] = []
        self.frames: list[DatasetFrame] = []
        self.files: list[str | None] = []
        self.ann = Annotations()
        self.tracks = TrackCollector()
        self.kpt = kpt_shape(layout.config.get("kpt_shape"), layout.config_file or layout.root)
        self.flip_idx = flip_idx(layout.config.get("flip_idx"), self.kpt, layout.config_file or layout.root)
        hint = {label.name: label for label in hints}
        self.registry = LabelRegistry([self._label(name, hint.get(name)) for name in layout.names])

    def _label(self, name: str, hint: Label | None) -> Label:
        if self.layout.kind == "classification":
            return Label(name=name, type=LabelType.TAG)
        if self.kpt is None:
            return Label(name=name)
        k = self.kpt[0]
        names = [s.name for s in hint.sublabels] if hint is not None and len(hint.sublabels) == k else \
            [f"{name}_point_{i + 1}" for i in range(k)]
        edges = list(hint.edges) if hint is not None and len(hint.sublabels) == k else []
        return Label(name=name, type=LabelType.SKELETON, edges=edges,
                     sublabels=[Label(name=n, type=LabelType.POINTS) for n in names])

    def _size(self, image: Path, name: str) -> tuple[int, int]:
        if image.is_file():
            try:
                return probe_image(image)
            except MediaError as exc:
                raise FormatError(image, "", str(exc)) from exc
        stem = Path(name).with_suffix("").as_posix()
        for key in (name, Path(name).name, stem, Path(name).stem):
            if key in self.sizes:
                return self.sizes[key]
        for key, size in self.sizes.items():
            if Path(key).with_suffix("").as_posix() in (stem, Path(name).stem):
                return size
        raise FormatError(image, "", "the image is missing, so its size (needed to read normalised "
                                     "coordinates) is unknown; put the images beside the labels or import into a task")

    def read(self, progress: Progress | None) -> None:
        items, seen = [], set()
        for subset, images in self.layout.subsets.items():
            for image in images:  # an image listed by two subsets (val: train.txt) is read once
                if image.resolve() not in seen:
                    seen.add(image.resolve())
                    items.append((subset, image))
        parsed = []
        for subset, image in items:
            name = _frame_name(self.layout, subset, image)
            width, height = self._size(image, name)
            frame = DatasetFrame(index=len(self.frames), name=name, width=width, height=height, subset=subset)
            self.frames.append(frame)
            self.files.append(str(image) if image.is_file() else None)
            if self.layout.kind == "classification":
                label = self.registry.get(image.parent.name)
                self.ann.tags.append(Tag(frame=frame.index, label_id=label.id))
            else:
                lf = Path(label_path(str(image)))
                if self.layout.kind == "darknet" and image.with_suffix(".txt").is_file():
                    lf = image.with_suffix(".txt")  # Darknet keeps labels beside the images (an images/ folder too)
                parsed.append((frame, lf, _rows(lf)))
        if self.variant == "auto":
            self.variant = self._guess(parsed)
        for done, (frame, lf, rows) in enumerate(parsed):
            for line, tokens in rows:
                self._line(frame, lf, line, tokens)
            if progress is not None and done % 256 == 0:
                progress(done, len(parsed))
        self.ann.tracks.extend(self.tracks.tracks(len(self.frames)))

    def _guess(self, parsed: list) -> str:
        if self.kpt is not None:
            return "pose"
        all_lengths = [len(t) for _f, _lf, rows in parsed for _n, t in rows]
        lengths = set(all_lengths)
        boxes = sum(1 for n in all_lengths if n in (5, 6))
        if not lengths or 2 * boxes >= len(all_lengths):  # mostly "cls cx cy w h": boxes (odd lines are errors)
            return "detect"
        if lengths <= {9, 10}:  # only quadrilaterals: oriented boxes (a box-only segment export reads the same)
            return "obb"
        return "segment"

    def _line(self, frame: DatasetFrame, file: Path, line: int, tokens: list[str]) -> None:
        where = f"line {line}"
        try:
            values = [float(t) for t in tokens]
        except ValueError:
            raise FormatError(file, where, f"bad coordinates: {' '.join(tokens)[:60]!r} holds a non-number") from None
        cls = values[0]
        if not cls.is_integer() or not 0 <= cls < len(self.layout.names):
            raise FormatError(file, where,
                              f"class {tokens[0]} is not one of 0..{len(self.layout.names) - 1} in 'names'")
        label = self.registry.labels[int(cls)]
        coords, track_id = self._split(values[1:], file, where)
        checked = coords
        if self.variant == "pose" and self.kpt[1] == 3:
            checked = coords[:4] + [v for i, v in enumerate(coords[4:]) if i % 3 != 2]
        if not all(math.isfinite(v) and -_TOL <= v <= 1 + _TOL for v in checked):
            raise FormatError(file, where, "bad coordinates: normalised values must lie in [0, 1]")
        shape = self._shape(frame, label, coords, file, where)
        if track_id is not None and shape.type is not ShapeType.SKELETON:
            self.tracks.add(track_id, True, shape)
        else:
            self.ann.shapes.append(shape)

    def _split(self, values: list[float], file: Path, where: str) -> tuple[list[float], int | None]:
        expected = {"detect": (4,), "obb": (8,)}.get(self.variant)
        if self.variant == "pose":
            expected = (4 + self.kpt[0] * self.kpt[1],)
        if expected is not None:
            if len(values) == expected[0]:
                return values, None
            if len(values) == expected[0] + 1 and values[-1].is_integer():
                return values[:-1], int(values[-1])
            raise FormatError(file, where,
                              f"a {self.variant} line needs {expected[0] + 1} values, got {len(values) + 1}")
        if len(values) % 2 and values[-1].is_integer():
            return values[:-1], int(values[-1])
        if len(values) % 2 or len(values) < 6:
            raise FormatError(file, where, "a polygon line needs a class and at least 3 x y pairs")
        return values, None

    def _shape(self, frame: DatasetFrame, label: Label, c: list[float], file: Path, where: str) -> Shape:
        w, h = frame.width, frame.height
        if self.variant == "detect":
            cx, cy, bw, bh = c[0] * w, c[1] * h, c[2] * w, c[3] * h
            return Shape(type=ShapeType.RECTANGLE, frame=frame.index, label_id=label.id,
                         points=[cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
        if self.variant == "obb":
            xs, ys = [v * w for v in c[0::2]], [v * h for v in c[1::2]]
            cx, cy = sum(xs) / 4, sum(ys) / 4
            bw = math.hypot(xs[1] - xs[0], ys[1] - ys[0])
            bh = math.hypot(xs[2] - xs[1], ys[2] - ys[1])
            angle = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0])) % 360.0
            return Shape(type=ShapeType.RECTANGLE, frame=frame.index, label_id=label.id,
                         points=[cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], rotation=angle)
        if self.variant == "pose":
            ndim = self.kpt[1]
            elements = []
            for i, sub in enumerate(label.sublabels):
                x, y = c[4 + i * ndim] * w, c[5 + i * ndim] * h
                v = c[6 + i * ndim] if ndim == 3 else (0.0 if x == 0 and y == 0 else 2.0)
                elements.append(Shape(type=ShapeType.POINTS, frame=frame.index, label_id=sub.id, points=[x, y],
                                      outside=v == 0, occluded=v == 1))
            return Shape(type=ShapeType.SKELETON, frame=frame.index, label_id=label.id, elements=elements)
        points = [v * (w if i % 2 == 0 else h) for i, v in enumerate(c)]
        return Shape(type=ShapeType.POLYGON, frame=frame.index, label_id=label.id, points=points)


def read_yolo(path: Path, *, variant: str = "auto", frame_sizes: dict[str, tuple[int, int]] | None = None,
              label_hints: Sequence[Label] = (), progress: Progress | None = None) -> Dataset:
    """Read a YOLO dataset folder (or its data.yaml / obj.data). ``variant``: auto, detect, segment, obb, pose."""
    if variant not in ("auto", "detect", "segment", "obb", "pose"):
        raise ValueError(f"unknown YOLO variant {variant!r}")
    layout = find_layout(Path(path))
    reader = _YoloReader(layout, variant, frame_sizes or {}, label_hints)
    if variant == "pose" and reader.kpt is None:
        raise FormatError(layout.config_file or layout.root, "kpt_shape", "a pose dataset needs kpt_shape")
    reader.read(progress)
    kind = "classify" if layout.kind == "classification" else reader.variant
    meta = {"format": "yolo", "layout": "images", "yolo_kind": layout.kind, "yolo_variant": kind,
            "warnings": reader.warnings, "image_files": reader.files, "subsets": list(layout.subsets)}
    if reader.flip_idx is not None:
        meta["flip_idx"] = reader.flip_idx
    if reader.kpt is not None:
        meta["kpt_shape"] = list(reader.kpt)
    return Dataset(labels=reader.registry.labels, frames=reader.frames, annotations=reader.ann, meta=meta)

"""Segmentation mask PNGs: ``masks/<image stem>.png`` (semantic), optional ``instances/<stem>.png``.

Layout (read and written)::

    labelmap.txt            colour map, ``name:r,g,b::`` per line, index = line (0 = background)
    images/<name>           the images (optional)
    masks/<stem>.png        class of each pixel: indices (indexed or grey PNG) or colours (RGB)
    instances/<stem>.png    object number of each pixel (0 = none), optional

Datumaro's ``dataset_meta.json`` (``label_map`` index → name, ``segmentation_colors``) is read in place of
``labelmap.txt``. Without either, indices become labels ``class_<index>``; RGB masks need a colour map.
Each object of the instance PNG becomes a mask of the class most frequent under it; without one, every
class present on an image becomes one mask. Writing paints polygons, rectangles, ellipses and masks by
``z_order`` (later on top); points, polylines, skeletons, cuboids and tags are not written.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from app.domain.annotations import Annotations, Shape
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import Label
from app.domain.mask import mask_to_points
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry, Progress
from app.formats.errors import FormatError
from app.formats.plain_common import (
    LabelIndex,
    integer,
    obj,
    read_json,
    seq,
    shapes_by_frame,
    text,
    voc_palette,
)
from app.formats.seg_png import (
    Colormap,
    check_pair,
    class_map,
    instance_map,
    masks,
    read_colormap,
    render,
    save_index_png,
    write_colormap,
)
from app.media.errors import MediaError
from app.media.images import IMAGE_SUFFIXES, probe_image


def _dataset_meta(path: Path) -> Colormap:
    doc = obj(read_json(path), path, "")
    label_map = obj(doc.get("label_map"), path, "label_map")
    colors = seq(doc.get("segmentation_colors") or [], path, "segmentation_colors")
    entries: dict[int, str] = {}
    for key, name in label_map.items():
        try:
            index = int(key)
        except ValueError:
            raise FormatError(path, f"label_map.{key}", "keys must be class indices") from None
        if not 0 <= index < 65536:
            raise FormatError(path, f"label_map.{key}", "the class index is out of range")
        entries[index] = text(name, path, f"label_map.{key}")
    if not entries:
        raise FormatError(path, "label_map", "no labels")
    out: Colormap = []
    palette = voc_palette()
    for index in range(max(entries) + 1):
        name = entries.get(index, f"class_{index}")
        if index < len(colors):
            rgb = seq(colors[index], path, f"segmentation_colors[{index}]")
            if len(rgb) != 3:
                raise FormatError(path, f"segmentation_colors[{index}]", "a colour is [r, g, b]")
            color = tuple(integer(c, path, f"segmentation_colors[{index}]", lo=0, hi=255) for c in rgb)
        else:
            color = palette[index % 256]
        out.append((name, (int(color[0]), int(color[1]), int(color[2]))))
    return out


def _stem_images(folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                out.setdefault(path.relative_to(folder).with_suffix("").as_posix(), path)
    return out


def read_masks(path: Path, *, progress: Progress | None = None) -> Dataset:
    """Read a mask PNG dataset folder (see the module doc)."""
    root = Path(path)
    if not (root / "masks").is_dir():
        raise FormatError(root, "", "a mask dataset is a folder with masks/ (and images/, labelmap.txt)")
    colors: Colormap | None = None
    if (root / "labelmap.txt").is_file():
        colors = read_colormap(root / "labelmap.txt")
    elif (root / "dataset_meta.json").is_file():
        colors = _dataset_meta(root / "dataset_meta.json")
    registry = LabelRegistry()
    if colors is not None:
        for name, (r, g, b) in colors[1:]:
            registry.add(Label(name=name, color=f"#{r:02x}{g:02x}{b:02x}", type=LabelType.ANY))
    images = _stem_images(root / "images")
    mask_files = {p.relative_to(root / "masks").with_suffix("").as_posix(): p
                  for p in sorted((root / "masks").rglob("*.png"))}
    stems = list(dict.fromkeys([*images, *mask_files]))
    frames: list[DatasetFrame] = []
    files: list[str | None] = []
    ann = Annotations()
    warnings: list[str] = []
    for done, stem in enumerate(stems):
        image = images.get(stem)
        width = height = 0
        if image is not None:
            try:
                width, height = probe_image(image)
            except MediaError as exc:
                raise FormatError(image, "", str(exc)) from exc
        frame = DatasetFrame(index=len(frames), name=image.relative_to(root / "images").as_posix() if image else
                             f"{stem}.png", width=width, height=height)
        frames.append(frame)
        files.append(str(image) if image else None)
        mask_file = mask_files.get(stem)
        inst_file = root / "instances" / f"{stem}.png"
        classes = class_map(mask_file, colors, width, height) if mask_file else None
        objects = instance_map(inst_file, width, height) if inst_file.is_file() else None
        if classes is None and objects is None:
            continue
        check_pair(classes, objects, mask_file, inst_file)
        shape = (classes if classes is not None else objects).shape
        frame.height, frame.width = shape
        for cls, number, bitmap in masks(classes, objects, void=colors is None or len(colors) <= 255):
            if cls == 0:
                warnings.append(f"{inst_file}: object {number} has no class under it and was skipped")
                continue
            if colors is not None and cls >= len(colors):
                raise FormatError(mask_file or inst_file, "", f"class index {cls} is not in the colour map")
            name = colors[cls][0] if colors is not None else f"class_{cls}"
            label = registry.get(name) or registry.create(name)
            ann.shapes.append(Shape(type=ShapeType.MASK, frame=frame.index, label_id=label.id,
                                    points=mask_to_points(bitmap)))
        if progress is not None:
            progress(done + 1, len(stems))
    return Dataset(labels=registry.labels, frames=frames, annotations=ann,
                   meta={"format": "masks", "layout": "images", "warnings": warnings, "image_files": files})


def write_masks(dataset: Dataset, folder: Path, *, progress: Progress | None = None, **_options: Any) -> str:
    """Write class and instance PNGs and ``labelmap.txt`` under ``folder``; returns the layout name."""
    labels = LabelIndex(dataset)
    palette = voc_palette()
    colors: Colormap = [("background", (0, 0, 0))]
    for k, label in enumerate(x for x in dataset.labels if x.type not in (LabelType.TAG, LabelType.SKELETON)):
        color = label.color.lstrip("#")
        rgb = tuple(int(color[i:i + 2], 16) for i in (0, 2, 4)) if len(color) == 6 else palette[(k + 1) % 256]
        colors.append((label.name, (int(rgb[0]), int(rgb[1]), int(rgb[2]))))
    index = {name: k for k, (name, _c) in enumerate(colors)}
    by_frame = shapes_by_frame(dataset)
    paths = []
    total = len(dataset.frames)
    for k, frame in enumerate(dataset.frames):
        name = frame.name.replace("\\", "/").lstrip("/")
        paths.append(f"images/{name}")
        stem = str(PurePosixPath(name).with_suffix(""))
        shapes = [s for s, _t, _k in by_frame.get(frame.index, [])]

        def class_of(shape: Shape) -> int | None:
            return index.get(labels.name(shape.label_id))

        classes, objects, painted = render(shapes, frame.width, frame.height, class_of)
        save_index_png(folder / "masks" / f"{stem}.png", classes)
        if painted:
            save_index_png(folder / "instances" / f"{stem}.png", objects)
        if progress is not None and k % 64 == 0:
            progress(k, total)
    write_colormap(folder / "labelmap.txt", colors)
    dataset.meta["export_image_paths"] = paths
    return "masks"

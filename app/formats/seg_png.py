"""Segmentation PNGs shared by Pascal VOC and the mask PNG format: class maps, instance maps, colour maps.

- A **class map** holds a class index per pixel: an indexed (palette) PNG's indices, a grey or 16-bit
  PNG's values, or — for RGB PNGs — the index of the pixel's colour in the colour map. 0 is background,
  255 in an indexed PNG is VOC's "void" boundary (ignored).
- An **instance map** holds an object number per pixel (0 background, 255 void in indexed PNGs); each
  number is one mask, of the class found most often under it in the class map.
- A **colour map** (``labelmap.txt``, the layout CVAT and Datumaro write for VOC):
  ``name:r,g,b:parts:actions`` per line, ``#`` comments; line order gives the class index.

Writing paints polygons, rectangles, ellipses and masks in ``z_order`` (later on top) with the VOC
palette; more than 255 classes or 254 objects on one image go to 16-bit grey PNGs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import shape_to_bitmap
from app.formats.errors import FormatError
from app.formats.plain_common import check_size, load_png, parse_int, read_text, voc_palette

VOID = 255
PAINTED = (ShapeType.POLYGON, ShapeType.RECTANGLE, ShapeType.ELLIPSE, ShapeType.MASK)

VOC_LABELS = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
              "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
              "tvmonitor")

Colormap = list[tuple[str, tuple[int, int, int]]]


def read_colormap(path: Path) -> Colormap:
    """``labelmap.txt`` entries in order (the first is normally ``background``)."""
    out: Colormap = []
    names: set[str] = set()
    for n, line in enumerate(read_text(path).splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(":")
        color_text = rest.split(":", 1)[0].strip()
        where = f"line {n}"
        if not name:
            raise FormatError(path, where, "a label name is missing before ':'")
        if name in names:
            raise FormatError(path, where, f"label {name!r} is listed twice")
        names.add(name)
        if color_text:
            parts = color_text.split(",")
            if len(parts) != 3:
                raise FormatError(path, where, f"the colour {color_text!r} is not r,g,b")
            color = tuple(parse_int(p.strip(), path, where, lo=0, hi=255) for p in parts)
        else:
            color = voc_palette()[len(out) % 256]
        out.append((name, (int(color[0]), int(color[1]), int(color[2]))))
    if not out:
        raise FormatError(path, "", "the colour map lists no labels")
    return out


def write_colormap(path: Path, entries: Colormap) -> None:
    lines = ["# label:color_rgb:parts:actions"]
    lines += [f"{name}:{r},{g},{b}::" for name, (r, g, b) in entries]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def class_map(path: Path, colors: Colormap | None, width: int, height: int) -> np.ndarray:
    """The class index of every pixel (int32); VOID marks ignored pixels."""
    image = load_png(path)
    if image.mode in ("RGB", "RGBA") or (image.mode == "P" and colors is not None and _palette_is_colors(image)):
        rgb = np.asarray(image.convert("RGB"), dtype=np.int32)
        check_size(rgb, width, height, path)
        if colors is None:
            raise FormatError(path, "", "a colour mask needs a colour map (labelmap.txt) to tell its classes")
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        lookup = {(r << 16) | (g << 8) | b: k for k, (_n, (r, g, b)) in enumerate(colors)}
        values, inverse = np.unique(packed, return_inverse=True)
        ids = np.empty(len(values), dtype=np.int32)
        for k, value in enumerate(values.tolist()):
            if value in lookup:
                ids[k] = lookup[value]
            elif value == (224 << 16) | (224 << 8) | 192:  # VOC's void colour
                ids[k] = VOID
            else:
                y, x = np.argwhere(packed == value)[0]
                raise FormatError(path, f"pixel ({x}, {y})", f"the colour {value >> 16},{(value >> 8) & 255},"
                                  f"{value & 255} is not in the colour map")
        return ids[inverse.reshape(packed.shape)]
    return _index_map(image, path, width, height)


def _palette_is_colors(image: Image.Image) -> bool:
    """Whether a palette image's palette is not the VOC palette (then its colours, not indices, count)."""
    palette = image.getpalette() or []
    voc = [c for rgb in voc_palette() for c in rgb]
    return palette[: len(voc)] != voc[: len(palette)]


def instance_map(path: Path, width: int, height: int) -> np.ndarray:
    image = load_png(path)
    if image.mode in ("RGB", "RGBA"):
        rgb = np.asarray(image.convert("RGB"), dtype=np.int32)
        check_size(rgb, width, height, path)
        lookup = {(r << 16) | (g << 8) | b: k for k, (r, g, b) in enumerate(voc_palette())}
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        values, inverse = np.unique(packed, return_inverse=True)
        ids = np.array([lookup.get(v, -1) for v in values.tolist()], dtype=np.int32)
        if (ids < 0).any():
            raise FormatError(path, "", "an RGB instance mask must use the VOC palette colours")
        return ids[inverse.reshape(packed.shape)]
    return _index_map(image, path, width, height)


def _index_map(image: Image.Image, path: Path, width: int, height: int) -> np.ndarray:
    if image.mode not in ("P", "L", "I", "I;16", "I;16B", "I;16L", "1"):
        raise FormatError(path, "", f"unsupported mask image mode {image.mode!r}; expected indexed, grey or RGB")
    array = np.asarray(image).astype(np.int32)
    if array.ndim != 2:
        raise FormatError(path, "", "a mask image must have one channel (or be RGB with a colour map)")
    check_size(array, width, height, path)
    return array


def check_pair(classes: np.ndarray | None, objects: np.ndarray | None, class_file: Path | None,
               object_file: Path) -> None:
    """A class map and an instance map of one image must be the same size (checked when the image's own size
    is unknown, e.g. without the image file or a VOC ``<size>``)."""
    if classes is not None and objects is not None and classes.shape != objects.shape:
        (ch, cw), (oh, ow) = classes.shape[:2], objects.shape[:2]
        raise FormatError(object_file, "", f"the instance mask is {ow}x{oh}, but the class mask {class_file} is "
                                           f"{cw}x{ch}")


def masks(classes: np.ndarray | None, instances: np.ndarray | None,
          void: bool) -> list[tuple[int, int, np.ndarray]]:
    """``(class index, instance number, bitmap)`` for every object: each instance number (with its most
    frequent class), or each class when there is no instance map. Index 0 and (``void``) class 255 are
    skipped; object 255 is void in 8-bit instance maps."""
    out = []
    if instances is not None:
        numbers = np.unique(instances).tolist()
        for number in numbers:
            if number == 0 or (number == VOID and numbers[-1] == VOID):
                continue
            bitmap = instances == number
            cls = 0
            if classes is not None:
                under = classes[bitmap]
                under = under[(under != 0) & ((under != VOID) | (not void))]
                if under.size:
                    values, counts = np.unique(under, return_counts=True)
                    cls = int(values[np.argmax(counts)])
            out.append((cls, int(number), bitmap))
        return out
    assert classes is not None
    for cls in np.unique(classes).tolist():
        if cls == 0 or (void and cls == VOID):
            continue
        out.append((int(cls), 0, classes == cls))
    return out


def render(shapes: Sequence[Shape], width: int, height: int,
           class_of: Callable[[Shape], int | None]) -> tuple[np.ndarray, np.ndarray, list[Shape]]:
    """Paint the shapes (``z_order``, then given order): the class map, the instance map (object ``k + 1`` is
    the k-th painted shape returned) and the painted shapes."""
    classes = np.zeros((height, width), dtype=np.int32)
    objects = np.zeros((height, width), dtype=np.int32)
    painted = []
    for shape in sorted(shapes, key=lambda s: s.z_order):
        cls = class_of(shape)
        if cls is None or shape.type not in PAINTED or width <= 0 or height <= 0:
            continue
        bitmap = shape_to_bitmap(shape.type, shape.points, width, height, shape.rotation)
        if not bitmap.any():
            continue
        painted.append(shape)
        classes[bitmap] = cls
        objects[bitmap] = len(painted)
    return classes, objects, painted


def save_index_png(path: Path, array: np.ndarray) -> None:
    """An indexed PNG with the VOC palette when every value fits, else a 16-bit grey PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.size == 0 or int(array.max()) < VOID:
        image = Image.fromarray(array.astype(np.uint8), mode="P")
        image.putpalette([c for rgb in voc_palette() for c in rgb])
    else:
        if int(array.max()) > 65535:
            raise FormatError(path, "", "more than 65,535 classes or objects on one image")
        image = Image.fromarray(array.astype(np.uint16))
    image.save(path)

"""Shared pieces of the labelme, Pascal VOC, mask PNG, Datumaro and MOT readers and writers.

Readers check every value's type and range as they read and raise :class:`FormatError` naming the file,
the place (JSON path, line, element) and the problem. Writers take plain shapes per frame: tracks are
flattened to their visible frames (with ``track_id``/``keyframe`` for formats that keep them).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from app.domain.annotations import Shape
from app.domain.enums import AttributeType
from app.domain.interpolation import track_to_shapes
from app.domain.labels import AttributeSpec, Label
from app.formats.coco_common import value_from_json, value_to_json
from app.formats.dataset import Dataset, LabelRegistry
from app.formats.errors import FormatError

#: Largest coordinate accepted (pixels); beyond it a value is a mistake, not an image position.
MAX_COORD = 1e7
#: Largest image side accepted from a file's own header (pixels).
MAX_SIDE = 200_000
#: Largest annotation file read whole (bytes).
MAX_FILE = 512 * 1024 * 1024


def read_bytes(path: Path, where: str = "") -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise FormatError(path, where, f"the file is {size} bytes, more than the {MAX_FILE} allowed")
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(path, where, f"cannot read the file: {exc.strerror or exc}") from exc


def read_text(path: Path) -> str:
    raw = read_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"byte {exc.start}", "not UTF-8 text") from exc


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}") from exc
    except RecursionError:
        raise FormatError(path, "", "malformed JSON: nested too deeply") from None
    except ValueError as exc:  # NaN / Infinity, refused by _no_constant
        raise FormatError(path, "", f"malformed JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        json.dump(doc, out, ensure_ascii=False, indent=2, allow_nan=False)


def obj(value: Any, file: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(file, where, f"expected a JSON object, found {_kind(value)}")
    return value


def seq(value: Any, file: Path, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(file, where, f"expected a list, found {_kind(value)}")
    return value


def text(value: Any, file: Path, where: str, *, allow_none: bool = False) -> str:
    if value is None and allow_none:
        return ""
    if not isinstance(value, str):
        raise FormatError(file, where, f"expected a string, found {_kind(value)}")
    return value


def number(value: Any, file: Path, where: str, *, limit: float = MAX_COORD) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(file, where, f"expected a number, found {_kind(value)}")
    result = float(value)
    if not math.isfinite(result) or abs(result) > limit:
        raise FormatError(file, where, f"the number {value!r} is out of range (at most {limit:g} in size)")
    return result


def integer(value: Any, file: Path, where: str, *, lo: int = -(2**31), hi: int = 2**31 - 1) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(file, where, f"expected an integer, found {_kind(value)}")
    if not lo <= value <= hi:
        raise FormatError(file, where, f"the integer {value} is outside [{lo}, {hi}]")
    return value


def parse_number(token: str, file: Path, where: str, *, limit: float = MAX_COORD) -> float:
    try:
        value = float(token)
    except ValueError:
        raise FormatError(file, where, f"{token[:40]!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise FormatError(file, where, f"the number {token[:40]!r} is out of range")
    return value


def parse_int(token: str, file: Path, where: str, *, lo: int = -(2**31), hi: int = 2**31 - 1) -> int:
    value = parse_number(token, file, where, limit=float(2**53))
    if not value.is_integer() or not lo <= value <= hi:
        raise FormatError(file, where, f"{token[:40]!r} is not an integer in [{lo}, {hi}]")
    return int(value)


def image_side(value: Any, file: Path, where: str) -> int:
    return integer(value, file, where, lo=0, hi=MAX_SIDE)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------- labels and attributes


def attribute_spec(registry: LabelRegistry, label: Label, name: str, value: Any) -> AttributeSpec:
    """The label's attribute ``name``, created on first use: a checkbox for booleans, number for numbers,
    else free text."""
    spec = label.attribute(name)
    if spec is None:
        spec = registry.add_attribute(label, name)
        if isinstance(value, bool):
            spec.input_type, spec.values, spec.default_value = AttributeType.CHECKBOX, ["false"], "false"
        elif isinstance(value, int | float):
            spec.input_type, spec.values, spec.default_value = AttributeType.NUMBER, [], ""
    return spec


def json_attribute(registry: LabelRegistry, label: Label, name: str, value: Any, file: Path,
                   where: str) -> tuple[int, str]:
    """(spec id, CVAT string) of a JSON attribute value; lists and objects are refused."""
    if isinstance(value, list | dict):
        raise FormatError(file, where, f"attribute {name!r} holds {_kind(value)}; expected a string, number or "
                                       "boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(file, where, f"attribute {name!r} is not a finite number")
    spec = attribute_spec(registry, label, name, value)
    return spec.id, "" if value is None else value_from_json(value)


class LabelIndex:
    """Labels (sublabels included) and attribute specs of a dataset by id, for writers."""

    def __init__(self, dataset: Dataset) -> None:
        self.labels: dict[int, Label] = {}
        self.parent: dict[int, Label] = {}
        self.specs: dict[int, AttributeSpec] = {}
        for label in dataset.labels:
            self.labels[label.id] = label
            for sub in label.sublabels:
                self.labels[sub.id] = sub
                self.parent[sub.id] = label
            for item in (label, *label.sublabels):
                for spec in item.attributes:
                    self.specs[spec.id] = spec

    def name(self, label_id: int) -> str:
        label = self.labels.get(label_id)
        return label.name if label is not None else ""

    def attributes(self, values: dict[int, str]) -> dict[str, Any]:
        """``{name: JSON value}`` (checkbox → bool, number → number)."""
        out = {}
        for key, value in values.items():
            spec = self.specs.get(key)
            if spec is not None:
                out[spec.name] = value_to_json(value, spec.input_type)
        return out


def shapes_by_frame(dataset: Dataset) -> dict[int, list[tuple[Shape, int | None, bool]]]:
    """``frame → [(shape, track number or None, keyframe)]``: plain shapes, then tracks flattened to the
    frames where they are visible."""
    out: dict[int, list[tuple[Shape, int | None, bool]]] = defaultdict(list)
    for shape in dataset.annotations.shapes:
        out[shape.frame].append((shape, None, True))
    n = len(dataset.frames)
    for number, track in enumerate(dataset.annotations.tracks):
        keys = {s.frame for s in track.shapes}
        for shape in track_to_shapes(track, range(track.frame, n)):
            out[shape.frame].append((shape, number, shape.frame in keys))
    return out


# ---------------------------------------------------------------------- images


def load_png(path: Path, where: str = "") -> Image.Image:
    """Open a mask image (any PIL format) and load it, with a format error for unreadable files."""
    try:
        image = Image.open(path)
        image.load()
    except FileNotFoundError:
        raise FormatError(path, where, "the file does not exist") from None
    except Image.DecompressionBombError as exc:
        raise FormatError(path, where, f"the image is too large: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise FormatError(path, where, f"not a readable image: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - ultralytics patches Image.open; its fallback raises ImportError
        raise FormatError(path, where, "not a readable image") from exc
    return image


def check_size(array: np.ndarray, width: int, height: int, file: Path) -> None:
    h, w = array.shape[:2]
    if width > 0 and height > 0 and (w, h) != (width, height):
        raise FormatError(file, "", f"the mask is {w}x{h}, but its image is {width}x{height}")


def voc_palette() -> list[tuple[int, int, int]]:
    """Pascal VOC's 256-colour palette (index 0 black, 255 the 'void' boundary colour)."""
    colors = []
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        colors.append((r, g, b))
    return colors

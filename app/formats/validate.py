"""Checks that format readers run on what they read, so that bad input gives one :class:`FormatError`
naming the file, the place (a line, an element or a JSON path such as ``annotations[3].bbox``) and the
problem, never a Python traceback and never a run-away allocation.

The limits are far above what real datasets hold and far below what would exhaust memory or time:
a value past them is a damaged file, not data.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from app.formats.errors import FormatError

#: Coordinates beyond ±10 million pixels are damage (CVAT itself stores 32-bit floats).
MAX_COORDINATE = 1e7
#: Image width or height.
MAX_SIDE = 1_000_000
#: Pixels of one decoded mask (a full-image COCO RLE); 2^28 bytes as booleans.
MAX_MASK_PIXELS = 1 << 28
#: Frames of one dataset (a video range in CVAT XML).
MAX_FRAMES = 10_000_000
#: Keypoints of one skeleton (COCO-WholeBody has 133, dense face meshes a few hundred).
MAX_KEYPOINTS = 2048
#: z-order, group ids, track ids, frame numbers: CVAT's 32-bit integer fields.
MAX_INT32 = 2**31 - 1
#: Longest path and longest path component the usual file systems allow.
MAX_PATH = 4096
MAX_NAME = 255


# ---------------------------------------------------------------------- text files


def read_text(path: str | Path, *, bom: bool = True) -> str:
    """A UTF-8 text file (a leading BOM dropped when ``bom``); bad bytes or an unreadable file raise FormatError
    with the line of the first bad byte."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(path, "", f"cannot read the file: {exc.strerror or exc}") from exc
    return decode_text(raw, path, bom=bom)


def decode_text(raw: bytes, file: str | Path, *, bom: bool = True) -> str:
    try:
        return raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FormatError(file, f"line {line}, byte {exc.start}",
                          f"not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded)") from None


def path_entry(entry: str, file: str | Path, where: str) -> str:
    """A relative or absolute file path read from a dataset file (a list line, a YAML value): refused when
    the OS could not open it (too long, a NUL byte) or when it names no file (empty, ``.``, ``..``)."""
    if "\x00" in entry:
        raise FormatError(file, where, "the path holds a NUL character")
    encoded = entry.encode("utf-8", "surrogateescape")
    if len(encoded) > MAX_PATH:
        raise FormatError(file, where, f"the path is {len(encoded)} bytes long; the limit is {MAX_PATH}")
    parts = entry.replace("\\", "/").split("/")
    long = next((p for p in parts if len(p.encode("utf-8", "surrogateescape")) > MAX_NAME), None)
    if long is not None:
        raise FormatError(file, where, f"the path has a name longer than {MAX_NAME} bytes: {long[:40]!r}...")
    if parts[-1] in ("", ".", ".."):
        raise FormatError(file, where, f"{entry[:80]!r} names no file")
    return entry


# ---------------------------------------------------------------------- numbers


def int_in(value: Any, file: str | Path, where: str, what: str, lo: int = 0, hi: int = MAX_INT32) -> int:
    """An integer in [lo, hi] (a JSON/YAML value: integral floats are accepted, booleans and strings not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(file, where, f"{what} must be an integer, not {_kind(value)}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise FormatError(file, where, f"{what} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise FormatError(file, where, f"{what} {_short(value)} is out of range ({lo}..{hi})")
    return int(value)


def number_in(value: Any, file: str | Path, where: str, what: str, lo: float = -MAX_COORDINATE,
              hi: float = MAX_COORDINATE) -> float:
    """A finite number in [lo, hi] (booleans and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(file, where, f"{what} must be a number, not {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise FormatError(file, where, f"{what} must be a finite number, not {_short(value)}")
    if not lo <= number <= hi:
        raise FormatError(file, where, f"{what} {_short(value)} is out of range ({lo:g}..{hi:g})")
    return number


def int_text(raw: str, file: str | Path, where: str, what: str, lo: int = -MAX_INT32 - 1, hi: int = MAX_INT32) -> int:
    """An integer written as text ("12", "12.0") in [lo, hi]."""
    try:
        value: float | int = int(raw)
    except ValueError:
        try:
            value = float(raw)
        except ValueError:
            raise FormatError(file, where, f"{what}={raw[:40]!r} is not an integer") from None
        if not (math.isfinite(value) and value.is_integer()):
            raise FormatError(file, where, f"{what}={raw[:40]!r} is not an integer") from None
        value = int(value)
    if not lo <= value <= hi:
        raise FormatError(file, where, f"{what}={_short(value)} is out of range ({lo}..{hi})")
    return int(value)


def coordinates(values: list[float], file: str | Path, where: str, what: str = "coordinates") -> list[float]:
    """Finite coordinates within ±:data:`MAX_COORDINATE`."""
    for v in values:
        if not math.isfinite(v):
            raise FormatError(file, where, f"bad coordinates: {what} holds a value that is not finite")
        if abs(v) > MAX_COORDINATE:
            raise FormatError(file, where, f"bad coordinates: {what} holds {v:g}, beyond ±{MAX_COORDINATE:g}")
    return values


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "..."


# ---------------------------------------------------------------------- YOLO and CVAT settings


def kpt_shape(value: Any, file: str | Path) -> tuple[int, int] | None:
    """Ultralytics ``kpt_shape: [K, 2|3]`` (None when absent); K is refused beyond :data:`MAX_KEYPOINTS` at once."""
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2):
        raise FormatError(file, "kpt_shape", "kpt_shape must be [K, 2] or [K, 3]")
    count = int_in(value[0], file, "kpt_shape", "the keypoint count", 1, MAX_KEYPOINTS)
    dims = int_in(value[1], file, "kpt_shape", "the values per keypoint", 2, 3)
    return count, dims


def flip_idx(value: Any, kpt: tuple[int, int] | None, file: str | Path) -> list[int] | None:
    """Ultralytics ``flip_idx``: a permutation of the K keypoints (None when absent or null)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise FormatError(file, "flip_idx", f"flip_idx must be a list of keypoint indices, not {_kind(value)}")
    count = kpt[0] if kpt is not None else MAX_KEYPOINTS
    out = [int_in(v, file, f"flip_idx[{i}]", "a keypoint index", 0, count - 1) for i, v in enumerate(value)]
    if kpt is not None and len(out) != count:
        raise FormatError(file, "flip_idx", f"flip_idx lists {len(out)} indices; kpt_shape has {count} keypoints")
    return out


def frame_range(start: int, stop: int, step: int, width: int | None, height: int | None, file: str | Path) -> None:
    """A CVAT video range (start_frame, stop_frame, frame_filter step, original_size) that can be built."""
    if not 0 <= start <= MAX_INT32 or not 0 <= stop <= MAX_INT32:
        raise FormatError(file, "<meta>", f"the frame range {start}..{stop} is out of range (0..{MAX_INT32})")
    if stop >= start and (stop - start) // step + 1 > MAX_FRAMES:
        raise FormatError(file, "<meta>", f"the frame range {start}..{stop} (step {step}) holds more than "
                                          f"{MAX_FRAMES} frames")
    for side, value in (("width", width), ("height", height)):
        if value is not None and not 0 <= value <= MAX_SIDE:
            raise FormatError(file, "<meta><original_size>", f"{side} {value} is out of range (0..{MAX_SIDE})")


# ---------------------------------------------------------------------- JSON shapes


def is_key(value: Any) -> bool:
    """An id a JSON file may use to refer to a record: an integer or a string (not a float, list or object)."""
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def _list(value: Any, file: str, where: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(file, where, f"{what} must be a list, not {_kind(value)}")
    return value


def _obj(value: Any, file: str, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(file, where, f"{what} must be an object, not {_kind(value)}")
    return value


def _key(obj: dict[str, Any], name: str, file: str, where: str, *, required: bool = False) -> None:
    if name not in obj:
        if required:
            raise FormatError(file, where, f"'{name}' is missing")
        return
    if not is_key(obj[name]):
        raise FormatError(file, f"{where}.{name}", f"'{name}' must be an integer or a string, not {_kind(obj[name])}")


def _numbers(value: Any, file: str, where: str, what: str, *, lo: float = -MAX_COORDINATE,
             hi: float = MAX_COORDINATE) -> None:
    for k, v in enumerate(_list(value, file, where, what)):
        try:
            number_in(v, file, f"{where}[{k}]", what, lo, hi)
        except FormatError as exc:
            raise FormatError(file, exc.where, f"bad coordinates: {exc.reason}") from None


def check_coco_document(doc: dict[str, Any], file: str) -> None:
    """Type and range checks of a COCO JSON document (only fields that are present; the reader says what is
    missing). Each problem is named by its JSON path, e.g. ``annotations[3].bbox[2]``."""
    for key in ("images", "annotations", "categories"):
        if key in doc and (doc[key] is not None or key != "categories"):  # null categories read as none
            _list(doc[key], file, key, f"'{key}'")
    for k, cat in enumerate(doc.get("categories") or []):
        where = f"categories[{k}]"
        _obj(cat, file, where, "a category")
        _key(cat, "id", file, where)
        for name in ("name", "supercategory"):
            value = cat.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
                raise FormatError(file, f"{where}.{name}", f"'{name}' must be a string, not {_kind(value)}")
        if cat.get("keypoints"):
            points = _list(cat["keypoints"], file, f"{where}.keypoints", "'keypoints'")
            if len(points) > MAX_KEYPOINTS:
                raise FormatError(file, f"{where}.keypoints", f"{len(points)} keypoints; the limit is {MAX_KEYPOINTS}")
            if not all(isinstance(n, str) for n in points):
                raise FormatError(file, f"{where}.keypoints", "'keypoints' must list keypoint names (strings)")
        if cat.get("skeleton"):
            for j, edge in enumerate(_list(cat["skeleton"], file, f"{where}.skeleton", "'skeleton'")):
                if not (isinstance(edge, list) and len(edge) == 2):
                    raise FormatError(file, f"{where}.skeleton[{j}]", "a skeleton edge must be a pair [a, b]")
                for i, v in enumerate(edge):
                    int_in(v, file, f"{where}.skeleton[{j}][{i}]", "a skeleton joint", 0, MAX_KEYPOINTS)
    for k, image in enumerate(doc.get("images") or []):
        where = f"images[{k}]"
        _obj(image, file, where, "an image")
        _key(image, "id", file, where)
        if "file_name" in image and not isinstance(image["file_name"], str):
            raise FormatError(file, f"{where}.file_name",
                              f"'file_name' must be a string, not {_kind(image['file_name'])}")
        for side in ("width", "height"):
            if image.get(side) is not None:
                int_in(image[side], file, f"{where}.{side}", f"'{side}'", 0, MAX_SIDE)
    for k, ann in enumerate(doc.get("annotations") or []):
        _check_coco_annotation(ann, file, f"annotations[{k}]")


def _check_coco_annotation(ann: Any, file: str, where: str) -> None:
    _obj(ann, file, where, "an annotation")
    for key in ("id", "image_id", "category_id"):
        if ann.get(key) is not None:
            _key(ann, key, file, where)
    if "bbox" in ann and ann["bbox"] is not None:
        bbox = _list(ann["bbox"], file, f"{where}.bbox", "'bbox'")
        if len(bbox) != 4 and not (ann.get("segmentation") or ann.get("keypoints")):
            raise FormatError(file, f"{where}.bbox", f"'bbox' must be [x, y, width, height], it has {len(bbox)} values")
        _numbers(bbox, file, f"{where}.bbox", "'bbox'")
    if ann.get("keypoints"):
        points = _list(ann["keypoints"], file, f"{where}.keypoints", "'keypoints'")
        if len(points) % 3 or len(points) > 3 * MAX_KEYPOINTS:
            raise FormatError(file, f"{where}.keypoints", f"'keypoints' must be x, y, v triples (at most "
                                                          f"{MAX_KEYPOINTS}), it has {len(points)} values")
        _numbers(points, file, f"{where}.keypoints", "'keypoints'")
    if "score" in ann:
        number_in(ann["score"], file, f"{where}.score", "'score'", -1e9, 1e9)
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        _check_rle(seg, file, f"{where}.segmentation")
    elif seg:
        for j, part in enumerate(_list(seg, file, f"{where}.segmentation", "'segmentation'")):
            _numbers(part, file, f"{where}.segmentation[{j}]", "a segmentation polygon")
    attrs = ann.get("attributes")
    if attrs is not None:
        _obj(attrs, file, f"{where}.attributes", "'attributes'")
        for key, value in attrs.items():
            if isinstance(value, list | dict):
                raise FormatError(file, f"{where}.attributes.{key}", f"an attribute value must be a string, number "
                                                                     f"or boolean, not {_kind(value)}")
        if attrs.get("rotation") is not None:
            number_in(attrs["rotation"], file, f"{where}.attributes.rotation", "'rotation'", -1e6, 1e6)
        if "track_id" in attrs:
            int_in(attrs["track_id"], file, f"{where}.attributes.track_id", "'track_id'", -MAX_INT32 - 1)


def _check_rle(seg: dict[str, Any], file: str, where: str) -> None:
    size = seg.get("size")
    if not (isinstance(size, list) and len(size) == 2):
        raise FormatError(file, f"{where}.size", "an RLE segmentation needs 'size': [height, width]")
    h = int_in(size[0], file, f"{where}.size[0]", "the RLE height", 0, MAX_SIDE)
    w = int_in(size[1], file, f"{where}.size[1]", "the RLE width", 0, MAX_SIDE)
    if w * h > MAX_MASK_PIXELS:
        raise FormatError(file, f"{where}.size", f"an RLE of {w}x{h} pixels is too large to decode "
                                                 f"(the limit is {MAX_MASK_PIXELS} pixels)")
    counts = seg.get("counts")
    if isinstance(counts, list):
        for j, c in enumerate(counts):
            int_in(c, file, f"{where}.counts[{j}]", "an RLE count", 0, MAX_MASK_PIXELS)
    elif isinstance(counts, str):
        runs = rle_string_counts(counts, file, f"{where}.counts")
        if any(r < 0 for r in runs) or sum(runs) != w * h:
            raise FormatError(file, f"{where}.counts", f"the compressed RLE does not cover the {w}x{h} image "
                                                       "with non-negative runs")
    else:
        raise FormatError(file, f"{where}.counts", f"RLE 'counts' must be a list or a string, not {_kind(counts)}")


def rle_string_counts(text: str, file: str, where: str) -> list[int]:
    """The runs of a compressed COCO RLE string (pycocotools' ``rleFrString``, in Python: its C decoder does
    not check bounds, so a damaged string must be refused before it gets there)."""
    counts: list[int] = []
    p = 0
    while p < len(text):
        x = k = 0
        more = True
        while more:
            if p >= len(text):
                raise FormatError(file, where, "the compressed RLE string ends in the middle of a number")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise FormatError(file, where, f"the compressed RLE string holds {text[p]!r}")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
            if k > 13:
                raise FormatError(file, where, "the compressed RLE string holds a run that is too long")
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts

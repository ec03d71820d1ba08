"""Stream a CVAT for images 1.1 export image by image, for ``quality compare`` on large jobs.

The ``<meta>`` head is read with the formats reader (labels get the ids :func:`read_cvat_xml` gives
them). The images are then read once, streaming: a byte scanner cuts the ``<image>`` elements out of the
file (only white space may stand between them), the C XML parser reads each start tag (name, id, size)
and the objects are counted by their tags (objects are numbered by file position); worker processes parse
and convert the elements (see :mod:`app.quality.xml_frames`), check the counts and the XML, and raise
:class:`FastPathUnsupported` where either is off. Memory holds a few images, not the file.

Anything this lean path does not handle the way :func:`app.formats.cvat_xml_read.read_cvat_xml` does —
tracks or top-level tags (video layout), comments, CDATA, a non-UTF-8 encoding, duplicate image names or
ids, archives and folders, any value the reader would reject — raises :class:`FastPathUnsupported`, and
the caller uses the full reader, which reads the file or explains the problem (file, line, reason).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.domain.labels import Label
from app.formats import cvat_xml_shapes as xs
from app.formats.cvat_xml_meta import read_meta
from app.formats.dataset import LabelRegistry
from app.formats.errors import FormatError
from app.formats.xmltree import parse_stream

BLOCK = 1 << 22
_IMAGE_START = re.compile(rb"<image[\s/>]")
_UNSUPPORTED = (b"<!--", b"<![CDATA[", b"<!DOCTYPE", b"<!ENTITY", b"<?xml-stylesheet")
_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)[\"']")


class FastPathUnsupported(Exception):
    """The file needs the full reader (the message says why; the full reader has the user's message)."""


@dataclass
class ImageChunk:
    """One ``<image>`` element: what the main process needs to pair and number it, and its bytes."""

    name: str
    number: int
    width: int
    height: int
    shapes_before: int  # shapes in the file's earlier images (objects are numbered by file position)
    tags_before: int
    shape_count: int
    tag_count: int
    data: bytes


class ElementAttrs:
    """What the shape helpers of :mod:`app.formats.cvat_xml_shapes` read from an element."""

    __slots__ = ("attrib",)

    def __init__(self, attrib: dict[str, str]) -> None:
        self.attrib = attrib

    def where(self) -> str:
        return ""


def plain_file(path: Path) -> Path:
    if not path.is_file() or path.suffix.lower() != ".xml":
        raise FastPathUnsupported("not a plain .xml file (archive or folder)")
    return path


def read_head(path: Path) -> tuple[list[Label], dict]:
    """Labels (ids as the full reader gives them) and meta, from the part before the first image."""
    head = bytearray()
    with open(plain_file(path), "rb") as stream:
        while True:
            block = stream.read(1 << 16)
            head += block
            found = _IMAGE_START.search(head)
            if found or not block:
                break
    if not found:
        raise FastPathUnsupported("no <image> element (video layout or an empty file)")
    head = bytes(head[: found.start()])
    encoding = _ENCODING.search(head[:200])
    if encoding and encoding.group(1).lower().replace(b"-", b"") != b"utf8":
        raise FastPathUnsupported("not UTF-8")
    if any(token in head for token in _UNSUPPORTED):
        raise FastPathUnsupported("comments, CDATA or a DOCTYPE")
    try:
        root = parse_stream(io.BytesIO(head + b"</annotations>"), path)
        if root.tag != "annotations" or any(c.tag not in ("version", "meta") for c in root.children):
            raise FastPathUnsupported("unexpected elements before the images")
        labels, meta = read_meta(root, path)
    except FormatError as exc:
        raise FastPathUnsupported(str(exc)) from exc
    return LabelRegistry(labels).labels, meta


_GAP = re.compile(rb"\s*")
_TAIL = re.compile(rb"\s*</annotations>\s*")
# Children of an image that are objects (``points`` also inside skeletons, where they are keypoints).
_CHILD = re.compile(rb"<(/?)(box|polygon|polyline|points|ellipse|cuboid|mask|skeleton|tag)[\s/>]")


def _image_info(data: bytes, start_end: int, index: int, path: Path) -> tuple[str, int, int, int, int, int]:
    """Name, id, width, height and the numbers of shapes and tags of one ``<image>`` element's bytes
    (``start_end``: the offset of the ``>`` closing its start tag). The start tag is parsed by the C
    parser; the objects are counted by their tags (the worker's parse checks the counts)."""
    tag = data[: start_end + 1]
    try:
        el = ET.fromstring(tag if tag.endswith(b"/>") else tag[:-1] + b"/>")
    except ET.ParseError as exc:
        raise FastPathUnsupported(f"malformed image element: {exc}") from exc
    attrib = el.attrib
    name = attrib.get("name")
    at = ElementAttrs(attrib)
    try:
        width, height = xs.integer(at, "width", path, -1), xs.integer(at, "height", path, -1)
        number = xs.integer(at, "id", path, index)
    except FormatError as exc:
        raise FastPathUnsupported(str(exc)) from exc
    if not name or width <= 0 or height <= 0:
        raise FastPathUnsupported("an image without a name or a positive size")
    tags = shapes = 0
    in_skeleton = False
    for found in _CHILD.finditer(data, start_end):
        closing, kind = found.group(1), found.group(2)
        if kind == b"skeleton":
            if closing:
                in_skeleton = False
                continue
            shapes += 1
            close = data.find(b">", found.end() - 1)
            in_skeleton = close > 0 and data[close - 1 : close] != b"/"
        elif closing:
            continue
        elif kind == b"tag":
            tags += 1
        elif not (in_skeleton and kind == b"points"):
            shapes += 1
    return name, number, width, height, shapes, tags


def _chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The bytes of every top-level ``<image>`` element in file order, with the offset of the end of its
    start tag. Between images only white space may stand, after them only ``</annotations>``."""
    buffer = b""
    first = True
    with open(path, "rb") as stream:
        eof = False
        while not eof:
            block = stream.read(BLOCK)
            eof = not block
            buffer += block
            if any(token in buffer for token in _UNSUPPORTED):
                raise FastPathUnsupported("comments, CDATA or a DOCTYPE")
            pos = 0
            while True:
                found = _IMAGE_START.search(buffer, pos)
                if not found:
                    break
                start = found.start()
                if not first and _GAP.fullmatch(buffer, pos, start) is None:
                    raise FastPathUnsupported("elements other than images after the first image")
                tag_end = buffer.find(b">", start)
                if tag_end < 0:
                    break
                if buffer[tag_end - 1 : tag_end] == b"/":
                    end = tag_end + 1
                else:
                    close = buffer.find(b"</image>", tag_end)
                    if close < 0:
                        break
                    end = close + len(b"</image>")
                first = False
                yield buffer[start:end], tag_end - start
                pos = end
            buffer = buffer[pos:] if pos else buffer
    if first:
        raise FastPathUnsupported("no <image> element")
    if _TAIL.fullmatch(buffer) is None:
        raise FastPathUnsupported("an <image> element is not closed, or other elements follow the images")


def iter_images(path: Path) -> Iterator[ImageChunk]:
    """Every image of the file in order, with its bytes; names and ids must be unique."""
    names: set[str] = set()
    numbers: set[int] = set()
    shapes_before = tags_before = 0
    for index, (data, start_end) in enumerate(_chunks(plain_file(path))):
        name, number, width, height, shape_count, tag_count = _image_info(data, start_end, index, path)
        if name in names or number in numbers:
            raise FastPathUnsupported("duplicate image names or ids")
        names.add(name)
        numbers.add(number)
        yield ImageChunk(name, number, width, height, shapes_before, tags_before, shape_count, tag_count, data)
        shapes_before += shape_count
        tags_before += tag_count

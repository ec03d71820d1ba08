"""Stream a CVAT for images 1.1 export image by image, for ``quality compare`` on large jobs.

The ``<meta>`` head is read with the formats reader (labels get the ids :func:`read_cvat_xml` gives
them). The images are then read twice, both times streaming: the C XML parser (``iterparse``) checks the
whole file and gives each image's name, id, size and its numbers of shapes and tags; a byte scanner cuts
the same ``<image>`` elements out of the file so that worker processes parse and convert them (see
:mod:`app.quality.xml_frames`). Memory holds a few images, not the file.

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


def _image_info(el: ET.Element, index: int, path: Path) -> tuple[str, int, int, int, int, int]:
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
    for child in el:
        if child.tag == "tag":
            tags += 1
        elif child.tag in xs.SHAPE_TAGS:
            shapes += 1
    return name, number, width, height, shapes, tags


def _infos(path: Path) -> Iterator[tuple[str, int, int, int, int, int]]:
    """Per image (in file order): name, id, width, height, shape count, tag count."""
    depth = 0
    root = None
    index = 0
    try:
        for event, el in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                continue
            depth -= 1
            if depth != 1:
                continue
            if el.tag in ("track", "tag"):
                raise FastPathUnsupported(f"top-level <{el.tag}> (video layout)")
            if el.tag == "image":
                yield _image_info(el, index, path)
                index += 1
            root.clear()  # type: ignore[union-attr]
    except ET.ParseError as exc:
        raise FastPathUnsupported(f"malformed XML: {exc}") from exc


def _chunks(path: Path) -> Iterator[bytes]:
    """The bytes of every top-level ``<image>`` element, in file order."""
    buffer = b""
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
                yield buffer[start:end]
                pos = end
            buffer = buffer[pos:] if pos else buffer
            if eof and _IMAGE_START.search(buffer):
                raise FastPathUnsupported("an <image> element is not closed")


def iter_images(path: Path) -> Iterator[ImageChunk]:
    """Every image of the file in order, with its bytes; names and ids must be unique."""
    names: set[str] = set()
    numbers: set[int] = set()
    shapes_before = tags_before = 0
    chunks = _chunks(plain_file(path))
    for name, number, width, height, shape_count, tag_count in _infos(path):
        data = next(chunks, None)
        if data is None:
            raise FastPathUnsupported("the image scanner lost its place")
        if name in names or number in numbers:
            raise FastPathUnsupported("duplicate image names or ids")
        names.add(name)
        numbers.add(number)
        yield ImageChunk(name, number, width, height, shapes_before, tags_before, shape_count, tag_count, data)
        shapes_before += shape_count
        tags_before += tag_count
    if next(chunks, None) is not None:
        raise FastPathUnsupported("the image scanner found more images than the parser")

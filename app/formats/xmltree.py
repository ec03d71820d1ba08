"""A small XML element tree that remembers line numbers, built with expat (the stdlib's C parser).

``xml.etree`` drops source positions, but error messages must name the line of a bad element.
Only elements, attributes and text are kept (no comments, processing instructions or tails).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from app.formats.errors import FormatError


class Node:
    """An element: ``tag``, ``attrib``, ``children``, stripped-or-raw ``text`` and its ``line``."""

    __slots__ = ("tag", "attrib", "children", "_text", "line")

    def __init__(self, tag: str, attrib: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrib = attrib
        self.children: list[Node] = []
        self._text: list[str] = []
        self.line = line

    @property
    def text(self) -> str:
        return "".join(self._text)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrib.get(key, default)

    def find(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def findtext(self, tag: str, default: str = "") -> str:
        child = self.find(tag)
        return default if child is None else child.text.strip()

    def __iter__(self) -> Iterator[Node]:
        return iter(self.children)

    def where(self) -> str:
        return f"line {self.line}, <{self.tag}>"


#: ``on_child(root, child, byte_offset)`` is called when a child of the root element is complete; when it
#: returns True the child is dropped from the tree (streaming: big files are never held whole).
OnChild = Callable[[Node, Node, int], bool]


def parse_stream(stream: BinaryIO, file: str | Path, on_child: OnChild | None = None) -> Node:
    """Parse ``stream`` into a :class:`Node` tree; malformed XML raises FormatError with the line.

    With ``on_child`` each complete child of the root is handed over as soon as it ends (see
    :data:`OnChild`); an exception it raises stops the parse and propagates unchanged."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.ordered_attributes = False
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        node = Node(tag, attrib, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    failed: list[BaseException] = []  # what ``on_child`` raised: it propagates as it is, never as bad XML

    def end(_tag: str) -> None:
        node = stack.pop()
        if on_child is not None and len(stack) == 1:
            try:
                drop = on_child(stack[0], node, parser.CurrentByteIndex)
            except BaseException as exc:
                failed.append(exc)
                raise
            if drop:
                stack[0].children.pop()

    def data(text: str) -> None:
        if stack:
            stack[-1]._text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.ParseFile(stream)
    except expat.ExpatError as exc:
        raise FormatError(file, f"line {exc.lineno}, column {exc.offset + 1}",
                          f"malformed XML: {expat.ErrorString(exc.code)}") from exc
    except (LookupError, ValueError) as exc:  # an XML declaration naming an unknown encoding
        if failed and exc is failed[0]:
            raise
        raise FormatError(file, "line 1", f"malformed XML: {exc}") from None
    if not root:
        raise FormatError(file, "", "the file has no XML root element")
    return root[0]


def parse_file(path: Path, on_child: OnChild | None = None) -> Node:
    try:
        with open(path, "rb") as stream:
            return parse_stream(stream, path, on_child)
    except OSError as exc:
        raise FormatError(path, "", f"cannot read the file: {exc.strerror or exc}") from exc

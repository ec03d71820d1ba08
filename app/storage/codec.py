"""Column encodings shared by the store: points as float64 BLOBs, attributes as JSON text."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from functools import lru_cache

_EMPTY = b""


@lru_cache(maxsize=1024)
def _layout(count: int) -> struct.Struct:
    # One compiled little-endian float64 layout per point count: packing a shape's few numbers with it is
    # twice as fast as going through a numpy array (bulk imports and exports pack hundreds of thousands).
    return struct.Struct(f"<{count}d")


def pack_points(points: Sequence[float]) -> bytes:
    if len(points) == 0:
        return _EMPTY
    return _layout(len(points)).pack(*points)


def unpack_points(blob: bytes) -> list[float]:
    if not blob:
        return []
    if len(blob) % 8:
        raise ValueError(f"a points value of {len(blob)} bytes is not a list of float64")
    return list(_layout(len(blob) >> 3).unpack(blob))


def pack_attributes(attributes: dict[int, str]) -> str | None:
    if not attributes:
        return None
    try:
        return _dump_attributes(tuple(attributes.items()))
    except TypeError:  # an unhashable value: not cached
        return json.dumps({str(k): str(v) for k, v in attributes.items()}, separators=(",", ":"))


@lru_cache(maxsize=4096)
def _dump_attributes(items: tuple[tuple[int, str], ...]) -> str:
    # The same few attribute sets repeat across a bulk insert; dumping each once saves a third of it.
    return json.dumps({str(k): str(v) for k, v in items}, separators=(",", ":"))


def unpack_attributes(text: str | None) -> dict[int, str]:
    if not text:
        return {}
    return dict(_parse_attributes(text))


@lru_cache(maxsize=4096)
def _parse_attributes(text: str) -> tuple[tuple[int, str], ...]:
    # Attribute texts repeat a lot (defaults), so parsing is cached; callers get a fresh dict.
    return tuple((int(k), v) for k, v in json.loads(text).items())

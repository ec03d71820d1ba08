"""Reading the fields a detection function set on its output objects, fast (Qt-free).

cvat-sdk's generated models answer attribute reads through ``__getattr__``, and a read of an unset
optional field builds an exception first; with ten shapes a frame that was most of the validation
time. :func:`fields` gives the model's own store of set fields, or a ``getattr`` view of any other
object (the same answers either way).
"""

from __future__ import annotations

from typing import Any


class _Attrs:
    """Read-only mapping view of an object's attributes (for outputs that are not cvat-sdk models)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __contains__(self, name: str) -> bool:
        return hasattr(self.obj, name)

    def __getitem__(self, name: str) -> Any:
        return getattr(self.obj, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self.obj, name, default)


def fields(obj: Any) -> Any:
    """The fields a function set on an output object. For cvat-sdk models this is the model's own
    store of set fields: reading it directly skips the generated ``__getattr__`` (and the exception it
    builds for every unset field), which was most of the per-shape validation time; other objects are
    read through ``getattr`` (same answers)."""
    store = getattr(obj, "__dict__", {}).get("_data_store")
    return store if isinstance(store, dict) else _Attrs(obj)

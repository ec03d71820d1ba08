"""The trackers offered to the user, by key, and how to build each (Qt-free).

Keys: ``opencv:mil``; ``sam2:<checkpoint>`` (a catalog name such as ``sam2.1-tiny``, a registered
model or a path, resolved by the model manager); ``function:<registered name>`` (a CVAT tracking
function registered as a function file or module). Building a SAM 2 tracker loads its weights: call
:func:`create_tracker` off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.enums import ShapeType
from app.models.trackers.base import Tracker, TrackerError

MIL_KEY = "opencv:mil"


@dataclass(frozen=True)
class TrackerChoice:
    key: str
    title: str
    description: str
    types: frozenset[ShapeType]  # empty when only known after loading (functions)


def builtin_choices() -> list[TrackerChoice]:
    from app.models.sam2_image import SIZES

    choices = [TrackerChoice(MIL_KEY, "TrackerMIL (OpenCV)",
                             "Rectangles. Fast, no model needed; may drift on long runs or similar objects.",
                             frozenset({ShapeType.RECTANGLE}))]
    for name, text in SIZES.items():
        choices.append(TrackerChoice(f"sam2:{name}", f"{name.replace('sam2.1-', 'SAM 2.1 ')} tracker",
                                     f"Polygons and masks. {text}. Needs the checkpoint in the models folder.",
                                     frozenset({ShapeType.POLYGON, ShapeType.MASK})))
    return choices


def function_choices(registry: Any | None = None) -> list[TrackerChoice]:
    """Registered CVAT function files/modules (whether each is a tracking function shows on loading)."""
    if registry is None:
        from app.models.registry import Registry, RegistryError

        try:
            registry = Registry()
        except RegistryError:  # an unreadable registry must not hide the built-in trackers
            return []
    return [TrackerChoice(f"function:{r.name}", r.name, r.description or "CVAT tracking function", frozenset())
            for r in registry if r.kind in ("function-file", "function-module")]


def create_tracker(key: str, *, image_size: int | None = None, registry: Any | None = None) -> Tracker:
    """Build the tracker for ``key`` (slow for SAM 2: loads the model). Raises :class:`TrackerError`."""
    kind, _, name = key.partition(":")
    if key == MIL_KEY:
        from app.models.trackers.opencv_mil import MilTracker

        return MilTracker()
    if kind == "sam2" and name:
        from app.models.trackers.sam2_video import Sam2Tracker

        tracker = Sam2Tracker.load(name, image_size=image_size)
        tracker.name = name.replace("sam2.1-", "SAM 2.1 ")
        return tracker
    if kind == "function" and name:
        from app.models.functions import FunctionLoadError, load_registered
        from app.models.registry import Registry
        from app.models.trackers.functions import FunctionTracker

        registration = (registry or Registry()).get(name)
        if registration is None:
            raise TrackerError(f"no registered function named {name!r}")
        try:
            return FunctionTracker(load_registered(registration), name)
        except FunctionLoadError as exc:
            raise TrackerError(str(exc)) from exc
    raise TrackerError(f"unknown tracker {key!r}")

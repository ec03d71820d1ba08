"""CVAT tracking functions (``cvat_sdk.auto_annotation`` TrackingFunctionSpec) run as trackers.

A tracking function written for CVAT runs unchanged: the frame is given to ``preprocess_image`` once
per frame when the function has it (otherwise the function gets the PIL image itself), each object's
state comes from ``init_tracking_state`` and ``track`` predicts it on the next frame. As in CVAT's
agent, a state only serves frames of the size it was made on, and a result of another shape type than
the original is an error of the function. Loading (file/module, ``create(**params)``) is
:mod:`app.models.functions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.domain.enums import ShapeType
from app.models.trackers.base import TrackerError, TrackTarget, check_supported


def _contexts() -> tuple[type, type]:
    import cvat_sdk.auto_annotation as cvataa

    class _Context(cvataa.TrackingFunctionContext):
        pass

    class _ShapeContext(cvataa.TrackingFunctionShapeContext):
        def __init__(self, original_shape_type: str) -> None:
            self._type = original_shape_type

        @property
        def original_shape_type(self) -> str:
            return self._type

    return _Context, _ShapeContext


@dataclass
class FunctionFrame:
    """A frame as the function sees it: its preprocessed form and the image size."""

    pp_image: Any
    size: tuple[int, int]  # (width, height), as PIL reports it


@dataclass
class FunctionState:
    shape_type: ShapeType
    size: tuple[int, int]
    inner: Any


class FunctionTracker:
    """Adapter from a loaded CVAT tracking function to :class:`app.models.trackers.base.Tracker`."""

    def __init__(self, function: Any, name: str = "tracking function") -> None:
        import cvat_sdk.auto_annotation as cvataa

        spec = getattr(function, "spec", None)
        if not isinstance(spec, cvataa.TrackingFunctionSpec):
            raise TrackerError(f"{name}: not a tracking function (its spec is {type(spec).__name__}, "
                               "not TrackingFunctionSpec)")
        for method in ("init_tracking_state", "track"):
            if not callable(getattr(function, method, None)):
                raise TrackerError(f"{name}: a tracking function needs a {method}() method")
        self.function = function
        self.name = name
        self.supported_types = frozenset(ShapeType(t) for t in spec.supported_shape_types)
        self._context_type, self._shape_context_type = _contexts()

    @classmethod
    def from_file(cls, path: str | Path, params: dict[str, Any] | None = None) -> FunctionTracker:
        from app.models.functions import FunctionLoadError, load_function_file

        try:
            function = load_function_file(path, params)
        except FunctionLoadError as exc:
            raise TrackerError(str(exc)) from exc
        return cls(function, Path(path).stem)

    @classmethod
    def from_module(cls, module: str, params: dict[str, Any] | None = None) -> FunctionTracker:
        from app.models.functions import FunctionLoadError, load_function_module

        try:
            function = load_function_module(module, params)
        except FunctionLoadError as exc:
            raise TrackerError(str(exc)) from exc
        return cls(function, module)

    def preprocess(self, image: np.ndarray) -> FunctionFrame:
        import PIL.Image

        pil = PIL.Image.fromarray(np.ascontiguousarray(image), mode="RGB")
        preprocess = getattr(self.function, "preprocess_image", None)
        pp = preprocess(self._context_type(), pil) if callable(preprocess) else pil
        return FunctionFrame(pp, pil.size)

    def init_state(self, pre: FunctionFrame, target: TrackTarget) -> FunctionState:
        import cvat_sdk.auto_annotation as cvataa

        check_supported(self, target)
        shape = cvataa.TrackableShape(type=target.type.value, points=list(target.points))
        inner = self.function.init_tracking_state(self._shape_context_type(target.type.value), pre.pp_image, shape)
        return FunctionState(target.type, pre.size, inner)

    def track(self, pre: FunctionFrame, state: FunctionState) -> list[float] | None:
        if pre.size != state.size:
            raise TrackerError(f"{self.name}: the frame is {pre.size[0]}x{pre.size[1]} but the object was "
                               f"initialised on a {state.size[0]}x{state.size[1]} frame")
        result = self.function.track(self._shape_context_type(state.shape_type.value), pre.pp_image, state.inner)
        if result is None:
            return None
        if getattr(result, "type", None) != state.shape_type.value:
            raise TrackerError(f"{self.name}: track() returned a {getattr(result, 'type', type(result).__name__)} "
                               f"for a {state.shape_type.value}; a tracking function must keep the shape type")
        return [float(p) for p in result.points]

    def close(self) -> None:
        pass

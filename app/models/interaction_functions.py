"""CVAT interaction functions (``cvat_sdk.auto_annotation.InteractionFunctionSpec``) as interactors.

A function written for CVAT's agent runs unchanged: ``preprocess_image(context, PIL image)`` (when it
has one) is the prompt-independent step, cached per image; ``detect(context, pp_image, prompts)``
gets an :class:`InteractionPrompts` with ``pos_points``, ``neg_points`` and ``bounding_box``, and
returns ``InteractionResultShape`` objects. ``mask`` results (CVAT run lengths + box) are united
into one mask; failing that, the largest ``polygon`` result is used. The spec's minimums are checked
before calling (``min_neg_points=None`` / ``min_bounding_boxes=None`` forbid negatives / a box).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from app.domain.geometry import polygon_area
from app.domain.mask import MaskEncodingError, points_to_mask
from app.models.interactor import MaskResult, Prompts

PREPROCESSED_KEEP = 4


class InteractionFunctionError(RuntimeError):
    """The function is not an interaction function, refused the prompts or returned bad shapes."""


def _sdk() -> Any:
    import cvat_sdk.auto_annotation as cvataa

    return cvataa


def _prompts(prompts: Prompts) -> Any:
    cvataa = _sdk()

    class _Prompts(cvataa.InteractionPrompts):
        @property
        def pos_points(self) -> Sequence[tuple[float, float]]:
            return [tuple(p) for p in prompts.positive]

        @property
        def neg_points(self) -> Sequence[tuple[float, float]]:
            return [tuple(p) for p in prompts.negative]

        @property
        def bounding_box(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
            if prompts.box is None:
                return None
            x1, y1, x2, y2 = prompts.box
            return (min(x1, x2), min(y1, y2)), (max(x1, x2), max(y1, y2))

    return _Prompts()


def _context() -> Any:
    class _Context(_sdk().InteractionFunctionContext):
        pass

    return _Context()


class FunctionInteractor:
    """Wrap a loaded CVAT interaction function.

    Parameters
    ----------
    function:
        The object with ``spec`` (an InteractionFunctionSpec), ``detect`` and optionally
        ``preprocess_image`` (see :mod:`app.models.functions` for loading files and modules).
    name, description:
        Shown in the model selector.
    """

    def __init__(self, function: Any, name: str, description: str = "") -> None:
        spec = getattr(function, "spec", None)
        if not isinstance(spec, _sdk().InteractionFunctionSpec):
            raise InteractionFunctionError(
                f"{name}: spec is {type(spec).__name__}, an interactor needs an InteractionFunctionSpec")
        if not callable(getattr(function, "detect", None)):
            raise InteractionFunctionError(f"{name}: the function has no detect(context, image, prompts) method")
        self.function = function
        self.spec = spec
        self.name = name
        self.description = description or f"CVAT interaction function {name}"
        self._pre: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def requirement(self, prompts: Prompts) -> str | None:
        spec = self.spec
        if len(prompts.positive) < spec.min_pos_points:
            return f"{self.name} needs at least {spec.min_pos_points} positive point(s)"
        if prompts.negative and spec.min_neg_points is None:
            return f"{self.name} does not accept negative points"
        if spec.min_neg_points and len(prompts.negative) < spec.min_neg_points:
            return f"{self.name} needs at least {spec.min_neg_points} negative point(s)"
        if prompts.box is not None and spec.min_bounding_boxes is None:
            return f"{self.name} does not accept a box"
        if spec.min_bounding_boxes == 1 and prompts.box is None:
            return f"{self.name} needs a box (drag one)"
        if prompts.empty:
            return "add a point or a box"
        return None

    def is_prepared(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._pre

    def prepare(self, key: Hashable, image: np.ndarray) -> Any:
        """``preprocess_image`` of the function (or the PIL image), cached for a few images."""
        return self._prepared(key, image)[0]

    def _prepared(self, key: Hashable, image: np.ndarray) -> tuple[Any, tuple[int, int]]:
        with self._lock:
            if key in self._pre:
                self._pre.move_to_end(key)
                return self._pre[key]
        from PIL import Image

        pil = Image.fromarray(np.ascontiguousarray(image[:, :, :3]))
        pre = getattr(self.function, "preprocess_image", None)
        value = pre(_context(), pil) if callable(pre) else pil
        entry = (value, (int(image.shape[0]), int(image.shape[1])))
        with self._lock:
            self._pre[key] = entry
            while len(self._pre) > PREPROCESSED_KEEP:
                self._pre.popitem(last=False)
        return entry

    def predict(self, key: Hashable, image: np.ndarray | None, prompts: Prompts) -> MaskResult:
        missing = self.requirement(prompts)
        if missing:
            raise InteractionFunctionError(missing)
        with self._lock:
            cached = self._pre.get(key)
        if cached is None:
            if image is None:
                raise InteractionFunctionError(f"{self.name}: no image for {key!r}")
            cached = self._prepared(key, image)
        pp, (height, width) = cached
        try:
            shapes = self.function.detect(_context(), pp, _prompts(prompts))
        except _sdk().BadFunctionError as exc:
            raise InteractionFunctionError(f"{self.name}: {exc}") from exc
        return self._result(list(shapes or []), width, height)

    def _result(self, shapes: list[Any], width: int, height: int) -> MaskResult:
        union = np.zeros((height, width), bool)
        polygons: list[list[float]] = []
        score = 1.0
        for index, shape in enumerate(shapes):
            kind = str(getattr(shape, "type", ""))
            points = list(getattr(shape, "points", []))
            score = min(score, _confidence(shape))
            if kind == "mask":
                _paste(union, points, self.name, index)
            elif kind == "polygon":
                if len(points) < 6 or len(points) % 2:
                    raise InteractionFunctionError(f"{self.name}: result {index} is a polygon with {len(points)} "
                                                   "numbers (needs an even count >= 6)")
                polygons.append([float(v) for v in points])
            else:
                raise InteractionFunctionError(f"{self.name}: result {index} has type {kind!r}; "
                                               "an interactor can use 'mask' or 'polygon'")
        if union.any() or not polygons:
            return _crop_result(union, score)
        best = max(polygons, key=polygon_area)
        return MaskResult(mask=np.zeros((0, 0), bool), left=0, top=0, width=width, height=height, score=score,
                          polygon=best)


def _paste(target: np.ndarray, points: list[float], name: str, index: int) -> None:
    try:
        h, w = target.shape
        target |= points_to_mask(points, w, h)
    except MaskEncodingError as exc:
        raise InteractionFunctionError(f"{name}: result {index} is not a valid CVAT mask: {exc}") from exc


def _crop_result(full: np.ndarray, score: float) -> MaskResult:
    h, w = full.shape
    ys, xs = np.nonzero(full)
    if ys.size == 0:
        return MaskResult(mask=np.zeros((0, 0), bool), left=0, top=0, width=w, height=h, score=score)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return MaskResult(mask=full[y0:y1, x0:x1].copy(), left=int(x0), top=int(y0), width=w, height=h, score=score)


def _confidence(shape: Any) -> float:
    for attr in getattr(shape, "attributes", []) or []:
        if getattr(attr, "spec_id", None) == 0:
            try:
                return float(attr.value)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def load_interactor(registration: Any) -> FunctionInteractor:
    """Load a registered function (:class:`app.models.registry.Registration`) as an interactor."""
    from app.models.functions import FunctionLoadError, load_registered

    try:
        function = load_registered(registration)
    except FunctionLoadError as exc:
        raise InteractionFunctionError(f"{registration.name}: {exc}") from exc
    return FunctionInteractor(function, registration.name, registration.description)


class LazyFunctionInteractor:
    """A registered function that is loaded (its file executed, its model built) on first use, which
    happens in the interactor worker, never on the GUI thread. Until then :meth:`requirement` lets
    every prompt through; ``predict`` checks the spec once the function is loaded."""

    def __init__(self, registration: Any) -> None:
        self.registration = registration
        self.name = registration.name
        self.description = registration.description or f"CVAT interaction function {registration.name}"
        self._loaded: FunctionInteractor | None = None
        self._lock = threading.Lock()

    def load(self) -> FunctionInteractor:
        with self._lock:
            if self._loaded is None:
                self._loaded = load_interactor(self.registration)
            return self._loaded

    def requirement(self, prompts: Prompts) -> str | None:
        if self._loaded is None:
            return None if not prompts.empty else "add a point or a box"
        return self._loaded.requirement(prompts)

    def is_prepared(self, key: Hashable) -> bool:
        return self._loaded is not None and self._loaded.is_prepared(key)

    def prepare(self, key: Hashable, image: np.ndarray) -> Any:
        return self.load().prepare(key, image)

    def predict(self, key: Hashable, image: np.ndarray | None, prompts: Prompts) -> MaskResult:
        return self.load().predict(key, image, prompts)


def function_registrations(registry: Any) -> list[Any]:
    """Registered function files/modules (candidates for the model selector; the protocol is known
    only after loading, which runs the function's code, so it is done when one is picked)."""
    return [r for r in registry if r.kind in ("function-file", "function-module")]

"""One SAM 3 concept prompt on frames: text and/or exemplar boxes for one task label (Qt-free).

A :class:`ConceptPrompt` names the task label the instances get, the text sent to the model (empty:
exemplars only), the exemplar boxes (positive "like this", negative "not like this", in the pixels of
the frame they were drawn on, :attr:`ConceptPrompt.frame`) and the score threshold. SAM 3 reads an
exemplar box from the image it is drawn on, so exemplars take part only on their own frame; on any
other frame the prompt is its text alone (a prompt with exemplars and no text finds nothing there and
says so, see :meth:`ConceptPrompt.for_frame`).

:class:`ConceptSegmenter` runs prompts with one loaded :class:`~app.models.sam3.engine.Sam3Engine`
(image features kept for the last :data:`KEEP` frames, so the exemplar tool's re-runs on the same
frame do not re-encode it) and turns the instances into shapes of the label's type: a box, a polygon
of at most ``max_points`` vertices, or a mask (CVAT's RLE), each with its score.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType, Source
from app.domain.geometry.polygonize import mask_to_polygon
from app.models.sam3.engine import Exemplar, Instances, Sam3Engine
from app.models.sam3.tokens import PromptError, token_ids

KEEP = 2
DEFAULT_THRESHOLD = 0.5
CONCEPT_TYPES = ("rectangle", "polygon", "mask", "any")


@dataclass(frozen=True)
class ConceptPrompt:
    """Text and/or exemplars for one label; ``name`` is set for saved prompts."""

    label: str
    text: str = ""
    exemplars: tuple[Exemplar, ...] = ()
    frame: int | None = None  # where the exemplars were drawn
    threshold: float = DEFAULT_THRESHOLD
    name: str = ""

    def check(self) -> None:
        """:class:`PromptError` naming what is wrong (nothing to look for, bad box, threshold, text)."""
        if not str(self.label).strip():
            raise PromptError("a concept prompt needs the label its instances get")
        if not math.isfinite(self.threshold) or not 0.0 <= self.threshold <= 1.0:
            raise PromptError(f"threshold {self.threshold} is not between 0 and 1")
        if not self.text.strip() and not self.exemplars:
            raise PromptError("empty prompt: give a text prompt or at least one example box")
        if self.exemplars and self.frame is None:
            raise PromptError("example boxes need the frame they were drawn on")
        if self.text.strip():
            token_ids(self.text)
        for ex in self.exemplars:
            x1, y1, x2, y2 = ex.box
            if not all(math.isfinite(v) for v in ex.box) or abs(x2 - x1) <= 0 or abs(y2 - y1) <= 0:
                raise PromptError(f"example box {tuple(ex.box)} has no area")

    def for_frame(self, frame: int) -> tuple[str, tuple[Exemplar, ...]]:
        """The text and the exemplars that apply on ``frame`` (see the module docstring)."""
        exemplars = self.exemplars if frame == self.frame else ()
        if not self.text.strip() and not exemplars:
            raise PromptError(f"prompt {self.name or self.label!r} has example boxes on frame {self.frame} "
                              f"only and no text: it cannot run on frame {frame}")
        return self.text, exemplars

    def runs_on(self, frame: int) -> bool:
        return bool(self.text.strip()) or frame == self.frame

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "text": self.text, "frame": self.frame,
                "threshold": self.threshold,
                "exemplars": [{"box": [float(v) for v in ex.box], "positive": ex.positive} for ex in self.exemplars]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConceptPrompt:
        """The prompt a dict describes; :class:`PromptError` naming the bad field."""
        if not isinstance(data, Mapping):
            raise PromptError(f"a saved prompt must be an object, not {type(data).__name__}")
        try:
            exemplars = tuple(Exemplar(tuple(float(v) for v in item["box"]), bool(item.get("positive", True)))
                              for item in data.get("exemplars") or ())
            if any(len(ex.box) != 4 for ex in exemplars):
                raise ValueError("an example box needs 4 numbers x1,y1,x2,y2")
            frame = data.get("frame")
            prompt = cls(label=str(data["label"]), text=str(data.get("text") or ""), exemplars=exemplars,
                         frame=None if frame is None else int(frame),
                         threshold=float(data.get("threshold", DEFAULT_THRESHOLD)), name=str(data.get("name") or ""))
        except KeyError as exc:
            raise PromptError(f"saved prompt {data.get('name', '')!r}: missing field {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise PromptError(f"saved prompt {data.get('name', '')!r}: {exc}") from exc
        prompt.check()
        return prompt


def concept_label(labels: Any, name: str) -> Any:
    """The task label ``name`` if SAM 3 can produce its type; :class:`PromptError` otherwise."""
    label = labels.by_name(name)
    if label is None:
        raise PromptError(f"no label named {name!r} in this project")
    kind = str(getattr(label.type, "value", label.type))
    if kind not in CONCEPT_TYPES:
        raise PromptError(f"label {name!r} is a {kind} label; SAM 3 finds rectangles, polygons and masks")
    return label


@dataclass
class Found:
    """One instance as a shape: type, points (CVAT encoding), score and its box ``(x1, y1, x2, y2)``."""

    type: ShapeType
    points: list[float]
    score: float
    box: tuple[float, float, float, float]


def output_type(label_type: str, as_polygon: bool = False) -> ShapeType:
    """The shape type SAM 3 gives a label of ``label_type`` (``any``: mask, or polygon when asked)."""
    if label_type == "rectangle":
        return ShapeType.RECTANGLE
    if label_type == "polygon" or (label_type == "any" and as_polygon):
        return ShapeType.POLYGON
    return ShapeType.MASK


def to_found(found: Instances, kind: ShapeType, max_points: int | None) -> list[Found]:
    """The instances as shapes of ``kind`` (instances with an empty mask or box are left out)."""
    from cvat_sdk.masks import encode_mask

    out = []
    height, width = found.masks.shape[1:] if found.masks.ndim == 3 else (0, 0)
    for i in range(len(found)):
        x1, y1, x2, y2 = (float(v) for v in found.boxes[i])
        box = (min(max(x1, 0.0), width), min(max(y1, 0.0), height), min(max(x2, 0.0), width), min(max(y2, 0.0), height))
        if kind is ShapeType.RECTANGLE:
            points = list(box) if box[2] > box[0] and box[3] > box[1] else None
        elif kind is ShapeType.POLYGON:
            points = mask_to_polygon(found.masks[i], max_points=max_points) or None
        else:
            points = [float(v) for v in encode_mask(found.masks[i])] if found.masks[i].any() else None
        if points:
            out.append(Found(kind, list(points), float(found.scores[i]), box))
    return out


@dataclass
class ConceptSegmenter:
    """Runs concept prompts on frames with one engine; features cached per frame key."""

    engine: Sam3Engine
    max_points: int | None = 32
    as_polygon: bool = False  # 'any' labels: polygons instead of masks
    _features: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict, repr=False)

    def features(self, key: Hashable, rgb: np.ndarray) -> Any:
        if key in self._features:
            self._features.move_to_end(key)
            return self._features[key]
        pixels, height, width = self.engine.pixels(np.asarray(rgb))
        features = self.engine.encode_image(pixels, height, width)
        self._features[key] = features
        while len(self._features) > KEEP:
            self._features.popitem(last=False)
        return features

    def find(self, key: Hashable, rgb: np.ndarray, frame: int, prompt: ConceptPrompt, label_type: str) -> list[Found]:
        """The instances of ``prompt`` on ``frame`` (image ``rgb``) as shapes for a ``label_type`` label."""
        text, exemplars = prompt.for_frame(frame)
        found = self.engine.segment(self.features(key, rgb), text, exemplars, prompt.threshold)
        return to_found(found, output_type(label_type, self.as_polygon), self.max_points)


def load_segmenter(spec: str = "sam3", *, manager: Any = None, device: str | None = None,
                   max_points: int | None = 32, as_polygon: bool = False) -> ConceptSegmenter:
    """A segmenter over the imported checkpoint (``sam3``) or ``sam3:PATH``, on CUDA when present
    (``device`` overrides). Slow: call it off the GUI thread."""
    from app.models.device import configure_threads, select_device
    from app.models.sam3.checkpoint import load_model, resolve

    path = resolve(spec, manager)
    chosen = select_device(device or None)
    if chosen == "cpu":
        configure_threads()
    return ConceptSegmenter(Sam3Engine(load_model(path, manager), chosen), max_points=max_points, as_polygon=as_polygon)


def shapes_of(found: Sequence[Found], label: Any, frame: int) -> list[Shape]:
    """New shapes (source auto, the label's default attributes) for the instances found on ``frame``."""
    attributes = label.default_attributes()
    return [Shape(type=f.type, frame=frame, label_id=label.id, points=list(f.points), source=Source.AUTO,
                  score=f.score, attributes=dict(attributes)) for f in found]

"""SAM 3 as a detection function: each task label is a concept, prompted by text (its name by default).

Output per instance follows the label's type: ``rectangle`` -> box, ``polygon`` -> outline of the mask
(at most ``max_points`` vertices, as the SAM 2 point slider), ``mask``/``any`` -> mask (or polygon when
the run asks ``conv_mask_to_poly``). Labels of other types (skeleton, points, tag, ...) are not
concepts and are left out of the spec. Runs through :func:`app.models.runner.run_detection` like the
YOLO adapter, so results are one undoable auto-annotation run with source "auto".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.domain.geometry.polygonize import mask_to_polygon
from app.models.detections import BatchDetector, DetectionBatch
from app.models.sam3.engine import Exemplar, Instances, Sam3Engine
from app.models.sam3.tokens import PromptError, token_ids

CONCEPT_TYPES = ("rectangle", "polygon", "mask", "any")
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Concept:
    """One label as a prompt: the task label's name and type, and the text sent to the model."""

    label: str
    label_type: str
    prompt: str


def concepts_for(labels: Sequence[Any], prompts: Mapping[str, str] | None = None) -> list[Concept]:
    """A concept per task label of a shape type SAM 3 can produce; ``prompts`` overrides the text per
    label name. Raises :class:`PromptError` naming the label whose prompt cannot be encoded."""
    prompts = dict(prompts or {})
    unknown = sorted(set(prompts) - {label.name for label in labels})
    if unknown:
        raise PromptError(f"prompts given for labels the task does not have: {', '.join(unknown)}")
    out = []
    for label in labels:
        kind = str(getattr(label.type, "value", label.type))
        if kind not in CONCEPT_TYPES:
            continue
        text = prompts.get(label.name, label.name)
        try:
            token_ids(text)
        except PromptError as exc:
            raise PromptError(f"label {label.name!r}: {exc}") from exc
        out.append(Concept(label.name, kind, text))
    if not out:
        raise PromptError("the task has no rectangle, polygon, mask or 'any' label for SAM 3 to find")
    return out


def parse_prompts(text: str) -> dict[str, str]:
    """``"car=parked car;plate=licence plate"`` -> ``{"car": "parked car", "plate": "licence plate"}``."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        label, sep, prompt = part.partition("=")
        if not sep or not label.strip():
            raise PromptError(f"prompt {part!r}: write LABEL=TEXT (several separated by ';')")
        out[label.strip()] = prompt.strip()
    return out


@dataclass(frozen=True)
class PreparedFrame:
    """A frame already converted to the model's input (made on the runner's decoding thread)."""

    pixels: Any
    height: int
    width: int


class Sam3ConceptFunction(BatchDetector):
    """SAM 3 concept detection over the given concepts (see :func:`concepts_for`).

    Parameters
    ----------
    engine:
        A :class:`Sam3Engine` (one loaded model).
    concepts:
        The labels to find, with their prompts; spec label ids are their positions.
    max_points:
        Vertex budget of polygon outputs (None keeps every corner).
    """

    def __init__(self, engine: Sam3Engine, concepts: Sequence[Concept], *, max_points: int | None = 32) -> None:
        import cvat_sdk.auto_annotation as cvataa

        self.engine = engine
        self.concepts = list(concepts)
        self.max_points = max_points
        self.spec = cvataa.DetectionFunctionSpec(
            labels=[cvataa.label_spec(c.label, i, type=c.label_type) for i, c in enumerate(self.concepts)])

    def prepare(self, rgb: Any) -> PreparedFrame:
        pixels, height, width = self.engine.pixels(np.asarray(rgb))
        return PreparedFrame(pixels, height, width)

    def detect_batches(self, context: Any, image: Any) -> list[DetectionBatch]:
        frame = image if isinstance(image, PreparedFrame) else self.prepare(np.asarray(image.convert("RGB")))
        threshold = DEFAULT_THRESHOLD if context.conf_threshold is None else float(context.conf_threshold)
        features = self.engine.encode_image(frame.pixels, frame.height, frame.width)
        batches = []
        for label_id, concept in enumerate(self.concepts):
            found = self.engine.segment(features, concept.prompt, threshold=threshold)
            batches.extend(self.to_batches(label_id, concept, found, bool(context.conv_mask_to_poly)))
        return batches

    def find_similar(self, rgb: np.ndarray, label: str, exemplars: Sequence[Exemplar], *,
                     use_text: bool = True, threshold: float = DEFAULT_THRESHOLD) -> list[DetectionBatch]:
        """Every instance like the positive ``exemplars`` (and unlike the negative ones) in one frame,
        combined with the label's text prompt unless ``use_text`` is False."""
        if not exemplars:
            raise PromptError("draw at least one example box")
        label_id, concept = next(((i, c) for i, c in enumerate(self.concepts) if c.label == label), (None, None))
        if concept is None or label_id is None:
            raise PromptError(f"label {label!r} is not one of SAM 3's concepts here")
        frame = self.prepare(rgb)
        features = self.engine.encode_image(frame.pixels, frame.height, frame.width)
        found = self.engine.segment(features, concept.prompt if use_text else "", exemplars, threshold)
        return self.to_batches(label_id, concept, found, False)

    def to_batches(self, label_id: int, concept: Concept, found: Instances, conv_mask_to_poly: bool
                   ) -> list[DetectionBatch]:
        """The instances as shapes of the concept label's type."""
        if not len(found):
            return []
        kind = concept.label_type
        if kind == "rectangle":
            boxes = _clip_boxes(found.boxes, found.masks.shape[1:])
            keep = np.flatnonzero((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1]))
            return [DetectionBatch("rectangle", [label_id] * len(keep), found.scores[keep].tolist(),
                                   boxes[keep].tolist())] if len(keep) else []
        keep, points = [], []
        as_polygon = kind == "polygon" or conv_mask_to_poly
        for i, mask in enumerate(found.masks):
            shape = mask_to_polygon(mask, max_points=self.max_points) if as_polygon else _mask_points(mask)
            if shape:
                keep.append(i)
                points.append(shape)
        return [DetectionBatch("polygon" if as_polygon else "mask", [label_id] * len(keep),
                               [float(found.scores[i]) for i in keep], points)] if keep else []


def _clip_boxes(boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    out = boxes.astype(float).copy()
    out[:, 0::2] = out[:, 0::2].clip(0, width)
    out[:, 1::2] = out[:, 1::2].clip(0, height)
    return out


def _mask_points(mask: np.ndarray) -> list[float] | None:
    from cvat_sdk.masks import encode_mask

    return [float(v) for v in encode_mask(mask)] if mask.any() else None


def create(model: str = "sam3", prompts: str = "", max_points: int = 32, device: str = "",
           labels: Sequence[Any] = (), manager: Any = None) -> Sam3ConceptFunction:
    """The function for ``--model sam3[:PATH]`` over the task ``labels`` (prompts: see :func:`parse_prompts`)."""
    from app.models.device import configure_threads, select_device
    from app.models.sam3.checkpoint import load_model, resolve

    concepts = concepts_for(labels, parse_prompts(prompts))
    path: Path = resolve(model, manager)
    chosen = select_device(device or None)
    if chosen == "cpu":
        configure_threads()
    return Sam3ConceptFunction(Sam3Engine(load_model(path, manager), chosen), concepts,
                               max_points=max_points or None)

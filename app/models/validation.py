"""Validate and remap auto-annotation function output exactly as CVAT's SDK driver does.

:class:`OutputMapper` is built once per run from the function's spec and the task's labels (setup
errors -- unknown label names, incompatible types or attributes -- come before any inference), then
turns each frame's ``LabeledShapeRequest`` / ``LabeledImageRequest`` objects into domain shapes and
tags with task ids and ``source=auto``. Every rule violation raises ``BadFunctionError`` (cvat-sdk's
own exception type) with CVAT's wording; the runner aborts the run and writes nothing.

Beyond CVAT's driver (whose server would reject such shapes on upload) the point lists are checked
too: finite numbers, and the count each shape type needs.

:meth:`OutputMapper.map_batches` is the route of the built-in adapters (columnar
:class:`app.models.detections.DetectionBatch` outputs, no SDK objects): the same label, type, mask,
point and skeleton rules, checked per batch with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.domain.annotations import Shape, Tag
from app.domain.enums import Source
from app.domain.labels import Label, LabelSet
from app.models.detections import BATCH_TYPES, DetectionBatch
from app.models.label_matching import LabelMapping, LabelMatch, SublabelMatch, spec_type
from app.models.output_fields import fields as _fields


def _bad(message: str) -> Exception:
    from cvat_sdk.auto_annotation import BadFunctionError

    return BadFunctionError(message)


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


@dataclass(frozen=True)
class _AttrMap:
    id: int
    valid: Callable[[str], bool]


@dataclass(frozen=True)
class _SubMap:
    id: int
    attributes: dict[int, _AttrMap | None]
    defaults: dict[int, str]


@dataclass(frozen=True)
class _LabelMap(_SubMap):
    sublabels: dict[int, _SubMap | None]
    expected_elements: int
    expected_type: str


def _compatible(source_type: str, destination_type: str) -> bool:
    return destination_type == "any" or destination_type == source_type


_MIN_POINTS = {"rectangle": (4, 4), "ellipse": (4, 4), "cuboid": (16, 16), "polygon": (6, None),
               "polyline": (4, None), "points": (2, None), "mask": (5, None)}


def check_points(shape_type: str, points: Sequence[float], what: str = "shape") -> None:
    """Point-list sanity for one shape type (CVAT's server would reject these on upload)."""
    if shape_type == "skeleton":
        return
    if any(not isinstance(p, (int, float)) or not math.isfinite(p) for p in points):
        raise _bad(f"function output {what} of type {shape_type!r} with non-finite or non-numeric points")
    low, high = _MIN_POINTS.get(shape_type, (0, None))
    if len(points) < low or (high is not None and len(points) > high):
        need = f"exactly {low}" if high == low else f"at least {low}"
        raise _bad(f"function output {what} of type {shape_type!r} with {len(points)} coordinates (needs {need})")
    if shape_type in ("polygon", "polyline", "points") and len(points) % 2:
        raise _bad(f"function output {what} of type {shape_type!r} with an odd number of coordinates")


class OutputMapper:
    """Validate and remap one function's outputs onto a task's labels.

    Parameters
    ----------
    spec_labels:
        ``function.spec.labels`` (cvat-sdk ``PatchedLabelRequest`` objects).
    task_labels:
        The project's labels (ids set).
    allow_unmatched_labels:
        Drop outputs of labels/sublabels/attributes missing from the task instead of failing.
    conv_mask_to_poly:
        The function was asked for polygons; a mask output is an error.
    mapping:
        Explicit :class:`LabelMapping` (from the label matching dialog); None matches by name.
    """

    def __init__(self, spec_labels: Sequence[Any], task_labels: LabelSet | Sequence[Label], *,
                 allow_unmatched_labels: bool = False, conv_mask_to_poly: bool = False,
                 mapping: LabelMapping | None = None) -> None:
        from cvat_sdk import models

        self.conv_mask_to_poly = conv_mask_to_poly
        self.allow_unmatched = allow_unmatched_labels
        self._request_types = (models.LabeledImageRequest, models.LabeledShapeRequest)
        by_name = {label.name: label for label in task_labels}
        self.labels: dict[int, _LabelMap | None] = {}
        for fun_label in spec_labels:
            match = self._label_match(mapping, fun_label.name)
            desc = f"label {fun_label.name!r}"
            if match is None:
                self.labels[fun_label.id] = None
                continue
            ds_label = by_name.get(match.name)
            if ds_label is None:
                self._unmatched(desc)
                self.labels[fun_label.id] = None
                continue
            self.labels[fun_label.id] = self._label_map(fun_label, ds_label, desc, match)

    # ------------------------------------------------------------------------------- setup
    @staticmethod
    def _label_match(mapping: LabelMapping | None, name: str) -> LabelMatch | None:
        if mapping is None:
            return LabelMatch(name)
        return mapping.labels.get(name)

    def _unmatched(self, desc: str) -> None:
        if not self.allow_unmatched:
            raise _bad(f"{desc} is not in dataset")

    def _attr_map(self, fun_attr: Any, ds_attr: Any, desc: str) -> _AttrMap:
        from cvat_sdk.attributes import attribute_value_validator

        fun_type, ds_type = _value(fun_attr.input_type), _value(ds_attr.input_type)
        if fun_type != ds_type:
            raise _bad(f"{desc} has input type {fun_type!r} in the function, but {ds_type!r} in the dataset")
        fun_values, ds_values = list(getattr(fun_attr, "values", []) or []), list(ds_attr.values)
        if ds_type in ("select", "radio"):
            same = sorted(fun_values) == sorted(ds_values)
        elif ds_type == "number":
            same = fun_values == ds_values
        else:
            same = True
        if not same:
            raise _bad(f"{desc} has values {fun_values!r} in the function, but {ds_values!r} in the dataset")
        return _AttrMap(ds_attr.id, attribute_value_validator(fun_attr))

    def _sub_map(self, fun_item: Any, ds_item: Label, desc: str, match: SublabelMatch) -> _SubMap:
        ds_attrs = {a.name: a for a in ds_item.attributes}
        attributes: dict[int, _AttrMap | None] = {}
        for fun_attr in getattr(fun_item, "attributes", None) or []:
            attr_desc = f"attribute {fun_attr.name!r} of {desc}"
            target = fun_attr.name if match.attributes is None else match.attributes.get(fun_attr.name)
            ds_attr = ds_attrs.get(target) if target is not None else None
            if target is not None and ds_attr is None:
                self._unmatched(attr_desc)
            attributes[fun_attr.id] = self._attr_map(fun_attr, ds_attr, attr_desc) if ds_attr else None
        return _SubMap(ds_item.id, attributes, ds_item.default_attributes())

    def _label_map(self, fun_label: Any, ds_label: Label, desc: str, match: LabelMatch) -> _LabelMap:
        base = self._sub_map(fun_label, ds_label, desc, match)
        sublabels: dict[int, _SubMap | None] = {}
        for fun_sub in getattr(fun_label, "sublabels", None) or []:
            sub_desc = f"sublabel {fun_sub.name!r} of {desc}"
            sub_match = SublabelMatch(fun_sub.name) if match.sublabels is None else match.sublabels.get(fun_sub.name)
            ds_sub = ds_label.sublabel(sub_match.name) if sub_match is not None else None
            if sub_match is not None and ds_sub is None:
                self._unmatched(sub_desc)
            sublabels[fun_sub.id] = self._sub_map(fun_sub, ds_sub, sub_desc, sub_match) if ds_sub else None
        return _LabelMap(base.id, base.attributes, base.defaults, sublabels, len(ds_label.sublabels),
                         self._expected_type(fun_label, ds_label))

    def _expected_type(self, fun_label: Any, ds_label: Label) -> str:
        fun_type = spec_type(fun_label)
        ds_type = ds_label.type.value
        if fun_type == "any":
            return ds_type
        if self.conv_mask_to_poly and fun_type == "mask":
            fun_type = "polygon"
        if not _compatible(fun_type, ds_type):
            raise _bad(
                f"label {fun_label.name!r} has type {fun_type!r} in the function, but {ds_type!r} in the dataset"
            )
        return fun_type

    # ------------------------------------------------------------------------------- per frame
    def map_frame(self, annotations: Sequence[Any], frame: int) -> tuple[list[Shape], list[Tag]]:
        """Validate one frame's outputs and return task shapes and tags (``source=auto``)."""
        image_request, shape_request = self._request_types
        shapes: list[Shape] = []
        tags: list[Tag] = []
        for annotation in annotations:
            if isinstance(annotation, image_request):
                tag = self._map_tag(annotation, frame)
                if tag is not None:
                    tags.append(tag)
            elif isinstance(annotation, shape_request):
                shape = self._map_shape(annotation, frame)
                if shape is not None:
                    shapes.append(shape)
            else:
                raise _bad(f"function output an object of type {type(annotation).__name__!r} "
                           "(expected 'LabeledImageRequest' or 'LabeledShapeRequest')")
        return shapes, tags

    def _common(self, fields: Any, kind: str) -> _LabelMap | None:
        if "id" in fields:
            raise _bad(f"function output {kind} with preset id")
        if "source" in fields:
            raise _bad(f"function output {kind} with preset source")
        if fields["frame"] != 0:
            raise _bad(f"function output {kind} with unexpected frame number ({fields['frame']})")
        try:
            return self.labels[fields["label_id"]]
        except KeyError:
            raise _bad(f"function output {kind} with unknown label ID ({fields['label_id']})") from None

    def _attributes(self, fields: Any, mapping: _SubMap) -> dict[int, str]:
        values = dict(mapping.defaults)
        raw = fields.get("attributes")
        if not raw:
            return values
        seen: set[int] = set()
        for attribute in raw:
            attribute_fields = _fields(attribute)
            spec_id, value = attribute_fields["spec_id"], attribute_fields["value"]
            try:
                attr_map = mapping.attributes[spec_id]
            except KeyError:
                raise _bad(f"function output attribute with unknown ID ({spec_id})") from None
            if attr_map is None:
                continue
            if attr_map.id in seen:
                raise _bad("function output shape with multiple attributes with same ID")
            if not attr_map.valid(value):
                raise _bad(f"function output attribute value ({value!r})"
                           f" that is unsuitable for its attribute ({spec_id})")
            seen.add(attr_map.id)
            values[attr_map.id] = value
        return values

    def _map_tag(self, annotation: Any, frame: int) -> Tag | None:
        fields = _fields(annotation)
        mapping = self._common(fields, "tag")
        if mapping is None:
            return None
        if not _compatible("tag", mapping.expected_type):
            raise _bad(f"function output tag (expected shape of type {mapping.expected_type!r})")
        return Tag(frame=frame, label_id=mapping.id, group=fields.get("group", 0) or 0,
                   source=Source.AUTO, attributes=self._attributes(fields, mapping))

    def _map_shape(self, annotation: Any, frame: int) -> Shape | None:
        fields = _fields(annotation)
        mapping = self._common(fields, "shape")
        if mapping is None:
            return None
        shape_type = _value(fields["type"])
        if not _compatible(shape_type, mapping.expected_type):
            raise _bad(f"function output shape of type {shape_type!r} (expected {mapping.expected_type!r})")
        if shape_type == "mask" and self.conv_mask_to_poly:
            raise _bad("function output mask shape despite conv_mask_to_poly=True")
        elements = self._elements(fields, shape_type, frame, mapping)
        points = list(fields.get("points") or [])
        check_points(shape_type, points)
        return Shape(
            type=shape_type,
            frame=frame,
            label_id=mapping.id,
            points=[float(p) for p in points],
            rotation=float(fields.get("rotation", 0.0) or 0.0),
            occluded=bool(fields.get("occluded", False)),
            z_order=int(fields.get("z_order", 0) or 0),
            group=int(fields.get("group", 0) or 0),
            source=Source.AUTO,
            score=float(fields.get("score", 1.0) or 0.0),
            attributes=self._attributes(fields, mapping),
            elements=elements,
        )

    def _elements(self, fields: Any, shape_type: str, frame: int, mapping: _LabelMap) -> list[Shape]:
        raw = list(fields.get("elements") or [])
        if shape_type != "skeleton":
            if raw:
                raise _bad("function output non-skeleton shape with elements")
            return []
        result: list[Shape] = []
        seen: set[int] = set()
        for element in raw:
            mapped = self._element(element, frame, mapping, seen)
            if mapped is not None:
                result.append(mapped)
        if len(result) != mapping.expected_elements:
            raise _bad(f"function output skeleton with fewer elements than expected"
                       f" ({len(result)} vs {mapping.expected_elements})")
        return result

    def _element(self, element: Any, frame: int, mapping: _LabelMap, seen: set[int]) -> Shape | None:
        fields = _fields(element)
        if "id" in fields:
            raise _bad("function output shape element with preset id")
        if "source" in fields:
            raise _bad("function output shape element with preset source")
        if fields["frame"] != 0:
            raise _bad(f"function output shape element with unexpected frame number ({fields['frame']})")
        element_type = _value(fields["type"])
        if element_type != "points":
            raise _bad(f"function output skeleton with element type other than 'points' ({element_type})")
        try:
            sub_map = mapping.sublabels[fields["label_id"]]
        except KeyError:
            raise _bad(f"function output shape with unknown sublabel ID ({fields['label_id']})") from None
        if sub_map is None:
            return None
        if sub_map.id in seen:
            raise _bad("function output skeleton with multiple elements with same sublabel")
        seen.add(sub_map.id)
        points = list(fields.get("points") or [])
        check_points("points", points, "skeleton element")
        return Shape(
            type="points",
            frame=frame,
            label_id=sub_map.id,
            points=[float(p) for p in points],
            occluded=bool(fields.get("occluded", False)),
            outside=bool(fields.get("outside", False)),
            source=Source.AUTO,
            attributes=self._attributes(fields, sub_map),
        )

    # ------------------------------------------------------------------------------- built-in batches
    def map_batches(self, batches: Sequence[DetectionBatch], frame: int) -> tuple[list[Shape], list[Tag]]:
        """Validate and map the columnar outputs of a built-in adapter (see :mod:`app.models.detections`)."""
        shapes: list[Shape] = []
        tags: list[Tag] = []
        for batch in batches:
            if not isinstance(batch, DetectionBatch) or batch.type not in BATCH_TYPES:
                raise _bad(f"built-in detector output {type(batch).__name__} "
                           f"of type {getattr(batch, 'type', None)!r} (expected a DetectionBatch)")
            maps = self._batch_maps(batch)
            if batch.type == "tag":
                tags.extend(Tag(frame=frame, label_id=m.id, source=Source.AUTO, attributes=dict(m.defaults))
                            for m in maps if m is not None)
            elif batch.type == "skeleton":
                shapes.extend(self._batch_skeletons(batch, maps, frame))
            else:
                shapes.extend(self._batch_shapes(batch, maps, frame))
        return shapes, tags

    def _batch_maps(self, batch: DetectionBatch) -> list[_LabelMap | None]:
        if batch.type != "tag" and len(batch.scores) != len(batch.labels):
            raise _bad(f"built-in detector output {len(batch.labels)} labels but {len(batch.scores)} scores")
        kind = "tag" if batch.type == "tag" else "shape"
        cache: dict[int, _LabelMap | None] = {}
        result = []
        for raw in batch.labels:
            label = int(raw)
            if label not in cache:
                cache[label] = self._batch_label(label, kind, batch.type)
            result.append(cache[label])
        return result

    def _batch_label(self, label: int, kind: str, shape_type: str) -> _LabelMap | None:
        try:
            mapping = self.labels[label]
        except KeyError:
            raise _bad(f"function output {kind} with unknown label ID ({label})") from None
        if mapping is None:
            return None
        if not _compatible(shape_type, mapping.expected_type):
            what = "tag" if kind == "tag" else f"shape of type {shape_type!r}"
            raise _bad(f"function output {what} (expected {'shape of type ' if kind == 'tag' else ''}"
                       f"{mapping.expected_type!r})")
        if shape_type == "mask" and self.conv_mask_to_poly:
            raise _bad("function output mask shape despite conv_mask_to_poly=True")
        return mapping

    @staticmethod
    def _finite(values: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
        array = np.asarray(values, dtype=np.float64)
        if array.size == 0 and 0 in shape:
            return array.reshape(shape)
        if array.shape != shape:
            raise _bad(f"built-in detector output {what} of shape {array.shape} (expected {shape})")
        if not np.isfinite(array).all():
            raise _bad(f"function output {what} with non-finite or non-numeric points")
        return array

    def _batch_shapes(self, batch: DetectionBatch, maps: list[_LabelMap | None], frame: int) -> list[Shape]:
        count = len(maps)
        scores = self._finite(batch.scores, (count,), "scores").tolist()
        rotations = (self._finite(batch.rotations, (count,), "rotations").tolist()
                     if batch.rotations is not None else [0.0] * count)
        if batch.type == "rectangle":
            points = self._finite(batch.points, (count, 4), "rectangle").tolist()
        else:
            if len(batch.points) != count:
                raise _bad(f"built-in detector output {count} {batch.type} labels but {len(batch.points)} point lists")
            points = [[float(v) for v in p] for p in batch.points]
            for p in points:
                check_points(batch.type, p)
        return [Shape(type=batch.type, frame=frame, label_id=m.id, points=p, rotation=r, source=Source.AUTO,
                      score=s, attributes=dict(m.defaults))
                for m, p, r, s in zip(maps, points, rotations, scores) if m is not None]

    def _element_plan(self, mapping: _LabelMap, sublabels: list[int]) -> list[tuple[int, _SubMap]]:
        plan: list[tuple[int, _SubMap]] = []
        seen: set[int] = set()
        for column, sub in enumerate(sublabels):
            try:
                sub_map = mapping.sublabels[sub]
            except KeyError:
                raise _bad(f"function output shape with unknown sublabel ID ({sub})") from None
            if sub_map is None:
                continue
            if sub_map.id in seen:
                raise _bad("function output skeleton with multiple elements with same sublabel")
            seen.add(sub_map.id)
            plan.append((column, sub_map))
        if len(plan) != mapping.expected_elements:
            raise _bad(f"function output skeleton with fewer elements than expected"
                       f" ({len(plan)} vs {mapping.expected_elements})")
        return plan

    def _batch_skeletons(self, batch: DetectionBatch, maps: list[_LabelMap | None], frame: int) -> list[Shape]:
        count, columns = len(maps), len(batch.sublabels)
        scores = self._finite(batch.scores, (count,), "scores").tolist()
        keypoints = self._finite(batch.keypoints, (count, columns, 2), "skeleton element").tolist()
        outside = np.asarray(batch.outside, dtype=bool).reshape(count, columns).tolist() if count else []
        sublabels = [int(s) for s in batch.sublabels]
        plans: dict[int, list[tuple[int, _SubMap]]] = {}
        result = []
        for m, kps, out, score in zip(maps, keypoints, outside, scores):
            if m is None:
                continue
            if id(m) not in plans:
                plans[id(m)] = self._element_plan(m, sublabels)
            elements = [Shape(type="points", frame=frame, label_id=sub.id, points=kps[c], outside=out[c],
                              source=Source.AUTO, attributes=dict(sub.defaults)) for c, sub in plans[id(m)]]
            result.append(Shape(type="skeleton", frame=frame, label_id=m.id, source=Source.AUTO, score=score,
                                attributes=dict(m.defaults), elements=elements))
        return result

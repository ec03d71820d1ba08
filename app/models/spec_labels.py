"""Turn a function's spec labels into project labels (the "From model" action)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label
from app.domain.labels_json import edges_from_svg
from app.models.label_matching import spec_type


def _attributes(item: Any) -> list[AttributeSpec]:
    result = []
    for attr in getattr(item, "attributes", None) or []:
        kind = str(getattr(attr.input_type, "value", attr.input_type))
        result.append(
            AttributeSpec(
                attr.name,
                AttributeType(kind),
                [str(v) for v in (getattr(attr, "values", None) or [])],
                default_value=str(getattr(attr, "default_value", "") or ""),
                mutable=bool(getattr(attr, "mutable", False)),
            )
        )
    return result


def label_from_spec(item: Any) -> Label:
    kind = spec_type(item)
    label_type = LabelType(kind) if kind in LabelType._value2member_map_ else LabelType.ANY
    sublabels = [Label(s.name, type=LabelType.POINTS, attributes=_attributes(s))
                 for s in (getattr(item, "sublabels", None) or [])]
    edges = []
    svg = getattr(item, "svg", None)
    if sublabels and svg:
        edges = edges_from_svg(svg, [s.name for s in sublabels])
    return Label(item.name, color=str(getattr(item, "color", "") or ""), type=label_type,
                 attributes=_attributes(item), sublabels=sublabels, edges=edges)


def labels_from_spec(spec_labels: Iterable[Any], existing: Sequence[Label] = ()) -> list[Label]:
    """New project labels for spec labels whose names are not in ``existing`` (types, attributes,
    skeleton keypoints and joints copied)."""
    taken = {label.name for label in existing}
    return [label_from_spec(item) for item in spec_labels if item.name not in taken]

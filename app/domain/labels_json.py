"""Labels as JSON, in CVAT's raw label format (the "Raw" tab of CVAT's label editor).

``[{"name", "color", "type", "attributes": [{"name", "input_type", "mutable", "values", "default_value"}],
"sublabels": [...], "svg": "..."}]``. Skeleton joints are read from CVAT's ``svg`` (lines with
``data-node-from``/``data-node-to``, circles with ``data-label-name`` in keypoint order); an ``edges``
list of sublabel-index pairs is accepted too and written alongside the SVG.
"""

from __future__ import annotations

import re
from typing import Any

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label

_LINE = re.compile(r"<line\b[^>]*>", re.IGNORECASE)
_CIRCLE = re.compile(r"<circle\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'([\w:-]+)\s*=\s*"([^"]*)"')


class LabelSpecError(ValueError):
    """A label definition is malformed."""


def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag))


def edges_from_svg(svg: str, sublabel_names: list[str]) -> list[tuple[int, int]]:
    """Joints as 0-based sublabel indices. Node ids are the circles' ``data-node-id`` (1-based)."""
    node_to_index: dict[str, int] = {}
    for order, circle in enumerate(_CIRCLE.findall(svg)):
        a = _attrs(circle)
        name = a.get("data-label-name")
        index = sublabel_names.index(name) if name in sublabel_names else order
        node_to_index[a.get("data-node-id", str(order + 1))] = index
    edges = []
    for line in _LINE.findall(svg):
        a = _attrs(line)
        src, dst = a.get("data-node-from"), a.get("data-node-to")
        if src in node_to_index and dst in node_to_index:
            edges.append((node_to_index[src], node_to_index[dst]))
    return edges


def svg_from_skeleton(label: Label) -> str:
    """CVAT's skeleton SVG: keypoints on a circle of a 100x100 box, joints as lines."""
    import math

    n = max(len(label.sublabels), 1)
    coords = [(50 + 35 * math.cos(2 * math.pi * i / n), 50 + 35 * math.sin(2 * math.pi * i / n)) for i in range(n)]
    parts = []
    for a, b in label.edges:
        (x1, y1), (x2, y2) = coords[a], coords[b]
        parts.append(
            f'<line x1="{x1:.3f}" y1="{y1:.3f}" x2="{x2:.3f}" y2="{y2:.3f}" stroke="black" '
            f'data-type="edge" data-node-from="{a + 1}" stroke-width="0.5" data-node-to="{b + 1}"></line>'
        )
    for i, sub in enumerate(label.sublabels):
        x, y = coords[i]
        parts.append(
            f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{x:.3f}" cy="{y:.3f}" stroke-width="0.1" '
            f'data-type="element node" data-element-id="{i + 1}" data-node-id="{i + 1}" '
            f'data-label-name="{sub.name}"></circle>'
        )
    return "".join(parts)


def attribute_from_dict(raw: dict[str, Any]) -> AttributeSpec:
    try:
        values = raw.get("values", [])
        if isinstance(values, str):
            values = [v for v in values.split("\n") if v != ""]
        return AttributeSpec(
            name=str(raw["name"]),
            input_type=AttributeType(raw.get("input_type", "text")),
            mutable=bool(raw.get("mutable", False)),
            values=[str(v) for v in values],
            default_value=str(raw.get("default_value", "") or ""),
        )
    except (KeyError, ValueError) as exc:
        raise LabelSpecError(f"bad attribute {raw!r}: {exc}") from exc


def label_from_dict(raw: dict[str, Any]) -> Label:
    if "name" not in raw or not str(raw["name"]).strip():
        raise LabelSpecError(f"a label has no name: {raw!r}")
    try:
        label_type = LabelType(raw.get("type", "any"))
    except ValueError as exc:
        raise LabelSpecError(f"label {raw['name']!r}: unknown type {raw.get('type')!r}") from exc
    label = Label(
        name=str(raw["name"]),
        color=str(raw.get("color", "") or ""),
        type=label_type,
        attributes=[attribute_from_dict(a) for a in raw.get("attributes", [])],
        sublabels=[label_from_dict({"type": "points", **s}) for s in raw.get("sublabels", [])],
    )
    names = [s.name for s in label.sublabels]
    if "edges" in raw:
        label.edges = [(int(a), int(b)) for a, b in raw["edges"]]
    elif raw.get("svg"):
        label.edges = edges_from_svg(str(raw["svg"]), names)
    if label.type is LabelType.SKELETON and not label.sublabels:
        raise LabelSpecError(f"skeleton label {label.name!r} has no keypoints (sublabels)")
    for a, b in label.edges:
        if not (0 <= a < len(names) and 0 <= b < len(names)):
            raise LabelSpecError(f"skeleton {label.name!r}: edge ({a}, {b}) refers to a missing keypoint")
    return label


def labels_from_json(data: Any) -> list[Label]:
    if isinstance(data, dict) and "labels" in data:
        data = data["labels"]
    if not isinstance(data, list):
        raise LabelSpecError("labels JSON must be a list of label objects (CVAT's raw label format)")
    labels = [label_from_dict(item) for item in data]
    seen: set[str] = set()
    for label in labels:
        if label.name in seen:
            raise LabelSpecError(f"label {label.name!r} is defined twice")
        seen.add(label.name)
    return labels


def label_to_dict(label: Label) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": label.name,
        "color": label.color,
        "type": label.type.value,
        "attributes": [
            {"name": a.name, "input_type": a.input_type.value, "mutable": a.mutable, "values": list(a.values),
             "default_value": a.default_value}
            for a in label.attributes
        ],
    }
    if label.sublabels:
        out["sublabels"] = [label_to_dict(s) for s in label.sublabels]
        out["edges"] = [list(e) for e in label.edges]
        out["svg"] = svg_from_skeleton(label)
    return out

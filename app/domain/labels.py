"""Labels and attribute specifications, modelled on CVAT's (name, colour, type, attributes, skeletons).

A skeleton label owns its keypoints as ``sublabels`` (each a label of type ``points``) and its joints
as ``edges``: pairs of 0-based indices into ``sublabels``. Formats convert to and from CVAT's SVG.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from app.domain.enums import AttributeType, LabelType

PALETTE = (
    "#33ddff", "#fa3253", "#34d1b7", "#ff007c", "#ddff33", "#24b353", "#b83df5", "#66ff66",
    "#32b7fa", "#ffcc33", "#83e070", "#fafa37", "#5986b3", "#8c78f0", "#ff6a4d", "#f078f0",
    "#2a7dd1", "#b25050", "#cc3366", "#cc9933", "#aaf0d1", "#ff00cc", "#3df53d", "#fa32b7",
)


def palette_color(index: int) -> str:
    """A distinct default colour for the ``index``-th label."""
    return PALETTE[index % len(PALETTE)]


@dataclass
class AttributeSpec:
    """One attribute of a label. ``values`` holds the choices (select/radio), or min, max, step (number)."""

    name: str
    input_type: AttributeType = AttributeType.TEXT
    values: list[str] = field(default_factory=list)
    default_value: str = ""
    mutable: bool = False
    id: int | None = None

    def __post_init__(self) -> None:
        self.input_type = AttributeType(self.input_type)
        if not self.default_value:
            self.default_value = self.implicit_default()

    def implicit_default(self) -> str:
        """CVAT's default when none is given: first value, min for numbers, 'false' for checkboxes."""
        if self.input_type is AttributeType.CHECKBOX:
            return self.values[0] if self.values else "false"
        if self.input_type in (AttributeType.SELECT, AttributeType.RADIO, AttributeType.NUMBER):
            return self.values[0] if self.values else ""
        return ""

    def validate_value(self, value: str) -> str | None:
        """Return an error message when ``value`` is not acceptable for this attribute, else None."""
        if self.input_type in (AttributeType.SELECT, AttributeType.RADIO):
            if self.values and value not in self.values and value != "__undefined__":
                return f"value {value!r} of attribute {self.name!r} is not one of {self.values}"
        elif self.input_type is AttributeType.CHECKBOX:
            if value.lower() not in ("true", "false"):
                return f"value {value!r} of checkbox attribute {self.name!r} is not true/false"
        elif self.input_type is AttributeType.NUMBER:
            try:
                number = float(value)
            except ValueError:
                return f"value {value!r} of number attribute {self.name!r} is not a number"
            if len(self.values) >= 2:
                lo, hi = float(self.values[0]), float(self.values[1])
                if not lo <= number <= hi:
                    return f"value {value!r} of attribute {self.name!r} is outside [{lo:g}, {hi:g}]"
        return None


@dataclass
class Label:
    """A label. ``sublabels``/``edges`` are used by skeletons only."""

    name: str
    color: str = ""
    type: LabelType = LabelType.ANY
    attributes: list[AttributeSpec] = field(default_factory=list)
    sublabels: list[Label] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)
    id: int | None = None
    parent_id: int | None = None

    def __post_init__(self) -> None:
        self.type = LabelType(self.type)

    def attribute(self, name: str) -> AttributeSpec | None:
        return next((a for a in self.attributes if a.name == name), None)

    def attribute_by_id(self, spec_id: int) -> AttributeSpec | None:
        return next((a for a in self.attributes if a.id == spec_id), None)

    def sublabel(self, name: str) -> Label | None:
        return next((s for s in self.sublabels if s.name == name), None)

    def default_attributes(self) -> dict[int, str]:
        """Attribute values a new annotation of this label starts with (every attribute, defaults applied)."""
        return {a.id: a.default_value for a in self.attributes if a.id is not None}


class LabelSet:
    """Fast lookups over a project's labels, sublabels included."""

    def __init__(self, labels: Iterable[Label]) -> None:
        self.labels: list[Label] = list(labels)
        self._by_id: dict[int, Label] = {}
        self._by_name: dict[str, Label] = {}
        for label in self.labels:
            self._by_name.setdefault(label.name, label)
            for item in (label, *label.sublabels):
                if item.id is not None:
                    self._by_id[item.id] = item

    def __iter__(self) -> Iterator[Label]:
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def by_id(self, label_id: int) -> Label:
        return self._by_id[label_id]

    def get(self, label_id: int) -> Label | None:
        return self._by_id.get(label_id)

    def by_name(self, name: str) -> Label | None:
        return self._by_name.get(name)

    def attribute_spec(self, spec_id: int) -> AttributeSpec | None:
        for label in self._by_id.values():
            spec = label.attribute_by_id(spec_id)
            if spec is not None:
                return spec
        return None

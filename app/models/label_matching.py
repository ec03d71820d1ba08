"""Model labels -> task labels: compatibility rules, suggestions by name, and the explicit mapping.

The mapping mirrors CVAT's (``{function_label: {"name": task_label, "attributes": {...},
"sublabels": {fn_sublabel: {"name": ..., "attributes": {...}}}}}``). With a mapping, a model label,
sublabel or attribute missing from it is dropped; ``attributes``/``sublabels`` left as None match by
identical name, as in CVAT's driver. Pre-filling follows CVAT's "Annotate" dialog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.labels import Label


def spec_type(item: Any) -> str:
    """The type of a function-spec label or sublabel (``any`` when absent, as in CVAT)."""
    value = getattr(item, "type", None)
    if value is None:
        return "any"
    return str(getattr(value, "value", value))


def types_compatible(model_type: str, task_type: str) -> bool:
    """CVAT UI's pairing rule: same type; task ``any`` with a non-skeleton model label; model
    ``any``/``unknown`` with a non-skeleton task label; or mask <-> polygon."""
    if model_type == task_type:
        return True
    if task_type == "any" and model_type != "skeleton":
        return True
    if model_type in ("any", "unknown") and task_type != "skeleton":
        return True
    return {model_type, task_type} == {"mask", "polygon"}


@dataclass
class SublabelMatch:
    name: str
    attributes: dict[str, str] | None = None

    def to_cvat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.attributes is not None:
            data["attributes"] = dict(self.attributes)
        return data


@dataclass
class LabelMatch(SublabelMatch):
    sublabels: dict[str, SublabelMatch] | None = None

    def to_cvat(self) -> dict[str, Any]:
        data = super().to_cvat()
        if self.sublabels is not None:
            data["sublabels"] = {k: v.to_cvat() for k, v in self.sublabels.items()}
        return data


@dataclass
class LabelMapping:
    """Explicit model-label -> task-label mapping; labels absent from ``labels`` are dropped."""

    labels: dict[str, LabelMatch] = field(default_factory=dict)

    def to_cvat(self) -> dict[str, Any]:
        return {k: v.to_cvat() for k, v in self.labels.items()}

    @classmethod
    def from_cvat(cls, raw: dict[str, Any]) -> LabelMapping:
        def sub(entry: dict[str, Any]) -> SublabelMatch:
            return SublabelMatch(entry["name"], entry.get("attributes"))

        labels = {}
        for key, entry in raw.items():
            subs = entry.get("sublabels")
            labels[key] = LabelMatch(entry["name"], entry.get("attributes"),
                                     {k: sub(v) for k, v in subs.items()} if subs is not None else None)
        return cls(labels)

    def unmatched(self, spec_labels: Iterable[Any]) -> list[str]:
        return [item.name for item in spec_labels if item.name not in self.labels]


def compatible_task_labels(model_label: Any, task_labels: Sequence[Label]) -> list[Label]:
    """Task labels a model label may be mapped to (only type-compatible ones)."""
    model_type = spec_type(model_label)
    return [label for label in task_labels if types_compatible(model_type, label.type.value)]


def _match_attributes(model_item: Any, task_item: Label) -> dict[str, str]:
    names = {a.name for a in task_item.attributes}
    result = {}
    for attribute in getattr(model_item, "attributes", None) or []:
        if attribute.name in names:
            result[attribute.name] = attribute.name
    return result


def suggest_label(model_label: Any, task_label: Label) -> LabelMatch:
    """A pair with attributes and (skeleton <-> skeleton) keypoints matched by name."""
    sublabels = None
    if spec_type(model_label) == "skeleton" and task_label.type.value == "skeleton":
        sublabels = {}
        for model_sub in getattr(model_label, "sublabels", None) or []:
            task_sub = task_label.sublabel(model_sub.name)
            if task_sub is not None:
                sublabels[model_sub.name] = SublabelMatch(task_sub.name, _match_attributes(model_sub, task_sub))
    return LabelMatch(task_label.name, _match_attributes(model_label, task_label), sublabels)


def suggest_mapping(spec_labels: Iterable[Any], task_labels: Sequence[Label]) -> LabelMapping:
    """Pre-fill pairs whose names are equal and whose types are compatible (CVAT's dialog rule)."""
    by_name = {label.name: label for label in task_labels}
    mapping = LabelMapping()
    for model_label in spec_labels:
        task_label = by_name.get(model_label.name)
        if task_label is not None and types_compatible(spec_type(model_label), task_label.type.value):
            mapping.labels[model_label.name] = suggest_label(model_label, task_label)
    return mapping

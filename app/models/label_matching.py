"""Model labels -> task labels: compatibility rules, suggestions by name, and the explicit mapping.

The mapping mirrors CVAT's (``{function_label: {"name": task_label, "attributes": {...},
"sublabels": {fn_sublabel: {"name": ..., "attributes": {...}}}}}``). With a mapping, a model label,
sublabel or attribute missing from it is dropped; ``attributes``/``sublabels`` left as None match by
identical name, as in CVAT's driver. Pre-filling follows CVAT's "Annotate" dialog; attribute pairs
must also pass the run-time compatibility rule (:func:`attribute_compatible`), and
:func:`match_problems` says what an edited pair would fail on.
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


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


def attribute_compatible(model_attr: Any, task_attr: Any) -> bool:
    """Whether a model attribute may feed a task attribute (the run-time rule of
    :class:`app.models.validation.OutputMapper`): same input type; select/radio with the same set of
    values; number with the same min/max/step."""
    model_type, task_type = _value(model_attr.input_type), _value(task_attr.input_type)
    if model_type != task_type:
        return False
    model_values = [str(v) for v in (getattr(model_attr, "values", None) or [])]
    task_values = [str(v) for v in task_attr.values]
    if task_type in ("select", "radio"):
        return sorted(model_values) == sorted(task_values)
    if task_type == "number":
        return model_values == task_values
    return True


def compatible_attributes(model_attr: Any, task_item: Label) -> list[Any]:
    """The attributes of a task label (or keypoint) a model attribute may be mapped to."""
    return [a for a in task_item.attributes if attribute_compatible(model_attr, a)]


def _match_attributes(model_item: Any, task_item: Label) -> dict[str, str]:
    """Model attribute -> same-named, compatible task attribute."""
    by_name = {a.name: a for a in task_item.attributes}
    result = {}
    for attribute in getattr(model_item, "attributes", None) or []:
        task_attr = by_name.get(attribute.name)
        if task_attr is not None and attribute_compatible(attribute, task_attr):
            result[attribute.name] = task_attr.name
    return result


def suggest_sublabel(model_sub: Any, task_sub: Label) -> SublabelMatch:
    """A keypoint pair with its attributes matched by name."""
    return SublabelMatch(task_sub.name, _match_attributes(model_sub, task_sub))


def match_problems(model_label: Any, task_label: Label, match: LabelMatch) -> list[str]:
    """Why a pair's attribute/keypoint mapping would stop the run (empty when it is fine): two model
    attributes on one task attribute, two keypoints on one task keypoint, task keypoints left without a
    model keypoint (CVAT requires complete skeletons), or an incompatible attribute pair."""
    problems = _attribute_problems(model_label, task_label, match.attributes, f"label {model_label.name!r}")
    if match.sublabels is None:
        return problems
    model_subs = {s.name: s for s in getattr(model_label, "sublabels", None) or []}
    used: dict[str, str] = {}
    for model_name, sub in match.sublabels.items():
        task_sub = task_label.sublabel(sub.name)
        if task_sub is None or model_name not in model_subs:
            problems.append(f"keypoint {model_name!r} of {model_label.name!r} -> {sub.name!r}: no such keypoint")
            continue
        if sub.name in used:
            problems.append(f"keypoints {used[sub.name]!r} and {model_name!r} of {model_label.name!r} both map to "
                            f"{sub.name!r}")
        used[sub.name] = model_name
        problems += _attribute_problems(model_subs[model_name], task_sub, sub.attributes,
                                        f"keypoint {model_name!r} of {model_label.name!r}")
    missing = [s.name for s in task_label.sublabels if s.name not in used]
    if missing:
        problems.append(f"task skeleton {task_label.name!r} keypoints without a model keypoint: {', '.join(missing)}")
    return problems


def _attribute_problems(model_item: Any, task_item: Label, attributes: dict[str, str] | None, desc: str) -> list[str]:
    if attributes is None:
        return []
    model_attrs = {a.name: a for a in getattr(model_item, "attributes", None) or []}
    task_attrs = {a.name: a for a in task_item.attributes}
    problems, used = [], {}
    for model_name, task_name in attributes.items():
        model_attr, task_attr = model_attrs.get(model_name), task_attrs.get(task_name)
        if model_attr is None or task_attr is None:
            problems.append(f"attribute {model_name!r} of {desc} -> {task_name!r}: no such attribute")
        elif not attribute_compatible(model_attr, task_attr):
            problems.append(f"attribute {model_name!r} of {desc} does not fit {task_name!r} (type or values differ)")
        elif task_name in used:
            problems.append(f"attributes {used[task_name]!r} and {model_name!r} of {desc} both map to {task_name!r}")
        used[task_name] = model_name
    return problems


def suggest_label(model_label: Any, task_label: Label) -> LabelMatch:
    """A pair with attributes and (skeleton <-> skeleton) keypoints matched by name."""
    sublabels = None
    if spec_type(model_label) == "skeleton" and task_label.type.value == "skeleton":
        sublabels = {}
        for model_sub in getattr(model_label, "sublabels", None) or []:
            task_sub = task_label.sublabel(model_sub.name)
            if task_sub is not None:
                sublabels[model_sub.name] = suggest_sublabel(model_sub, task_sub)
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

"""Matching a dataset's labels to a project's labels by name, with a report of what is unknown.

Labels are matched by name, skeleton keypoints by name inside their skeleton, attributes by name inside
their label. What the project lacks is listed in a :class:`LabelReport`; with ``create`` the missing
labels, keypoints and attributes are added to the project (inside the caller's transaction).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from app.domain.labels import Label
from app.formats.dataset import fresh_label
from app.storage.store import Project


@dataclass
class LabelReport:
    """What the dataset uses that the project does not have (names; attributes as ``label.attribute``)."""

    unknown_labels: list[str] = field(default_factory=list)
    unknown_sublabels: list[str] = field(default_factory=list)
    unknown_attributes: list[str] = field(default_factory=list)
    created: bool = False

    @property
    def clean(self) -> bool:
        return not (self.unknown_labels or self.unknown_sublabels or self.unknown_attributes)

    def describe(self) -> str:
        parts = []
        if self.unknown_labels:
            parts.append("labels " + ", ".join(repr(n) for n in self.unknown_labels))
        if self.unknown_sublabels:
            parts.append("skeleton keypoints " + ", ".join(repr(n) for n in self.unknown_sublabels))
        if self.unknown_attributes:
            parts.append("attributes " + ", ".join(repr(n) for n in self.unknown_attributes))
        if not parts:
            return "all labels and attributes are known to the project"
        verb = "were created in the project" if self.created else "are not in the project"
        return "; ".join(parts) + f" {verb}"


@dataclass
class LabelMap:
    """Dataset id → project id, for labels (and sublabels) and for attribute specs."""

    labels: dict[int, int] = field(default_factory=dict)
    attributes: dict[int, int] = field(default_factory=dict)


def compare_labels(project_labels: list[Label], dataset_labels: list[Label]) -> LabelReport:
    """The report of dataset labels/keypoints/attributes missing from the project (nothing is changed)."""
    report = LabelReport()
    by_name = {label.name: label for label in project_labels}
    for label in dataset_labels:
        target = by_name.get(label.name)
        if target is None:
            report.unknown_labels.append(label.name)
            continue
        _compare_one(label, target, report, label.name)
        for sub in label.sublabels:
            target_sub = target.sublabel(sub.name)
            if target_sub is None:
                report.unknown_sublabels.append(f"{label.name}.{sub.name}")
            else:
                _compare_one(sub, target_sub, report, f"{label.name}.{sub.name}")
    return report


def _compare_one(label: Label, target: Label, report: LabelReport, prefix: str) -> None:
    for spec in label.attributes:
        if target.attribute(spec.name) is None:
            report.unknown_attributes.append(f"{prefix}.{spec.name}")


def create_missing(project: Project, dataset_labels: list[Label], report: LabelReport) -> None:
    """Add what ``report`` lists to the project. Call inside ``project.transaction()``."""
    for label in dataset_labels:
        target = project.labels().by_name(label.name)
        if target is None:
            project.add_label(fresh_label(label))
            continue
        changed = False
        for spec in label.attributes:
            if target.attribute(spec.name) is None:
                new = copy.deepcopy(spec)
                new.id = None
                target.attributes.append(new)
                changed = True
        for sub in label.sublabels:
            target_sub = target.sublabel(sub.name)
            if target_sub is None:
                target.sublabels.append(fresh_label(sub))
                changed = True
        if changed:
            project.update_label(target)
        for sub in label.sublabels:
            _add_sub_attributes(project, target.name, sub)
    report.created = True


def _add_sub_attributes(project: Project, parent: str, sub: Label) -> None:
    target_sub = project.labels().by_name(parent).sublabel(sub.name)
    missing = [s for s in sub.attributes if target_sub.attribute(s.name) is None]
    if not missing:
        return
    for spec in missing:
        new = copy.deepcopy(spec)
        new.id = None
        target_sub.attributes.append(new)
    project.update_label(target_sub)


def build_map(project_labels: list[Label], dataset_labels: list[Label]) -> LabelMap:
    """Ids of everything that exists in both (run :func:`create_missing` first to cover the rest)."""
    result = LabelMap()
    by_name = {label.name: label for label in project_labels}
    for label in dataset_labels:
        target = by_name.get(label.name)
        if target is None:
            continue
        pairs = [(label, target)] + [(s, target.sublabel(s.name)) for s in label.sublabels]
        for src, dst in pairs:
            if dst is None:
                continue
            result.labels[src.id] = dst.id
            for spec in src.attributes:
                match = dst.attribute(spec.name)
                if match is not None:
                    result.attributes[spec.id] = match.id
    return result

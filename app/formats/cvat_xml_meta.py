"""The ``<meta>`` block of CVAT XML 1.1: labels (with attributes and skeletons) and task/job/project info."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label
from app.domain.labels_json import edges_from_svg
from app.formats.errors import FormatError
from app.formats.xmltree import Node

_STEP = re.compile(r"step\s*=\s*(\d+)")
_LIST_TYPES = (AttributeType.SELECT, AttributeType.RADIO, AttributeType.CHECKBOX, AttributeType.NUMBER)


def _values(text: str, input_type: AttributeType, warnings: list[str], where: str) -> list[str]:
    """CVAT separates values by newlines. Some hand-written files (Datumaro's tests) use spaces."""
    if "\n" in text.strip():
        return [v.strip() for v in text.split("\n") if v.strip() != ""]
    text = text.strip()
    if not text:
        return []
    if input_type in _LIST_TYPES and len(text.split()) > 1:
        warnings.append(f"{where}: attribute values separated by spaces, read as {text.split()}")
        return text.split()
    return [text]


def _attribute(node: Node, file: Path, warnings: list[str]) -> AttributeSpec:
    name = node.findtext("name")
    if not name:
        raise FormatError(file, node.where(), "an attribute has no <name>")
    raw_type = node.findtext("input_type", "text").lower() or "text"
    try:
        input_type = AttributeType(raw_type)
    except ValueError:
        raise FormatError(file, node.where(), f"attribute {name!r} has unknown input_type {raw_type!r}") from None
    values_node = node.find("values")
    values = _values(values_node.text if values_node is not None else "", input_type, warnings, node.where())
    mutable = node.findtext("mutable", "False").lower() in ("true", "1")
    return AttributeSpec(name=name, input_type=input_type, values=values,
                         default_value=node.findtext("default_value"), mutable=mutable)


def _label_type(node: Node, file: Path) -> LabelType:
    raw = node.findtext("type", "any").lower() or "any"
    if raw == "bbox":  # CVAT's docs name it so; the files say "rectangle"
        raw = "rectangle"
    try:
        return LabelType(raw)
    except ValueError:
        raise FormatError(file, node.where(), f"label has unknown type {raw!r}") from None


def read_labels(labels_node: Node | None, file: Path, warnings: list[str]) -> list[Label]:
    """Top-level labels with their sublabels (skeleton keypoints) attached; ids are not assigned yet."""
    if labels_node is None:
        return []
    tops: list[Label] = []
    by_name: dict[str, Label] = {}
    pending: list[tuple[Node, Label, str]] = []
    svgs: dict[str, str] = {}
    for node in labels_node.findall("label"):
        name = node.findtext("name")
        if not name:
            raise FormatError(file, node.where(), "a label has no <name>")
        label = Label(name=name, color=node.findtext("color"), type=_label_type(node, file),
                      attributes=[_attribute(a, file, warnings)
                                  for a in (node.find("attributes") or Node("", {}, 0)).findall("attribute")])
        parent = node.findtext("parent")
        if parent:
            pending.append((node, label, parent))
            continue
        if name in by_name:
            raise FormatError(file, node.where(), f"label {name!r} is declared twice")
        by_name[name] = label
        tops.append(label)
        svg = node.find("svg")
        if svg is not None:
            svgs[name] = svg.text
    for node, label, parent in pending:
        owner = by_name.get(parent)
        if owner is None:
            raise FormatError(file, node.where(), f"sublabel {label.name!r} names a missing parent {parent!r}")
        if owner.sublabel(label.name) is not None:
            raise FormatError(file, node.where(), f"skeleton {parent!r} declares keypoint {label.name!r} twice")
        if label.type is LabelType.ANY:
            label.type = LabelType.POINTS
        owner.sublabels.append(label)
    for label in tops:
        if label.sublabels and label.type is not LabelType.SKELETON:
            label.type = LabelType.SKELETON
        if label.name in svgs and label.sublabels:
            label.edges = edges_from_svg(svgs[label.name], [s.name for s in label.sublabels])
    return tops


def _int(text: str, default: int | None = None) -> int | None:
    try:
        return int(text.strip())
    except (ValueError, AttributeError):
        return default


def _scope_info(node: Node) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for key in ("id", "name", "mode", "subset", "created", "updated", "bugtracker", "frame_filter"):
        value = node.findtext(key)
        if value:
            info[key] = value
    for key in ("size", "overlap", "start_frame", "stop_frame"):
        value = _int(node.findtext(key))
        if value is not None:
            info[key] = value
    size = node.find("original_size")
    if size is not None:
        info["original_size"] = (_int(size.findtext("width"), 0), _int(size.findtext("height"), 0))
    return info


def read_meta(root: Node, file: Path) -> tuple[list[Label], dict[str, Any]]:
    """Labels and a meta dict (scope, mode, name, frame range, step, subsets, source, original_size, tasks)."""
    warnings: list[str] = []
    meta: dict[str, Any] = {"format": "cvat", "version": root.findtext("version"), "warnings": warnings}
    meta_node = root.find("meta")
    if meta_node is None:
        warnings.append("the file has no <meta>: labels are taken from the annotations")
        return [], meta
    scope_node = next((meta_node.find(k) for k in ("job", "task", "project") if meta_node.find(k) is not None), None)
    labels_node = None
    if scope_node is not None:
        meta["scope"] = scope_node.tag
        meta.update(_scope_info(scope_node))
        labels_node = scope_node.find("labels")
        if scope_node.tag == "project":
            tasks = scope_node.find("tasks")
            meta["tasks"] = [_scope_info(t) for t in tasks.findall("task")] if tasks is not None else []
            subsets = scope_node.findtext("subsets")
            meta["subsets"] = [s.strip() for s in subsets.split("\n") if s.strip()]
            if labels_node is None and tasks is not None and tasks.find("task") is not None:
                labels_node = tasks.find("task").find("labels")
    step = _STEP.search(str(meta.get("frame_filter", "")))
    meta["frame_step"] = int(step.group(1)) if step else 1
    source = meta_node.findtext("source")
    if source:
        meta["source"] = source
    dumped = meta_node.findtext("dumped")
    if dumped:
        meta["dumped"] = dumped
    return read_labels(labels_node, file, warnings), meta

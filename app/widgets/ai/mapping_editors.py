"""Per-pair editors of the label matching dialog: model attribute -> task attribute, keypoint -> keypoint.

Each row is one model attribute (or skeleton keypoint) with a combo box of the task items it may map
to: only compatible attributes (same input type and values, see
:func:`app.models.label_matching.attribute_compatible`); any keypoint of the task skeleton. "(drop)"
leaves it unmapped.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from app.domain.labels import Label
from app.models.label_matching import SublabelMatch, compatible_attributes, suggest_sublabel

DROP = "(drop)"


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


class _PairTable(QTableWidget):
    """Two columns: a model item (read-only) and a combo box of targets."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([title, "Task"])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.combos: list[QComboBox] = []
        self.names: list[str] = []

    def _reset(self, rows: list[tuple[str, str, list[str], str | None]]) -> None:
        """rows: (model name, shown text, target names, chosen target or None)."""
        self.blockSignals(True)
        self.setRowCount(len(rows))
        self.combos, self.names = [], []
        for row, (name, text, targets, chosen) in enumerate(rows):
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.setItem(row, 0, item)
            combo = QComboBox()
            combo.addItem(DROP)
            for target in targets:
                combo.addItem(target, target)
            combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen is not None else 0)
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            self.setCellWidget(row, 1, combo)
            self.combos.append(combo)
            self.names.append(name)
        self.blockSignals(False)

    def chosen(self) -> dict[str, str]:
        return {name: combo.currentData() for name, combo in zip(self.names, self.combos)
                if combo.currentData() is not None}

    def choose(self, model_name: str, target: str | None) -> None:
        """Select ``target`` (None: drop) for a model item, as a user would."""
        combo = self.combos[self.names.index(model_name)]
        combo.setCurrentIndex(0 if target is None else combo.findData(target))

    def options(self, model_name: str) -> list[str]:
        combo = self.combos[self.names.index(model_name)]
        return [combo.itemText(i) for i in range(combo.count())]


class AttributeMapEditor(_PairTable):
    """Model attributes of one label (or keypoint) -> attributes of the chosen task label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model attribute", parent)

    def set_pair(self, model_item: Any, task_item: Label | None, attributes: dict[str, str] | None) -> None:
        rows = []
        for attr in getattr(model_item, "attributes", None) or []:
            targets = [a.name for a in compatible_attributes(attr, task_item)] if task_item is not None else []
            chosen = attr.name if attributes is None else attributes.get(attr.name)
            rows.append((attr.name, f"{attr.name} ({_value(attr.input_type)})", targets,
                         chosen if chosen in targets else None))
        self._reset(rows)

    def attributes(self) -> dict[str, str]:
        return self.chosen()


class KeypointMapEditor(_PairTable):
    """Keypoints of a model skeleton -> keypoints of the chosen task skeleton."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model keypoint", parent)
        self._model_subs: dict[str, Any] = {}
        self._task_label: Label | None = None
        self._previous: dict[str, SublabelMatch] = {}

    def set_pair(self, model_label: Any, task_label: Label | None, sublabels: dict[str, SublabelMatch] | None) -> None:
        self._model_subs = {s.name: s for s in getattr(model_label, "sublabels", None) or []}
        self._task_label = task_label
        self._previous = dict(sublabels or {})
        targets = [s.name for s in task_label.sublabels] if task_label is not None else []
        rows = []
        for name in self._model_subs:
            chosen = self._previous[name].name if name in self._previous else None
            rows.append((name, name, targets, chosen if chosen in targets else None))
        self._reset(rows)

    def sublabels(self) -> dict[str, SublabelMatch]:
        """The chosen pairs; a keypoint keeps its attribute mapping while its target is unchanged,
        otherwise its attributes are matched by name with the new target."""
        result = {}
        for model_name, target in self.chosen().items():
            previous = self._previous.get(model_name)
            if previous is not None and previous.name == target:
                result[model_name] = previous
            elif self._task_label is not None and self._task_label.sublabel(target) is not None:
                result[model_name] = suggest_sublabel(self._model_subs[model_name], self._task_label.sublabel(target))
        self._previous.update(result)  # later edits (keypoint attributes) apply to these objects
        return result

    def pair(self, row: int) -> tuple[Any, Label | None, SublabelMatch | None]:
        """(model keypoint, chosen task keypoint, its match) of a row."""
        name = self.names[row]
        match = self.sublabels().get(name)
        task_sub = self._task_label.sublabel(match.name) if match is not None and self._task_label else None
        return self._model_subs[name], task_sub, match

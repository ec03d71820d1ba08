"""SAM 3 in the Detectors tab and the Automatic annotation dialog: the per-label text prompts.

SAM 3 finds the task's own labels, so loading it needs the labels (read on the GUI thread, handed to
the worker) and the prompts the user edited (label name by default). :class:`PromptsDialog` edits
them in a table; :func:`loader` returns the worker-side loader for a model choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.widgets.ai.model_choice import Choice, load_choice

CONCEPT_TYPES = ("rectangle", "polygon", "mask", "any")


def is_sam3(choice: Choice | None) -> bool:
    target = choice.registration.target if choice is not None else ""
    return target.split(":", 1)[0].strip().lower() == "sam3" or target.lower().endswith(".safetensors")


def prompt_param(prompts: Mapping[str, str]) -> str:
    """The ``prompts`` parameter of :func:`app.models.sam3.concept.create` (only edited labels)."""
    return ";".join(f"{label}={text}" for label, text in prompts.items())


def loader(choice: Choice, labels: Sequence[Any], prompts: Mapping[str, str],
           cache: dict[Any, Any]) -> Callable[[], Any]:
    """The worker-side loader: the choice's function, with the task labels and prompts for SAM 3
    (cached per choice, labels and prompts, so an edited prompt loads a fresh function)."""
    if not is_sam3(choice):
        key: Any = choice.title
        extra: dict[str, Any] | None = None
    else:
        names = tuple((label.name, str(getattr(label.type, "value", label.type))) for label in labels)
        key = (choice.title, names, tuple(sorted(prompts.items())))
        extra = {"labels": list(labels), "prompts": prompt_param(prompts)}

    def load() -> Any:
        if key not in cache:
            cache[key] = load_choice(choice, extra)
        return cache[key]

    return load


class PromptsDialog(QDialog):
    """Label | type | prompt; the prompt cell is editable (empty = the label's name)."""

    def __init__(self, labels: Sequence[Any], prompts: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SAM 3 prompts")
        concepts = [lb for lb in labels if str(getattr(lb.type, "value", lb.type)) in CONCEPT_TYPES]
        self.table = QTableWidget(len(concepts), 3)
        self.table.setHorizontalHeaderLabels(["Label", "Type", "Text prompt"])
        for row, label in enumerate(concepts):
            for column, text in enumerate((label.name, str(getattr(label.type, "value", label.type)))):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~item.flags().ItemIsEditable)
                self.table.setItem(row, column, item)
            self.table.setItem(row, 2, QTableWidgetItem(prompts.get(label.name, label.name)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Each label is a text prompt: SAM 3 finds every instance of it. "
                                "Shapes follow the label's type."))
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def prompts(self) -> dict[str, str]:
        """Prompts that differ from the label's name."""
        out = {}
        for row in range(self.table.rowCount()):
            label, text = self.table.item(row, 0).text(), self.table.item(row, 2).text().strip()
            if text != label:
                out[label] = text
        return out

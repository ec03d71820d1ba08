"""Image adjustments panel: histogram equalization (global or CLAHE), brightness, contrast, gamma.

Display only: the canvas shows the adjusted frame, and keeps adjusting every following frame until
the adjustments are reset; tools get the raw frame unless they ask for the adjusted one.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QPushButton, QSlider, QWidget

from app.media.adjust import Adjustment, apply

if TYPE_CHECKING:
    from app.widgets.canvas.view import CanvasView


def _slider(lo: int, hi: int, value: int, parent: QWidget) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal, parent)
    slider.setRange(lo, hi)
    slider.setValue(value)
    return slider


class AdjustmentsPanel(QWidget):
    changed = Signal()

    def __init__(self, canvas: CanvasView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.equalize = QCheckBox("Histogram equalization", self)
        self.clahe = QCheckBox("Adaptive (CLAHE)", self)
        self.brightness = _slider(-100, 100, 0, self)
        self.contrast = _slider(20, 300, 100, self)  # percent
        self.gamma = _slider(20, 300, 100, self)  # percent
        reset = QPushButton("Reset", self)
        form = QFormLayout(self)
        form.addRow(self.equalize)
        form.addRow(self.clahe)
        form.addRow("Brightness", self.brightness)
        form.addRow("Contrast", self.contrast)
        form.addRow("Gamma", self.gamma)
        form.addRow(reset)
        for check in (self.equalize, self.clahe):
            check.toggled.connect(self._on_controls_changed)
        for slider in (self.brightness, self.contrast, self.gamma):
            slider.valueChanged.connect(self._on_controls_changed)
        reset.clicked.connect(self.reset)

    def adjustment(self) -> Adjustment:
        return Adjustment(equalize=self.equalize.isChecked(), clahe=self.clahe.isChecked(),
                          brightness=float(self.brightness.value()), contrast=self.contrast.value() / 100.0,
                          gamma=self.gamma.value() / 100.0)

    def set_adjustment(self, adjustment: Adjustment) -> None:
        for widget, value in ((self.equalize, adjustment.equalize), (self.clahe, adjustment.clahe)):
            widget.blockSignals(True)
            widget.setChecked(value)
            widget.blockSignals(False)
        for slider, value in ((self.brightness, adjustment.brightness), (self.contrast, adjustment.contrast * 100),
                              (self.gamma, adjustment.gamma * 100)):
            slider.blockSignals(True)
            slider.setValue(round(value))
            slider.blockSignals(False)
        self._on_controls_changed()

    def reset(self) -> None:
        self.set_adjustment(Adjustment())

    def _on_controls_changed(self) -> None:
        adjustment = self.adjustment()
        self.canvas.set_adjust(None if adjustment.is_identity() else partial(apply, adjustment=adjustment))
        self.changed.emit()

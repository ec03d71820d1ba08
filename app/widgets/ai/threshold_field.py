"""The confidence threshold of a run: "model default" or a value from 0 to 1 with three decimals.

A typed value is never turned into "model default" silently: the default is a separate check box, and
the label beside the box says which value the run will use."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget


class ThresholdField(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default_box = QCheckBox("Model default")
        self.default_box.setChecked(True)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(0.0, 1.0)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.05)
        self.spin.setValue(0.5)
        self.used = QLabel()
        self.used.setWordWrap(True)  # narrow docks: wrap rather than widen
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.default_box)
        layout.addWidget(self.spin)
        layout.addWidget(self.used, 1)
        self.default_box.toggled.connect(self._update)
        self.spin.valueChanged.connect(self._update)
        self._update()

    def value(self) -> float | None:
        """The threshold passed to the function: None for the model's default."""
        return None if self.default_box.isChecked() else round(self.spin.value(), 3)

    def set_value(self, value: float | None) -> None:
        self.default_box.setChecked(value is None)
        if value is not None:
            self.spin.setValue(value)

    def used_text(self) -> str:
        return self.used.text()

    def _update(self, *_args: object) -> None:
        value = self.value()
        self.spin.setEnabled(value is not None)
        self.used.setText("used: model default" if value is None else f"used: {value:.3f}")

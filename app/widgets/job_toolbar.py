"""The job window's tool bar: the tool and edit actions, and the small settings next to them
(frames to propagate to, the mask tool's brush size and mode, the shape fill opacity)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QSpinBox, QToolBar, QWidget

from app.tools.mask import MODES as MASK_MODES
from app.tools.mask import MaskTool


def _spin(parent: QWidget, low: int, high: int, value: int, prefix: str, suffix: str) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(low, high)
    box.setValue(value)
    box.setPrefix(prefix)
    box.setSuffix(suffix)
    return box


class JobToolBar(QToolBar):
    opacity_changed = Signal(float)  # the fill opacity chosen, 0..1

    def __init__(self, groups: Iterable[Iterable[QAction]], mask_tool: MaskTool, fill_opacity: float,
                 parent: QWidget | None = None) -> None:
        super().__init__("Tools", parent)
        self.setObjectName("tools")
        for group in groups:
            for action in group:
                self.addAction(action)
            self.addSeparator()
        self.mask_tool = mask_tool
        self.propagate_count = _spin(self, 1, 10000, 5, "propagate ", " frames")
        self.brush_size = _spin(self, 1, 500, mask_tool.size, "brush ", " px")
        self.brush_size.valueChanged.connect(lambda v: setattr(mask_tool, "size", v))
        self.mask_mode = QComboBox(self)
        self.mask_mode.addItems(list(MASK_MODES))
        self.mask_mode.currentTextChanged.connect(mask_tool.set_mode)
        mask_tool.options_changed.connect(self._sync_mask_widgets)
        self.opacity = _spin(self, 0, 100, round(fill_opacity * 100), "fill ", " %")
        self.opacity.valueChanged.connect(lambda percent: self.opacity_changed.emit(percent / 100))
        for widget in (self.propagate_count, self.brush_size, self.mask_mode, self.opacity):
            self.addWidget(widget)

    def _sync_mask_widgets(self, options: tuple[str, int]) -> None:
        """Follow the mask tool when its mode or size changes by key (E, [ and ])."""
        mode, size = options
        for widget in (self.brush_size, self.mask_mode):
            widget.blockSignals(True)
        self.brush_size.setValue(size)
        self.mask_mode.setCurrentText(mode)
        for widget in (self.brush_size, self.mask_mode):
            widget.blockSignals(False)

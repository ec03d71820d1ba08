"""Frame navigation under the canvas: previous/next, slider, frame number box and the frame's name."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QToolButton, QVBoxLayout, QWidget


class FrameBar(QWidget):
    frame_requested = Signal(int)
    step_requested = Signal(int)

    def __init__(self, frames: list[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames = frames
        self.previous = QToolButton(self)
        self.previous.setText("◀ D")
        self.next = QToolButton(self)
        self.next.setText("F ▶")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, max(len(frames) - 1, 0))
        self.spin = QSpinBox(self)
        self.spin.setRange(frames[0] if frames else 0, frames[-1] if frames else 0)
        self.name = QLabel(self)
        self.name.setMinimumWidth(160)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (self.previous, self.slider, self.next, self.spin, self.name):
            layout.addWidget(widget)
        self.previous.clicked.connect(lambda: self._request_index(self.slider.value() - 1))
        self.next.clicked.connect(lambda: self._request_index(self.slider.value() + 1))
        self.slider.valueChanged.connect(self._request_index)
        self.spin.editingFinished.connect(lambda: self.frame_requested.emit(self.spin.value()))

    def _request_index(self, index: int) -> None:
        if 0 <= index < len(self.frames) and self.frames[index] != self._shown:
            self.frame_requested.emit(self.frames[index])

    _shown = -1

    def show_frame(self, frame: int, name: str = "") -> None:
        self._shown = frame
        for widget, value in ((self.slider, self.frames.index(frame)), (self.spin, frame)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.name.setText(f"{frame}: {name}" if name else str(frame))

    @staticmethod
    def wrap(canvas: QWidget, bar: FrameBar) -> QWidget:
        host = QWidget()
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(canvas, 1)
        layout.addWidget(bar)
        return host

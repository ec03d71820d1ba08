"""Frame navigation under the canvas: previous/next, slider, frame number box and the frame's name."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QToolButton, QVBoxLayout, QWidget


class FrameBar(QWidget):
    frame_requested = Signal(int)
    step_requested = Signal(int)

    def __init__(self, frames: list[int], parent: QWidget | None = None, numbers: list[int] | None = None) -> None:
        """``frames`` are task frame numbers in job order; ``numbers`` what the user sees for each
        (default: the frames themselves; honeypot jobs show consecutive numbers instead)."""
        super().__init__(parent)
        self.frames = frames
        self.numbers = list(numbers) if numbers is not None else list(frames)
        self.previous = QToolButton(self)
        self.previous.setText("◀ D")
        self.next = QToolButton(self)
        self.next.setText("F ▶")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, max(len(frames) - 1, 0))
        self.spin = QSpinBox(self)
        self.spin.setRange(min(self.numbers, default=0), max(self.numbers, default=0))
        self.name = QLabel(self)
        self.name.setMinimumWidth(160)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (self.previous, self.slider, self.next, self.spin, self.name):
            layout.addWidget(widget)
        self.previous.clicked.connect(lambda: self._request_index(self.slider.value() - 1))
        self.next.clicked.connect(lambda: self._request_index(self.slider.value() + 1))
        self.slider.valueChanged.connect(self._request_index)
        self.spin.editingFinished.connect(self._request_number)

    def frame_for_number(self, number: int) -> int | None:
        """The task frame shown as ``number``, if any."""
        try:
            return self.frames[self.numbers.index(number)]
        except ValueError:
            return None

    def number_of(self, frame: int) -> int:
        return self.numbers[self.frames.index(frame)]

    def _request_number(self) -> None:
        frame = self.frame_for_number(self.spin.value())
        if frame is not None and frame != self._shown:
            self.frame_requested.emit(frame)

    def _request_index(self, index: int) -> None:
        if 0 <= index < len(self.frames) and self.frames[index] != self._shown:
            self.frame_requested.emit(self.frames[index])

    _shown = -1

    def show_frame(self, frame: int, name: str = "") -> None:
        self._shown = frame
        index = self.frames.index(frame)
        number = self.numbers[index]
        for widget, value in ((self.slider, index), (self.spin, number)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.name.setText(f"{number}: {name}" if name else str(number))

    @staticmethod
    def wrap(canvas: QWidget, bar: FrameBar) -> QWidget:
        host = QWidget()
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(canvas, 1)
        layout.addWidget(bar)
        return host

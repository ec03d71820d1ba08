"""The merge dialog's canvas: one conflicting object's two versions (the package's and the project's) drawn
over the frame they are on, each in its own colour, with what differs written below. Read-only: the
choice is made in the dialog's table and applied by the merge core (:func:`app.packages.merge.apply_merge`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.domain.annotations import Shape, Tag, Track
from app.domain.interpolation import shape_at
from app.storage.store import Project
from app.widgets.canvas.overlay import draw_shape

PACKAGE_COLOR = QColor("#e67e22")  # orange: the field work
PROJECT_COLOR = QColor("#2e86c1")  # blue: what the project has
Obj = Shape | Track | Tag


def drawable(obj: Obj | None, frame: int) -> Shape | None:
    """What to draw of an object on ``frame``: a shape as it is, a track's state there, nothing for a tag."""
    if isinstance(obj, Shape):
        return obj
    if isinstance(obj, Track):
        state = shape_at(obj, frame)
        if state is None or state.outside:
            return None
        return Shape(state.type, frame, obj.label_id, list(state.points), rotation=state.rotation,
                     occluded=state.occluded)
    return None


def describe(obj: Obj | None, project: Project) -> str:
    """One line: the object's label, geometry size and attributes (or that it was deleted)."""
    if obj is None:
        return "deleted"
    label = project.labels().get(obj.label_id)
    name = label.name if label is not None else f"label #{obj.label_id}"
    labels = project.labels()

    def spec_name(spec_id: int) -> str:
        spec = labels.attribute_spec(int(spec_id))
        return spec.name if spec is not None else f"#{spec_id}"

    attrs = ", ".join(f"{spec_name(k)}={v}" for k, v in sorted(obj.attributes.items()))
    if isinstance(obj, Shape):
        what = f"{obj.type.value}, {len(obj.points) // 2} points"
    elif isinstance(obj, Track):
        what = f"track, {len(obj.shapes)} keyframes"
    else:
        what = "tag"
    return f"{name} ({what})" + (f"; {attrs}" if attrs else "")


class ConflictCanvas(QWidget):
    """The frame image fitted into the widget and the two versions drawn on it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.shapes: list[tuple[Shape, QColor]] = []
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, rgb: np.ndarray | None, package: Shape | None, project: Shape | None) -> None:
        if rgb is None:
            self.image = None
        else:
            rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
            h, w = rgb.shape[:2]
            self.image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.shapes = [(s, c) for s, c in ((project, PROJECT_COLOR), (package, PACKAGE_COLOR)) if s is not None]
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202020"))
        if self.image is None and not self.shapes:
            painter.end()
            return
        if self.image is not None:
            w, h = self.image.width(), self.image.height()
        else:  # no image: fit the shapes themselves
            xs = [x for s, _ in self.shapes for x in s.points[0::2]] or [1.0]
            ys = [y for s, _ in self.shapes for y in s.points[1::2]] or [1.0]
            w, h = max(xs) + 10, max(ys) + 10
        scale = min(self.width() / max(w, 1), self.height() / max(h, 1))
        painter.translate((self.width() - w * scale) / 2, (self.height() - h * scale) / 2)
        painter.scale(scale, scale)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.image is not None:
            painter.drawImage(QRectF(0, 0, w, h), self.image)
        for shape, color in self.shapes:
            draw_shape(painter, shape, color, scale, opacity=0.25, selected=False)
        painter.end()


class ConflictView(QWidget):
    """The canvas with a legend: what each side holds for the selected conflict."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = ConflictCanvas()
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.legend)

    def show_conflict(self, project: Project, conflict: dict[str, Any], package_obj: Obj | None,
                      project_obj: Obj | None, rgb: np.ndarray | None) -> None:
        frame = int(conflict["frame"])
        self.canvas.show_frame(rgb, drawable(package_obj, frame), drawable(project_obj, frame))
        self.legend.setText(
            f"Frame {frame}, {conflict['kind']} {conflict['uid'][:8]}: {conflict['what']}<br>"
            f"<span style='color:{PACKAGE_COLOR.name()}'>■ package</span>: {describe(package_obj, project)}<br>"
            f"<span style='color:{PROJECT_COLOR.name()}'>■ project</span>: {describe(project_obj, project)}")

"""QPainter drawing of the few things on top of the cached layers: selected and hovered objects with
their handles, and the active tool's preview. Painted in image coordinates with cosmetic pens, so
lines stay one or two screen pixels wide (crisp) at every zoom.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPolygonF

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import editable_vertices, outline, rotation_handle
from app.domain.mask import points_to_crop
from app.tools.base import Preview

HANDLE_PX = 7.0


def _pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


def _polygon(xy: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in xy])


def draw_shape(painter: QPainter, shape: Shape, color: QColor, scale: float, *, opacity: float,
               selected: bool, edges: list[tuple[int, int]] | None = None) -> None:
    """One object, highlighted when ``selected`` (thicker outline, handles)."""
    fill = QColor(color)
    fill.setAlphaF(min(1.0, opacity + (0.15 if selected else 0.0)))
    painter.setPen(_pen(QColor("white") if selected else color, 2.5 if selected else 1.5))
    painter.setBrush(QBrush(fill))
    t = shape.type
    if t is ShapeType.MASK:
        draw_mask(painter, shape, color, opacity)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(_pen(QColor("white"), 1.5, Qt.PenStyle.DashLine))
        painter.drawPolygon(_polygon(outline(shape)))
    elif t in (ShapeType.POINTS, ShapeType.SKELETON):
        _draw_points(painter, shape, color, scale, edges or [])
    elif t in (ShapeType.POLYLINE, ShapeType.CUBOID):
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(_polygon(outline(shape)))
    else:
        painter.drawPolygon(_polygon(outline(shape)))
    if selected:
        draw_handles(painter, shape, scale)


def _draw_points(painter: QPainter, shape: Shape, color: QColor, scale: float, edges: list[tuple[int, int]]) -> None:
    if shape.type is ShapeType.SKELETON:
        pts = [(e.points[0], e.points[1], e.outside, e.occluded) for e in shape.elements if len(e.points) >= 2]
    else:
        pts = [(shape.points[i], shape.points[i + 1], False, shape.occluded)
               for i in range(0, len(shape.points) - 1, 2)]
    painter.setPen(_pen(color, 1.5))
    for a, b in edges:
        if a < len(pts) and b < len(pts):
            style = Qt.PenStyle.DashLine if pts[a][2] or pts[b][2] else Qt.PenStyle.SolidLine
            painter.setPen(_pen(color, 1.5, style))
            painter.drawLine(QPointF(pts[a][0], pts[a][1]), QPointF(pts[b][0], pts[b][1]))
    r = 4.0 / max(scale, 1e-6)
    for x, y, out, occluded in pts:
        painter.setPen(_pen(QColor("black"), 1, Qt.PenStyle.DotLine if occluded else Qt.PenStyle.SolidLine))
        painter.setBrush(Qt.BrushStyle.NoBrush if out else QBrush(color))
        painter.drawEllipse(QPointF(x, y), r, r)


def draw_handles(painter: QPainter, shape: Shape, scale: float) -> None:
    s = HANDLE_PX / max(scale, 1e-6)
    painter.setPen(_pen(QColor("black"), 1))
    painter.setBrush(QBrush(QColor("white")))
    for x, y in editable_vertices(shape):
        painter.drawRect(QRectF(x - s / 2, y - s / 2, s, s))
    handle = rotation_handle(shape, scale)
    if handle is not None:
        painter.setBrush(QBrush(QColor("#ffcc33")))
        painter.drawEllipse(QPointF(*handle), s / 2, s / 2)


def mask_image(bitmap: np.ndarray, color: QColor, opacity: float) -> QImage:
    """An indexed QImage over a uint8/bool bitmap (0 transparent, 1 the colour) without a pixel copy."""
    data = np.ascontiguousarray(bitmap, dtype=np.uint8)
    image = QImage(data.data, data.shape[1], data.shape[0], data.strides[0], QImage.Format.Format_Indexed8)
    fill = QColor(color)
    fill.setAlphaF(max(0.25, min(1.0, opacity + 0.2)))
    image.setColorTable([0, fill.rgba()] + [fill.rgba()] * 254)
    image._keep = data  # type: ignore[attr-defined]  # the buffer must outlive the QImage
    return image


def draw_mask(painter: QPainter, shape: Shape, color: QColor, opacity: float) -> None:
    crop, left, top = points_to_crop(shape.points)
    h, w = crop.shape
    painter.drawImage(QRectF(left, top, w, h), mask_image(crop, color, opacity))


def draw_preview(painter: QPainter, preview: Preview, color: QColor, scale: float, opacity: float,
                 edges: dict[int, list[tuple[int, int]]]) -> None:
    mask = preview.extra.get("mask")
    if mask is not None:
        bitmap = mask["bitmap"]
        painter.drawImage(QRectF(0, 0, bitmap.shape[1], bitmap.shape[0]),
                          mask_image(bitmap, QColor(mask.get("color", color.name())), opacity))
    for shape in preview.shapes:
        draw_shape(painter, shape, color, scale, opacity=opacity, selected=bool(preview.extra.get("selected")),
                   edges=edges.get(shape.label_id))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if preview.box is not None:
        x1, y1, x2, y2 = preview.box
        painter.setPen(_pen(color, 1.5, Qt.PenStyle.DashLine))
        painter.drawRect(QRectF(QPointF(min(x1, x2), min(y1, y2)), QPointF(max(x1, x2), max(y1, y2))))
    for (x1, y1, x2, y2), positive in preview.extra.get("exemplars", ()):  # SAM 3 example boxes
        painter.setPen(_pen(QColor("#24b353" if positive else "#fa3253"), 2.0))
        painter.drawRect(QRectF(QPointF(x1, y1), QPointF(x2, y2)))
    if len(preview.polyline) >= 4:
        painter.setPen(_pen(color, 1.5))
        xy = np.asarray(preview.polyline).reshape(-1, 2)
        painter.drawPolyline(_polygon(xy))
    r = 3.5 / max(scale, 1e-6)
    colors = {"pos": QColor("#24b353"), "neg": QColor("#fa3253")}
    for x, y, role in preview.points:
        painter.setPen(_pen(QColor("black"), 1))
        painter.setBrush(QBrush(colors.get(role, color)))
        painter.drawEllipse(QPointF(x, y), r, r)


REFERENCE_COLOR = QColor("#ff2bd6")  # Ground Truth overlay: a colour no label palette default uses


def draw_reference(painter: QPainter, shape: Shape, scale: float, edges: list[tuple[int, int]] | None = None,
                   text: str = "GT") -> None:
    """A Ground Truth shape over the job's frame (review of a conflict): dashed outline, hatched fill
    and a ``GT`` tag, so it reads as "should be here" and not as one of the job's objects."""
    from app.domain.geometry import bbox  # local: only the overlay needs it

    color = REFERENCE_COLOR
    painter.save()
    if shape.type is ShapeType.MASK:
        draw_mask(painter, shape, color, 0.15)
    if shape.type in (ShapeType.POINTS, ShapeType.SKELETON):
        _draw_points(painter, shape, color, scale, edges or [])
    painter.setPen(_pen(color, 2.0, Qt.PenStyle.DashLine))
    if shape.type in (ShapeType.POLYLINE, ShapeType.CUBOID):
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(_polygon(outline(shape)))
    elif shape.type not in (ShapeType.POINTS, ShapeType.SKELETON):
        painter.setBrush(QBrush(color, Qt.BrushStyle.BDiagPattern))
        painter.drawPolygon(_polygon(outline(shape)))
    x1, y1, _x2, _y2 = bbox(shape)
    painter.translate(x1, y1)
    painter.scale(1 / max(scale, 1e-6), 1 / max(scale, 1e-6))  # the tag keeps its screen size at every zoom
    painter.setPen(QPen(QColor("black")))
    metrics = painter.fontMetrics()
    box = QRectF(0, -metrics.height() - 2, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
    painter.fillRect(box, color)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()

"""PySide6 6.12.0 on Python 3.11 dropped a reference to None on every void call and aborted the
interpreter after a few thousand. 6.11.3 is pinned; this test makes 10,000 such calls and checks
None's reference count did not move."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPolygonItem, QGraphicsScene

pytestmark = pytest.mark.gui


def test_ten_thousand_void_calls_keep_none_refcount(qapp) -> None:
    scene = QGraphicsScene()
    item = QGraphicsPolygonItem(QPolygonF())
    scene.addItem(item)
    pen, brush = QPen(QColor("red")), QBrush(Qt.BrushStyle.SolidPattern)
    before = sys.getrefcount(None)
    for _ in range(2500):
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        item.setPen(pen)
        item.setBrush(brush)
        item.setZValue(1.0)
    after = sys.getrefcount(None)
    assert abs(after - before) < 100, f"None refcount moved by {after - before}"

"""The frame image on the canvas: a lazily built pyramid (each level half the previous) drawn by
visible region only, so a 100-megapixel image opens at fit-to-window from a small level and pans at
1:1 by converting just the pixels on screen.

Zoomed out, the level just finer than the screen is sampled smoothly; zoomed in, pixels are drawn
as crisp squares (no smoothing).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter, QTransform

from app.widgets.canvas.shape_raster import View

MIN_LEVEL_SIDE = 256


class ImagePyramid:
    """Levels of an RGB uint8 image; level ``k`` is downscaled by ``2**k`` (INTER_AREA), built on demand."""

    def __init__(self, image: np.ndarray) -> None:
        self.levels: list[np.ndarray | None] = [np.ascontiguousarray(image)]
        h, w = image.shape[:2]
        self.width, self.height = w, h
        n = 1
        while max(w, h) >> n >= MIN_LEVEL_SIDE:
            n += 1
        self.levels += [None] * (n - 1)

    def level_for(self, scale: float) -> int:
        """The coarsest level whose resolution is still >= the screen's at ``scale``."""
        if scale >= 1.0:
            return 0
        k = int(math.floor(math.log2(1.0 / scale)))
        return max(0, min(k, len(self.levels) - 1))

    def level(self, k: int) -> np.ndarray:
        image = self.levels[k]
        if image is None:
            finer = self.level(k - 1)
            h, w = finer.shape[:2]
            image = cv2.resize(finer, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
            self.levels[k] = image
        return image

    def warm(self, scale: float) -> None:
        self.level(self.level_for(scale))


def draw_image(painter: QPainter, pyramid: ImagePyramid, scale: float, visible: QRectF) -> None:
    """Draw the part of the image inside ``visible`` (image coordinates) with the painter's transform."""
    k = pyramid.level_for(scale)
    image = pyramid.level(k)
    f = float(1 << k)
    lh, lw = image.shape[:2]
    x0 = max(int(math.floor(visible.left() / f)) - 1, 0)
    y0 = max(int(math.floor(visible.top() / f)) - 1, 0)
    x1 = min(int(math.ceil(visible.right() / f)) + 1, lw)
    y1 = min(int(math.ceil(visible.bottom() / f)) + 1, lh)
    if x1 <= x0 or y1 <= y0:
        return
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    qimage = QImage(crop.data, x1 - x0, y1 - y0, crop.strides[0], QImage.Format.Format_RGB888)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale * f < 1.0)
    painter.drawImage(QRectF(x0 * f, y0 * f, (x1 - x0) * f, (y1 - y0) * f), qimage)


def render_image(pyramid: ImagePyramid, view: View, buffer: np.ndarray) -> None:
    """Paint the image into an ARGB32-premultiplied ``buffer`` laid out by ``view`` (thread-safe:
    QImage painting works off the GUI thread)."""
    h, w = buffer.shape[:2]
    target = QImage(buffer.data, w, h, buffer.strides[0], QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(target)
    painter.setTransform(QTransform(view.scale, 0, 0, view.scale, view.dx, view.dy))
    x0, y0, x1, y1 = view.image_rect()
    visible = QRectF(max(x0, 0), max(y0, 0), min(x1, pyramid.width) - max(x0, 0),
                     min(y1, pyramid.height) - max(y0, 0))
    if visible.width() > 0 and visible.height() > 0:
        draw_image(painter, pyramid, view.scale, visible)
    painter.end()

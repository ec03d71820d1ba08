"""The frame image on the canvas: a lazily built pyramid (each level half the previous) drawn by
visible region only, so a 100-megapixel image opens at fit-to-window from a small level and pans at
1:1 by converting just the pixels on screen. Qt-free (numpy and OpenCV), so tiles can be rendered in
a worker thread.

Zoomed out, the level just finer than the screen is sampled bilinearly; zoomed in, pixels are drawn
as crisp squares (nearest neighbour).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from app.widgets.canvas.shape_raster import View

MIN_LEVEL_SIDE = 256
BGRA_LIMIT = 16_000_000  # levels up to this many pixels are kept as BGRA too (OpenCV warps 4 channels ~3x faster)


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
        self._bgra: dict[int, np.ndarray] = {}

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

    def bgra(self, k: int) -> np.ndarray | None:
        """Level ``k`` in the byte order of ARGB32 (B, G, R, 255), or None when it is too large to copy."""
        cached = self._bgra.get(k)
        if cached is None:
            image = self.level(k)
            if image.shape[0] * image.shape[1] > BGRA_LIMIT:
                return None
            cached = self._bgra[k] = cv2.cvtColor(image, cv2.COLOR_RGB2BGRA)
        return cached

    def warm(self, scale: float) -> None:
        self.level(self.level_for(scale))


def render_image(pyramid: ImagePyramid, view: View, buffer: np.ndarray) -> None:
    """Write the image into an ARGB32-premultiplied ``buffer`` (bytes B, G, R, A) laid out by ``view``.

    One ``cv2.warpAffine`` from the pyramid level just finer than the screen: bilinear when shrinking,
    nearest (crisp pixels) when enlarging. Pure OpenCV/numpy, so it also runs in the tile worker.
    """
    h, w = buffer.shape[:2]
    x0, y0 = max(0, math.floor(view.dx)), max(0, math.floor(view.dy))
    x1 = min(w, math.ceil(view.dx + pyramid.width * view.scale))
    y1 = min(h, math.ceil(view.dy + pyramid.height * view.scale))
    if x1 <= x0 or y1 <= y0:
        return
    k = pyramid.level_for(view.scale)
    s = view.scale * (1 << k)  # screen pixels per level pixel
    matrix = np.array([[1 / s, 0, (x0 + 0.5 - view.dx) / s - 0.5],
                       [0, 1 / s, (y0 + 0.5 - view.dy) / s - 0.5]], np.float64)
    flags = (cv2.INTER_NEAREST if s >= 1.0 else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    bgra = pyramid.bgra(k)
    if bgra is not None:
        buffer[y0:y1, x0:x1] = cv2.warpAffine(bgra, matrix, (x1 - x0, y1 - y0), flags=flags,
                                              borderMode=cv2.BORDER_REPLICATE)
        return
    rgb = cv2.warpAffine(pyramid.level(k), matrix, (x1 - x0, y1 - y0), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    buffer[y0:y1, x0:x1] = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA)

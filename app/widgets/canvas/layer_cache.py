"""A tiled, screen-aligned cache of one canvas layer (the image, or the unselected shapes).

Tiles of ``TILE`` x ``TILE`` screen pixels are rendered at the view's scale on demand and kept
(least recently used first out). Then:

- panning at the same scale blits the cached tiles and renders only the tiles newly exposed;
- a zoom step draws the cached tiles scaled (nearest, fast) and the owner re-renders crisply when
  the zoom settles (:meth:`exact` says whether the cache matches the view's scale);
- a change of a few objects re-renders only the tile regions their boxes cover.

Tiles are anchored to the screen position the image had when the scale was set, so a pan (an
integer number of screen pixels) keeps them pixel-aligned.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from app.widgets.canvas.shape_raster import View

TILE = 512
MAX_TILES = 96  # 96 MiB of RGBA at most per layer
Renderer = Callable[[View, np.ndarray], None]  # draws into a zeroed (h, w, 4) buffer


class LayerCache:
    def __init__(self, render: Renderer, fmt: QImage.Format, render_region: Renderer | None = None) -> None:
        self.render = render
        self.render_region = render_region or render
        self.format = fmt
        self.tiles: OrderedDict[tuple[int, int], tuple[np.ndarray, QImage]] = OrderedDict()
        self.key: object = None
        self.scale = 0.0
        self.dx0 = self.dy0 = 0.0
        self.rendered = 0  # tiles rendered so far (for tests and benchmarks)

    @property
    def empty(self) -> bool:
        return not self.tiles and self.scale == 0.0

    def invalidate(self) -> None:
        self.tiles.clear()
        self.scale = 0.0

    def reset(self, view: View, key: object) -> None:
        """Anchor the cache to ``view``'s scale and position; every tile will be rendered afresh."""
        self.tiles.clear()
        self.key = key
        self.scale, self.dx0, self.dy0 = view.scale, view.dx, view.dy

    def exact(self, view: View) -> bool:
        """Whether the cache's tiles are pixel-aligned with ``view`` (same scale, integer pan)."""
        if self.scale == 0.0 or abs(view.scale - self.scale) > 1e-9 * max(1.0, view.scale):
            return False
        ddx, ddy = view.dx - self.dx0, view.dy - self.dy0
        return abs(ddx - round(ddx)) <= 1e-3 and abs(ddy - round(ddy)) <= 1e-3

    # ------------------------------------------------------------ tiles

    def _render_rows(self, missing: list[tuple[int, int]]) -> None:
        """Render missing tiles one row-run at a time (a single render call per run, then sliced),
        which costs far less than a call per tile when a whole screen is new."""
        by_row: dict[int, list[int]] = {}
        for tx, ty in missing:
            by_row.setdefault(ty, []).append(tx)
        for ty, txs in by_row.items():
            txs.sort()
            runs: list[list[int]] = [[txs[0]]]
            for tx in txs[1:]:
                if tx == runs[-1][-1] + 1:
                    runs[-1].append(tx)
                else:
                    runs.append([tx])
            for run in runs:
                width = TILE * len(run)
                strip = np.zeros((TILE, width, 4), np.uint8)
                self.render(View(self.scale, self.dx0 - run[0] * TILE, self.dy0 - ty * TILE, width, TILE), strip)
                for i, tx in enumerate(run):
                    buffer = np.ascontiguousarray(strip[:, i * TILE : (i + 1) * TILE])
                    image = QImage(buffer.data, TILE, TILE, buffer.strides[0], self.format)
                    self.tiles[(tx, ty)] = (buffer, image)
                    self.rendered += 1
        while len(self.tiles) > MAX_TILES:
            self.tiles.popitem(last=False)

    def _visible_tiles(self, view: View, image_size: tuple[int, int]) -> list[tuple[int, int]]:
        """Tiles (in anchor space) that the viewport shows and the image covers."""
        offx, offy = round(view.dx - self.dx0), round(view.dy - self.dy0)
        iw, ih = image_size
        x0 = max(-offx, math.floor(self.dx0))
        y0 = max(-offy, math.floor(self.dy0))
        x1 = min(view.width - offx, math.ceil(self.dx0 + iw * self.scale))
        y1 = min(view.height - offy, math.ceil(self.dy0 + ih * self.scale))
        if x1 <= x0 or y1 <= y0:
            return []
        return [(tx, ty) for ty in range(y0 // TILE, (y1 - 1) // TILE + 1)
                for tx in range(x0 // TILE, (x1 - 1) // TILE + 1)]

    def draw(self, painter: QPainter, view: View, image_size: tuple[int, int]) -> None:
        """Blit the tiles (rendering missing ones) when exact, else draw the cached ones scaled.
        The painter is in screen coordinates."""
        if self.scale == 0.0:
            return
        if self.exact(view):
            offx, offy = round(view.dx - self.dx0), round(view.dy - self.dy0)
            visible = self._visible_tiles(view, image_size)
            missing = [t for t in visible if t not in self.tiles]
            if missing:
                self._render_rows(missing)
            for tx, ty in visible:
                self.tiles.move_to_end((tx, ty))
                painter.drawImage(tx * TILE + offx, ty * TILE + offy, self.tiles[(tx, ty)][1])
            return
        factor = view.scale / self.scale
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for (tx, ty), (_buffer, image) in self.tiles.items():
            # Tile origin in image coordinates, then on the current screen.
            ix, iy = (tx * TILE - self.dx0) / self.scale, (ty * TILE - self.dy0) / self.scale
            sx, sy = ix * view.scale + view.dx, iy * view.scale + view.dy
            painter.drawImage(QRectF(sx, sy, TILE * factor, TILE * factor), image)

    def update_regions(self, boxes: Iterable[tuple[float, float, float, float]], key: object, pad: float = 6.0) -> None:
        """Re-render the cached tiles where ``boxes`` (image coordinates) fall, ``pad`` screen pixels wider."""
        self.key = key
        s = self.scale
        for x0, y0, x1, y1 in boxes:
            ax0, ay0 = math.floor(x0 * s + self.dx0 - pad), math.floor(y0 * s + self.dy0 - pad)
            ax1, ay1 = math.ceil(x1 * s + self.dx0 + pad), math.ceil(y1 * s + self.dy0 + pad)
            for (tx, ty), (buffer, _image) in self.tiles.items():
                rx0, ry0 = max(ax0 - tx * TILE, 0), max(ay0 - ty * TILE, 0)
                rx1, ry1 = min(ax1 - tx * TILE, TILE), min(ay1 - ty * TILE, TILE)
                if rx1 <= rx0 or ry1 <= ry0:
                    continue
                region = buffer[ry0:ry1, rx0:rx1]
                region[:] = 0
                self.render_region(View(s, self.dx0 - tx * TILE - rx0, self.dy0 - ty * TILE - ry0,
                                        rx1 - rx0, ry1 - ry0), region)

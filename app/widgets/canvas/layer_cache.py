"""A tiled, screen-aligned cache of one canvas layer (the image, or the unselected shapes).

Tiles of ``TILE`` x ``TILE`` screen pixels are rendered at the view's scale and kept (least recently
used first out). Then:

- panning at the same scale blits the cached tiles and renders only the tiles newly exposed;
- a zoom step draws the cached tiles scaled (nearest, fast) and the owner re-anchors the cache when
  the zoom settles (:meth:`exact` says whether the cache matches the view's scale);
- a change of a few objects re-renders only the tile regions their boxes cover (on the GUI thread:
  it is small);
- when many tiles are missing (a settled zoom, a new frame, a long pan) they are rendered in a
  worker thread, a row-run per render call, while the previous tiles are shown scaled as
  placeholders; results that arrive after the cache moved on are dropped. OpenCV and QImage
  painting release the GIL, so the GUI thread keeps running.

Tiles are anchored to the screen position the image had when the scale was set, so a pan (an
integer number of screen pixels) keeps them pixel-aligned.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future

import numpy as np
from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QImage, QPainter

from app.widgets.canvas.shape_raster import View

TILE = 512
MAX_TILES = 96  # 96 MiB of RGBA at most per layer
SYNC_TILES = 2  # this many missing tiles or fewer are rendered at once on the GUI thread
Renderer = Callable[[View, np.ndarray], None]  # draws into a zeroed (h, w, 4) buffer
Tile = tuple[np.ndarray, QImage]


class _Relay(QObject):
    done = Signal(object)


def render_runs(render: Renderer, runs: list[tuple[int, list[int]]], scale: float, dx0: float,
                dy0: float) -> list[tuple[tuple[int, int], np.ndarray]]:
    """Render row-runs of tiles (one render call per run, then sliced into tiles)."""
    out = []
    for ty, run in runs:
        width = TILE * len(run)
        strip = np.zeros((TILE, width, 4), np.uint8)
        render(View(scale, dx0 - run[0] * TILE, dy0 - ty * TILE, width, TILE), strip)
        for i, tx in enumerate(run):
            out.append(((tx, ty), np.ascontiguousarray(strip[:, i * TILE : (i + 1) * TILE])))
    return out


def row_runs(tiles: Iterable[tuple[int, int]]) -> list[tuple[int, list[int]]]:
    by_row: dict[int, list[int]] = {}
    for tx, ty in tiles:
        by_row.setdefault(ty, []).append(tx)
    runs: list[tuple[int, list[int]]] = []
    for ty, txs in sorted(by_row.items()):
        txs.sort()
        current = [txs[0]]
        for tx in txs[1:]:
            if tx == current[-1] + 1:
                current.append(tx)
            else:
                runs.append((ty, current))
                current = [tx]
        runs.append((ty, current))
    return runs


class LayerCache:
    def __init__(self, render_factory: Callable[[], Renderer], fmt: QImage.Format, render_region: Renderer,
                 executor: Executor | None = None, on_ready: Callable[[], None] | None = None) -> None:
        self.render_factory = render_factory  # called on the GUI thread: a renderer over a snapshot
        self.render_region = render_region
        self.format = fmt
        self.executor = executor
        self.on_ready = on_ready
        self.tiles: OrderedDict[tuple[int, int], Tile] = OrderedDict()
        self.previous: tuple[list[tuple[tuple[int, int], Tile]], float, float, float] | None = None
        self.pending: set[tuple[int, int]] = set()
        self.futures: list[Future] = []
        self.version = 0
        self.key: object = None
        self.scale = 0.0
        self.dx0 = self.dy0 = 0.0
        self.rendered = 0  # tiles rendered so far (for tests and benchmarks)
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)

    @property
    def empty(self) -> bool:
        return self.scale == 0.0

    def invalidate(self) -> None:
        self.tiles.clear()
        self.pending.clear()
        self.previous = None
        self.version += 1
        self.scale = 0.0

    def reset(self, view: View, key: object, *, keep_placeholders: bool = False) -> None:
        """Anchor the cache to ``view``'s scale and position; every tile will be rendered afresh.
        With ``keep_placeholders`` the old tiles are drawn scaled until the new ones are ready."""
        if keep_placeholders and self.tiles and self.scale:
            self.previous = (list(self.tiles.items()), self.scale, self.dx0, self.dy0)
        elif not keep_placeholders:
            self.previous = None
        self.tiles.clear()
        self.pending.clear()
        self.version += 1
        self.key = key
        self.scale, self.dx0, self.dy0 = view.scale, view.dx, view.dy

    def exact(self, view: View) -> bool:
        """Whether the cache's tiles are pixel-aligned with ``view`` (same scale, integer pan)."""
        if self.scale == 0.0 or abs(view.scale - self.scale) > 1e-9 * max(1.0, view.scale):
            return False
        ddx, ddy = view.dx - self.dx0, view.dy - self.dy0
        return abs(ddx - round(ddx)) <= 1e-3 and abs(ddy - round(ddy)) <= 1e-3

    # ------------------------------------------------------------ tiles

    def _store(self, rendered: list[tuple[tuple[int, int], np.ndarray]]) -> None:
        for key, buffer in rendered:
            self.tiles[key] = (buffer, QImage(buffer.data, TILE, TILE, buffer.strides[0], self.format))
            self.pending.discard(key)
            self.rendered += 1
        while len(self.tiles) > MAX_TILES:
            self.tiles.popitem(last=False)
        if not self.pending:
            self.previous = None

    def _request(self, missing: list[tuple[int, int]]) -> None:
        runs = row_runs(missing)
        render = self.render_factory()
        if self.executor is None or len(missing) <= SYNC_TILES:
            self._store(render_runs(render, runs, self.scale, self.dx0, self.dy0))
            return
        fresh = [t for t in missing if t not in self.pending]
        if not fresh:
            return
        self.pending.update(fresh)
        version, scale, dx0, dy0 = self.version, self.scale, self.dx0, self.dy0
        relay = self._relay

        def job() -> None:
            relay.done.emit((version, render_runs(render, row_runs(fresh), scale, dx0, dy0)))

        future = self.executor.submit(job)
        self.futures = [f for f in self.futures if not f.done()] + [future]

    def _on_done(self, payload: tuple[int, list[tuple[tuple[int, int], np.ndarray]]]) -> None:
        version, rendered = payload
        if version != self.version:  # the cache moved on (zoom, edit, new frame): drop
            for key, _ in rendered:
                self.pending.discard(key)
        else:
            self._store(rendered)
        if self.on_ready is not None:
            self.on_ready()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait for background renders and apply them (tests, screenshots, benchmarks)."""
        from PySide6.QtCore import QCoreApplication

        for future in list(self.futures):
            future.result(timeout=timeout)
        QCoreApplication.processEvents()

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

    def _draw_scaled(self, painter: QPainter, view: View, tiles: Iterable[tuple[tuple[int, int], Tile]],
                     scale: float, dx0: float, dy0: float) -> None:
        factor = view.scale / scale
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for (tx, ty), (_buffer, image) in tiles:
            ix, iy = (tx * TILE - dx0) / scale, (ty * TILE - dy0) / scale
            sx, sy = ix * view.scale + view.dx, iy * view.scale + view.dy
            painter.drawImage(QRectF(sx, sy, TILE * factor, TILE * factor), image)

    def draw(self, painter: QPainter, view: View, image_size: tuple[int, int]) -> None:
        """Blit the tiles (requesting missing ones) when exact, else draw the cached ones scaled.
        The painter is in screen coordinates."""
        if self.scale == 0.0:
            return
        if not self.exact(view):
            self._draw_scaled(painter, view, self.tiles.items(), self.scale, self.dx0, self.dy0)
            return
        offx, offy = round(view.dx - self.dx0), round(view.dy - self.dy0)
        visible = self._visible_tiles(view, image_size)
        missing = [t for t in visible if t not in self.tiles]
        if missing:
            self._request(missing)
        if self.previous is not None and any(t not in self.tiles for t in visible):
            self._draw_scaled(painter, view, *self.previous)
        for key in visible:
            tile = self.tiles.get(key)
            if tile is not None:
                self.tiles.move_to_end(key)
                painter.drawImage(key[0] * TILE + offx, key[1] * TILE + offy, tile[1])

    def update_regions(self, boxes: Iterable[tuple[float, float, float, float]], key: object, pad: float = 6.0) -> None:
        """Re-render the cached tiles where ``boxes`` (image coordinates) fall, ``pad`` screen pixels wider."""
        self.key = key
        self.version += 1  # tiles rendering in the background would miss this change
        self.pending.clear()
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

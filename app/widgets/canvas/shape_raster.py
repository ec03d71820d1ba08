"""Rasterises the frame's unselected shapes into one premultiplied RGBA layer with OpenCV (no Qt).

Painting thousands of antialiased polygons with QPainter costs ~0.1 ms each on a weak CPU, so the
canvas draws the bulk of the shapes here instead: vertices of all objects live in one array,
transformed to screen space in one numpy operation, culled by their boxes and filled/outlined per
colour with ``cv2.fillPoly``/``cv2.polylines``. Level of detail: objects smaller than two screen
pixels become dots, and outlines lose antialiasing when many objects are visible. Selected and
hovered objects are drawn on top by the widget with QPainter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.domain.enums import ShapeType
from app.domain.geometry import outline
from app.domain.mask import points_to_crop
from app.editing.frame_objects import FrameObject, ObjectKey

SHIFT = 3  # sub-pixel bits for cv2 drawing
AA_LIMIT = 400  # antialiased outlines up to this many visible objects
EXACT_LIMIT = 300  # up to this many visible objects are drawn one by one in exact z-order
DOT_PX = 2.0  # objects smaller than this on screen are drawn as a dot


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    if len(color) != 6:
        return (255, 255, 255)
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


@dataclass(frozen=True)
class View:
    """image -> screen: ``sx = x * scale + dx``; ``width, height`` of the screen layer."""

    scale: float
    dx: float
    dy: float
    width: int
    height: int

    def image_rect(self) -> tuple[float, float, float, float]:
        return (-self.dx / self.scale, -self.dy / self.scale,
                (self.width - self.dx) / self.scale, (self.height - self.dy) / self.scale)


@dataclass
class _Batch:
    keys: list[ObjectKey] = field(default_factory=list)
    verts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    color: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # index into palette
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    palette: list[tuple[int, int, int]] = field(default_factory=list)
    others: list[FrameObject] = field(default_factory=list)  # masks, points, skeletons
    ordered: list[FrameObject] = field(default_factory=list)  # every object, bottom to top
    all_boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))


class ShapeRaster:
    """Keeps per-frame render data (rebuilt when the objects change) and renders it for a view."""

    def __init__(self) -> None:
        self._revision: object = None
        self._batch = _Batch()  # replaced as a whole, so a render in a worker sees one consistent batch
        self._lock = threading.Lock()
        self._mask_cache: dict[tuple[ObjectKey, int], tuple[np.ndarray, int, int]] = {}
        self._colors: dict[int, str] = {}
        self._outlines: dict[ObjectKey, tuple[FrameObject, np.ndarray]] = {}
        self.skeleton_edges: dict[int, list[tuple[int, int]]] = {}  # skeleton label id -> joints

    def invalidate(self) -> None:
        """Force a rebuild on the next :meth:`prepare` (label colours changed)."""
        self._revision = None

    def prepare(self, objects: Iterable[FrameObject], revision: object, colors: dict[int, str]) -> None:
        """(Re)build the vertex arrays when ``revision`` changed; outlines of unchanged objects are reused."""
        with self._lock:
            if revision != self._revision:
                self._prepare(objects, colors)
                self._revision = revision

    def _prepare(self, objects: Iterable[FrameObject], colors: dict[int, str]) -> None:
        self._colors = colors
        palette_index: dict[str, int] = {}
        keys, chunks, closed, color_idx, boxes = [], [], [], [], []
        others: list[FrameObject] = []
        objects = list(objects)
        outlines: dict[ObjectKey, tuple[FrameObject, np.ndarray]] = {}
        for obj in objects:
            color = colors.get(obj.shape.label_id, "#ffffff")
            if color not in palette_index:
                palette_index[color] = len(palette_index)
            t = obj.shape.type
            if t in (ShapeType.MASK, ShapeType.POINTS, ShapeType.SKELETON):
                others.append(obj)
                continue
            cached = self._outlines.get(obj.key)
            xy = cached[1] if cached is not None and cached[0] is obj else outline(obj.shape)
            outlines[obj.key] = (obj, xy)
            if len(xy) < 2:
                continue
            keys.append(obj.key)
            chunks.append(xy)
            closed.append(t in (ShapeType.RECTANGLE, ShapeType.POLYGON, ShapeType.ELLIPSE))
            color_idx.append(palette_index[color])
            boxes.append(obj.box)
        self._outlines = outlines
        sizes = np.array([len(c) for c in chunks], np.int64)
        self._batch = _Batch(
            keys=keys,
            verts=np.concatenate(chunks) if chunks else np.zeros((0, 2)),
            starts=np.concatenate(([0], np.cumsum(sizes))),
            closed=np.array(closed, bool),
            color=np.array(color_idx, np.int32),
            boxes=np.array(boxes, np.float64).reshape(-1, 4),
            palette=[hex_to_rgb(c) for c in palette_index],
            others=others,
            ordered=objects,
            all_boxes=np.array([o.box for o in objects], np.float64).reshape(-1, 4),
        )
        live = {o.key for o in others}
        self._mask_cache = {k: v for k, v in self._mask_cache.items() if k[0] in live}

    def render(self, view: View, opacity: float, exclude: set[ObjectKey], out: np.ndarray | None = None) -> np.ndarray:
        """The layer for ``view``: (height, width, 4) uint8, RGBA premultiplied."""
        layer = out if out is not None else np.zeros((view.height, view.width, 4), np.uint8)
        if out is not None:
            layer[:] = 0
        batch = self._batch
        x0, y0, x1, y1 = view.image_rect()
        bx = batch.all_boxes
        visible = np.flatnonzero((bx[:, 2] >= x0) & (bx[:, 0] <= x1) & (bx[:, 3] >= y0) & (bx[:, 1] <= y1))
        if len(visible) <= EXACT_LIMIT:
            # Few objects: draw each in z-order (exact overlaps, antialiased outlines).
            chosen = [batch.ordered[i] for i in visible if batch.ordered[i].key not in exclude]
            self.render_objects(layer, view, chosen, opacity)
            return layer
        # Many objects: level of detail. Masks underneath, then batched outlines/fills per colour,
        # then points and skeletons on top.
        masks = [o for o in batch.others if o.shape.type is ShapeType.MASK]
        marks = [o for o in batch.others if o.shape.type is not ShapeType.MASK]
        self._render_others(masks, layer, view, opacity, exclude)
        self._render_polys(batch, layer, view, opacity, exclude)
        self._render_others(marks, layer, view, opacity, exclude)
        return layer

    def render_objects(self, layer: np.ndarray, view: View, objects: list[FrameObject], opacity: float) -> None:
        """Draw ``objects`` one by one in the given order (for small regions after an edit: no batch
        rebuild needed, z-order exact)."""
        a = max(0.0, min(1.0, opacity))
        factor = float(1 << SHIFT)
        for obj in objects:
            rgb = hex_to_rgb(self._colors.get(obj.shape.label_id, "#ffffff"))
            t = obj.shape.type
            if t is ShapeType.MASK:
                self._render_mask(layer, view, obj, rgb, opacity)
                continue
            if t in (ShapeType.POINTS, ShapeType.SKELETON):
                draw_points(layer, view, obj, rgb, self._edges_for(obj))
                continue
            xy = outline(obj.shape)
            if len(xy) < 2:
                continue
            pts = np.clip((xy * view.scale + (view.dx, view.dy)) * factor, -2**28, 2**28).astype(np.int32)
            if t in (ShapeType.RECTANGLE, ShapeType.POLYGON, ShapeType.ELLIPSE):
                if a > 0:
                    cv2.fillPoly(layer, [pts], (rgb[0] * a, rgb[1] * a, rgb[2] * a, 255 * a), cv2.LINE_8, SHIFT)
                cv2.polylines(layer, [pts], True, (*rgb, 255), 1, cv2.LINE_AA, SHIFT)
            else:
                cv2.polylines(layer, [pts], False, (*rgb, 255), 2, cv2.LINE_AA, SHIFT)

    # ------------------------------------------------------------ polygons, rectangles, ellipses, polylines

    @staticmethod
    def _visible(b: _Batch, view: View, exclude: set[ObjectKey]) -> np.ndarray:
        x0, y0, x1, y1 = view.image_rect()
        vis = (b.boxes[:, 2] >= x0) & (b.boxes[:, 0] <= x1) & (b.boxes[:, 3] >= y0) & (b.boxes[:, 1] <= y1)
        if exclude:
            vis &= np.array([k not in exclude for k in b.keys], bool)
        return np.flatnonzero(vis)

    def _render_polys(self, b: _Batch, layer: np.ndarray, view: View, opacity: float,
                      exclude: set[ObjectKey]) -> None:
        if not b.keys:
            return
        idx = self._visible(b, view, exclude)
        if not len(idx):
            return
        factor = float(1 << SHIFT)
        screen = np.empty_like(b.verts)
        np.multiply(b.verts, view.scale * factor, out=screen)
        screen[:, 0] += view.dx * factor
        screen[:, 1] += view.dy * factor
        ints = np.clip(screen, -2**28, 2**28).astype(np.int32)
        size = (b.boxes[idx, 2:] - b.boxes[idx, :2]).max(axis=1) * view.scale
        dots, shapes = idx[size < DOT_PX], idx[size >= DOT_PX]
        antialias = cv2.LINE_AA if len(shapes) <= AA_LIMIT else cv2.LINE_8
        a = max(0.0, min(1.0, opacity))
        starts = b.starts
        for ci, rgb in enumerate(b.palette):
            mine = shapes[b.color[shapes] == ci]
            if len(mine):
                polys = [ints[starts[i] : starts[i + 1]] for i in mine]
                closed = b.closed[mine]
                fill = [p for p, c in zip(polys, closed, strict=True) if c]
                if fill and a > 0:
                    cv2.fillPoly(layer, fill, (rgb[0] * a, rgb[1] * a, rgb[2] * a, 255 * a), cv2.LINE_8, SHIFT)
                if fill:
                    cv2.polylines(layer, fill, True, (*rgb, 255), 1, antialias, SHIFT)
                lines = [p for p, c in zip(polys, closed, strict=True) if not c]
                if lines:
                    cv2.polylines(layer, lines, False, (*rgb, 255), 2, antialias, SHIFT)
            mine_dots = dots[b.color[dots] == ci]
            if len(mine_dots):
                centres = ((b.boxes[mine_dots, :2] + b.boxes[mine_dots, 2:]) / 2 * view.scale
                           + (view.dx, view.dy)).astype(np.int64)
                ok = ((centres[:, 0] >= 0) & (centres[:, 0] < view.width)
                      & (centres[:, 1] >= 0) & (centres[:, 1] < view.height))
                layer[centres[ok, 1], centres[ok, 0]] = (*rgb, 255)

    # ------------------------------------------------------------ masks, points, skeletons

    def _render_others(self, others: list[FrameObject], layer: np.ndarray, view: View, opacity: float,
                       exclude: set[ObjectKey]) -> None:
        for obj in others:
            if obj.key in exclude:
                continue
            rgb = hex_to_rgb(self._colors.get(obj.shape.label_id, "#ffffff"))
            t = obj.shape.type
            if t is ShapeType.MASK:
                self._render_mask(layer, view, obj, rgb, opacity)
            else:
                draw_points(layer, view, obj, rgb, self._edges_for(obj))

    def _edges_for(self, obj: FrameObject) -> list[tuple[int, int]]:
        return self.skeleton_edges.get(obj.shape.label_id, [])

    def _render_mask(self, layer: np.ndarray, view: View, obj: FrameObject, rgb: tuple[int, int, int],
                     opacity: float) -> None:
        key = (obj.key, id(obj.shape))
        cached = self._mask_cache.get(key)
        if cached is None:
            cached = points_to_crop(obj.shape.points)
            self._mask_cache[key] = cached
        crop, left, top = cached
        h, w = crop.shape
        # Screen rectangle of the mask box, clipped to the layer.
        sx0, sy0 = left * view.scale + view.dx, top * view.scale + view.dy
        sx1, sy1 = (left + w) * view.scale + view.dx, (top + h) * view.scale + view.dy
        cx0, cy0 = max(int(np.floor(sx0)), 0), max(int(np.floor(sy0)), 0)
        cx1, cy1 = min(int(np.ceil(sx1)), view.width), min(int(np.ceil(sy1)), view.height)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        # Sample the mask at the centre of each covered screen pixel (nearest neighbour).
        xs = ((np.arange(cx0, cx1) + 0.5 - view.dx) / view.scale - left).astype(np.int64)
        ys = ((np.arange(cy0, cy1) + 0.5 - view.dy) / view.scale - top).astype(np.int64)
        xs_ok = (xs >= 0) & (xs < w)
        ys_ok = (ys >= 0) & (ys < h)
        sub = np.zeros((cy1 - cy0, cx1 - cx0), bool)
        sub[np.ix_(ys_ok, xs_ok)] = crop[np.ix_(ys[ys_ok], xs[xs_ok])]
        a = max(0.2, min(1.0, opacity + 0.2))
        region = layer[cy0:cy1, cx0:cx1]
        region[sub] = (int(rgb[0] * a), int(rgb[1] * a), int(rgb[2] * a), int(255 * a))
        edge = sub & ~cv2.erode(sub.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        region[edge] = (*rgb, 255)


def draw_points(layer: np.ndarray, view: View, obj: FrameObject, rgb: tuple[int, int, int],
                edges: list[tuple[int, int]]) -> None:
    """Points shapes as dots; skeletons as keypoints joined by their edges (outside keypoints skipped)."""
    shape = obj.shape
    if shape.type is ShapeType.SKELETON:
        pts = [(e.points[0], e.points[1], e.outside) for e in shape.elements if len(e.points) >= 2]
    else:
        pts = [(shape.points[i], shape.points[i + 1], False) for i in range(0, len(shape.points) - 1, 2)]
    screen = [(int(x * view.scale + view.dx), int(y * view.scale + view.dy), out) for x, y, out in pts]
    for a, b in edges:
        if a < len(screen) and b < len(screen) and not screen[a][2] and not screen[b][2]:
            cv2.line(layer, screen[a][:2], screen[b][:2], (*rgb, 255), 1, cv2.LINE_AA)
    for x, y, out in screen:
        if not out and -10 <= x <= view.width + 10 and -10 <= y <= view.height + 10:
            cv2.circle(layer, (x, y), 4, (*rgb, 255), -1, cv2.LINE_AA)
            cv2.circle(layer, (x, y), 4, (0, 0, 0, 255), 1, cv2.LINE_AA)

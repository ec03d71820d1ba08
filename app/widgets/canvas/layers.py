"""The canvas's cached layers: the frame image and the unselected shapes, each a tiled
:class:`LayerCache`, kept in step with the session's objects, the selection and the view.

``sync(view)`` decides per paint what to re-render: everything after a new frame, an opacity or a
label-colour change; only the boxes of changed objects after an edit or a selection change;
nothing while panning (tiles are blitted) or zooming (old tiles drawn scaled until ``refine``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QImage, QPainter

from app.widgets.canvas.image_layer import ImagePyramid, render_image
from app.widgets.canvas.layer_cache import LayerCache
from app.widgets.canvas.shape_raster import ShapeRaster, View

if TYPE_CHECKING:
    from app.editing.frame_objects import ObjectKey
    from app.editing.session import EditSession
    from app.tools.base import Preview

ASYNC_IMAGE_PIXELS = 16_000_000  # frames larger than this are rendered in the background
ASYNC_SHAPES = 300  # frames with more objects than this render their shape tiles in the worker
FULL_REDRAW_BOXES = 500  # more changed boxes than this: re-render everything


class CanvasLayers:
    def __init__(self, session: EditSession, preview: Callable[[], Preview | None], on_ready: Callable[[], None],
                 on_zooming: Callable[[], None]) -> None:
        self.session = session
        self.preview = preview  # the tool's preview shown now (it may hide objects being edited)
        self.on_zooming = on_zooming  # the zoom is in progress: the owner schedules refine()
        self.raster = ShapeRaster()
        self.pyramid = ImagePyramid(np.zeros((1, 1, 3), np.uint8))
        self.image_rev = 0
        self.opacity = 0.3
        self.colors: dict[int, str] = {}
        self.label_rev = 0
        # One worker renders tiles in the background (serialised: the pyramid and raster are shared).
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="canvas-tiles")
        self.image = LayerCache(self._image_renderer, QImage.Format.Format_ARGB32_Premultiplied,
                                self._render_image_region, on_ready=on_ready)
        self.shapes = LayerCache(self._shape_renderer, QImage.Format.Format_RGBA8888_Premultiplied,
                                 self._render_shape_region, executor=self.executor, on_ready=on_ready)
        self._exclude_drawn: set[ObjectKey] = set()
        self._changes_seen = 0

    # ------------------------------------------------------------ inputs

    def set_image(self, image: np.ndarray) -> None:
        self.pyramid = ImagePyramid(image)
        self.image_rev += 1

    def set_labels(self, colors: dict[int, str], edges: dict[int, list[tuple[int, int]]]) -> None:
        self.colors = colors
        self.raster.skeleton_edges = edges
        self.raster.invalidate()
        self.label_rev += 1

    def image_size(self) -> tuple[int, int]:
        return self.pyramid.width, self.pyramid.height

    # ------------------------------------------------------------ renderers

    def _image_renderer(self) -> Callable[[View, np.ndarray], None]:
        pyramid = self.pyramid
        return lambda view, buffer: render_image(pyramid, view, buffer)

    def _render_image_region(self, view: View, buffer: np.ndarray) -> None:
        render_image(self.pyramid, view, buffer)

    def _shape_renderer(self) -> Callable[[View, np.ndarray], None]:
        """A renderer over a snapshot of the objects (it may run in the tile worker)."""
        objects = self.session.objects()
        ordered, revision = objects.ordered(), (id(objects), objects.revision)
        exclude, opacity, colors, raster = set(self._exclude_drawn), self.opacity, self.colors, self.raster

        def render(view: View, buffer: np.ndarray) -> None:
            raster.prepare(ordered, revision, colors)
            raster.render(view, opacity, exclude, out=buffer)

        return render

    def _render_shape_region(self, view: View, buffer: np.ndarray) -> None:
        """A small region after an edit: draw the objects that cross it, in z-order, one by one."""
        objects = self.session.objects()
        boxes = objects.boxes()
        x0, y0, x1, y1 = view.image_rect()
        hit = np.flatnonzero((boxes[:, 2] >= x0) & (boxes[:, 0] <= x1) & (boxes[:, 3] >= y0) & (boxes[:, 1] <= y1))
        ordered = objects.ordered()
        chosen = [ordered[i] for i in hit if ordered[i].key not in self._exclude_drawn]
        self.raster.render_objects(buffer, view, chosen, self.opacity)

    # ------------------------------------------------------------ per paint

    def excluded(self) -> set[ObjectKey]:
        """Objects not in the cached layer: hidden, selected (drawn on top) and hidden by a preview."""
        out = set(self.session.hidden) | set(self.session.selection())
        preview = self.preview()
        if preview is not None:
            out |= set(preview.extra.get("hide", []))
        return out

    def _sync_image(self, view: View) -> None:
        layer = self.image
        if layer.empty or layer.key != self.image_rev:
            w, h = self.image_size()
            layer.executor = self.executor if w * h > ASYNC_IMAGE_PIXELS else None
            layer.reset(view, self.image_rev)
        elif not layer.exact(view):
            self.on_zooming()

    def _sync_shapes(self, view: View) -> None:
        objects = self.session.objects()
        full_key = (id(objects), objects.generation, self.opacity, self.label_rev)
        exclude = self.excluded()
        layer = self.shapes
        # Few objects render faster than a round trip through the worker.
        layer.executor = self.executor if len(objects) > ASYNC_SHAPES else None
        if layer.empty or layer.key != full_key:
            same_frame = isinstance(layer.key, tuple) and layer.key[:2] == full_key[:2]
            self._exclude_drawn, self._changes_seen = exclude, len(objects.changes)
            layer.reset(view, full_key, keep_placeholders=same_frame)
            return
        dirty = list(objects.changes[self._changes_seen :])
        self._changes_seen = len(objects.changes)
        for key in exclude ^ self._exclude_drawn:
            obj = objects.get(key)
            if obj is not None:
                dirty.append(obj.box)
        self._exclude_drawn = exclude
        if len(dirty) > FULL_REDRAW_BOXES:
            layer.reset(view, full_key, keep_placeholders=True)
        elif dirty:
            layer.update_regions(dirty, full_key)
        if not layer.exact(view):
            self.on_zooming()

    def paint(self, painter: QPainter, view: View) -> None:
        """Draw both layers for ``view`` (painter in screen coordinates)."""
        self._sync_image(view)
        self._sync_shapes(view)
        size = self.image_size()
        self.image.draw(painter, view, size)
        self.shapes.draw(painter, view, size)

    def refine(self, view: View) -> None:
        """Re-anchor both layers at ``view`` (a zoom settled); old tiles stay until new ones are ready."""
        self.image.executor = self.executor
        self.image.reset(view, self.image_rev, keep_placeholders=True)
        self.shapes.reset(view, self.shapes.key, keep_placeholders=True)

    def wait_idle(self) -> None:
        self.image.wait_idle()
        self.shapes.wait_idle()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

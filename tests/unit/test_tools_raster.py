"""The canvas's Qt-free drawing path: shape outlines, the OpenCV raster (z-order, exclusion, level of
detail) and the image pyramid placement."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import ellipse_outline, outline, rect_corners
from app.domain.mask import mask_to_points
from app.editing.frame_objects import FrameObject
from app.widgets.canvas.image_layer import ImagePyramid, render_image
from app.widgets.canvas.shape_raster import EXACT_LIMIT, ShapeRaster, View

RED, BLUE = "#ff0000", "#0000ff"


def obj(i: int, shape: Shape) -> FrameObject:
    return FrameObject(("shape", i), shape)


def render(objects: list[FrameObject], view: View, exclude: set | None = None, opacity: float = 0.5) -> np.ndarray:
    raster = ShapeRaster()
    raster.prepare(objects, 1, {1: RED, 2: BLUE})
    return raster.render(view, opacity, exclude or set())


def test_outlines() -> None:
    assert rect_corners([0, 0, 10, 20], 90) == pytest.approx(np.array([[15, 5], [15, 15], [-5, 15], [-5, 5]]))
    e = ellipse_outline([10, 10, 14, 8])
    assert e[:, 0].max() == pytest.approx(14) and e[:, 1].min() == pytest.approx(8, abs=0.01)
    m = np.zeros((10, 10), bool)
    m[2:4, 3:6] = True
    assert outline(Shape(ShapeType.MASK, 0, 1, mask_to_points(m))).tolist() == [[3, 2], [6, 2], [6, 4], [3, 4]]


def test_fill_colour_opacity_and_exclusion() -> None:
    rect = obj(1, Shape(ShapeType.RECTANGLE, 0, 1, [2, 2, 8, 8]))
    layer = render([rect], View(2.0, 0, 0, 20, 20))
    inside = [int(v) for v in layer[10, 10]]
    assert inside[0] == pytest.approx(127, abs=2) and inside[2] == 0 and inside[3] == pytest.approx(127, abs=2)
    assert layer[1, 1].tolist() == [0, 0, 0, 0]
    assert not render([rect], View(2.0, 0, 0, 20, 20), exclude={rect.key}).any()


def test_z_order_top_object_wins_when_few_and_batches_when_many() -> None:
    low = obj(1, Shape(ShapeType.RECTANGLE, 0, 1, [0, 0, 10, 10], z_order=0))
    top = obj(2, Shape(ShapeType.RECTANGLE, 0, 2, [0, 0, 10, 10], z_order=1))
    layer = render([low, top], View(1.0, 0, 0, 12, 12), opacity=1.0)
    assert layer[5, 5, 2] == 255 and layer[5, 5, 0] == 0  # blue (top) over red
    def tri(i: int) -> list[float]:
        x, y = i % 50 * 4, i // 50 * 4
        return [x, y, x + 3, y, x + 3, y + 3]

    many = [obj(10 + i, Shape(ShapeType.POLYGON, 0, 1, tri(i))) for i in range(EXACT_LIMIT + 50)]
    layer = render(many, View(1.0, 0, 0, 200, 40), opacity=1.0)
    assert layer[..., 3].any() and layer[1, 1, 0] == 255


def test_tiny_objects_become_dots_and_offscreen_are_culled() -> None:
    tiny = [obj(i, Shape(ShapeType.POLYGON, 0, 1, [100 + i * 10, 100, 101 + i * 10, 100, 101 + i * 10, 101]))
            for i in range(EXACT_LIMIT + 1)]
    layer = render(tiny, View(0.1, 0, 0, 400, 40))
    assert (layer[..., 3] == 255).sum() >= 100
    assert not render(tiny, View(1.0, -10000, -10000, 50, 50)).any()


def test_image_render_places_pixels_exactly() -> None:
    image = np.zeros((4, 4, 3), np.uint8)
    image[1, 2] = (10, 20, 30)
    buffer = np.zeros((40, 40, 4), np.uint8)
    render_image(ImagePyramid(image), View(10.0, 0, 0, 40, 40), buffer)
    assert buffer[15, 25].tolist() == [30, 20, 10, 255]  # BGRA (ARGB32 on little-endian)
    assert buffer[5, 25].tolist() == [0, 0, 0, 255] and buffer[19, 29].tolist() == [30, 20, 10, 255]
    pyramid = ImagePyramid(np.zeros((2000, 1000, 3), np.uint8))
    assert pyramid.level_for(0.3) == 1 and pyramid.level(1).shape == (1000, 500, 3)

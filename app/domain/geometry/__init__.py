"""Shape geometry, Qt-free: the one home for outlines, boxes, areas, hit tests, rasterisation and
mask <-> polygon conversion. Tools, the canvas, models, trackers and formats use these functions.

- :mod:`.shape`: outline of a shape by type, bounding box, area, draggable vertices.
- :mod:`.hit`: what part of a shape is under a point, with a tolerance.
- :mod:`.edit`: vertex edits (move, insert, delete, translate, rotate) returning changed copies.
- :mod:`.raster`: polygon / rectangle / ellipse / mask -> bool bitmap and CVAT mask points.
- :mod:`.polygonize`: mask -> polygon with a point budget or a pixel tolerance.

CVAT's run-length mask encoding itself lives in :mod:`app.domain.mask`. Quality control keeps its own
pycocotools rasterisation (:mod:`app.quality.rle`) because it must reproduce CVAT's numbers exactly.
"""

from app.domain.geometry.edit import (
    delete_vertex,
    insert_vertex,
    min_vertices,
    move_vertex,
    normalized_rect,
    rotation_handle,
    rotation_towards,
    translate,
)
from app.domain.geometry.hit import Hit, HitKind, hit_shape, mask_contains, point_in_polygon, segment_distances
from app.domain.geometry.polygonize import (
    TRACK_TOLERANCE,
    PolygonizeError,
    bitmap_to_shape,
    contour_point_count,
    contour_to_polygon,
    largest_contour,
    mask_outlines,
    mask_points_to_polygon,
    mask_to_polygon,
    simplify,
)
from app.domain.geometry.raster import (
    bitmap_bbox,
    ellipse_to_bitmap,
    fill_polygon,
    polygon_to_bitmap,
    polygon_to_mask_points,
    shape_to_bitmap,
)
from app.domain.geometry.shape import (
    CLOSED,
    ELLIPSE_SEGMENTS,
    area,
    bbox,
    editable_vertices,
    ellipse_outline,
    outline,
    pairs,
    polygon_area,
    rect_corners,
    rotate,
)

__all__ = [
    "CLOSED", "ELLIPSE_SEGMENTS", "Hit", "HitKind", "PolygonizeError", "TRACK_TOLERANCE", "area", "bbox",
    "bitmap_bbox", "bitmap_to_shape", "contour_point_count", "contour_to_polygon", "delete_vertex",
    "editable_vertices", "ellipse_outline", "ellipse_to_bitmap", "fill_polygon", "hit_shape", "insert_vertex",
    "largest_contour", "mask_contains", "mask_outlines", "mask_points_to_polygon", "mask_to_polygon",
    "min_vertices", "move_vertex", "normalized_rect", "outline", "pairs", "point_in_polygon", "polygon_area",
    "polygon_to_bitmap", "polygon_to_mask_points", "rect_corners", "rotate", "rotation_handle", "rotation_towards",
    "segment_distances", "shape_to_bitmap", "simplify", "translate",
]

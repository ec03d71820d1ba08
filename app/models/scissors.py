"""Intelligent scissors (OpenCV ``IntelligentScissorsMB``) on a region around the last anchor. Qt-free.

``buildMap`` is a shortest-path search over every pixel it is given (~1 us per pixel), so a map is
built only on a square of ``region`` pixels centred on the last anchor (CVAT's "threshold"). The
path to the cursor is then a cheap walk back over that map; outside the square the path goes to the
nearest point of the square and on in a straight line. :func:`build_map` is pure and thread-safe, so
callers run it in a worker and keep the previous map until the new one arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

DEFAULT_REGION = 300  # ~20 ms per anchor on a quiet 2-core VM, <100 ms under heavy contention
MIN_REGION = 64
MAX_REGION = 2048
CANNY = (32, 100)  # edge feature thresholds (as CVAT's OpenCV tool)
GRADIENT_LIMIT = 200


class ScissorsError(ValueError):
    """Bad image or anchor."""


def clamp_region(side: float) -> int:
    return int(min(MAX_REGION, max(MIN_REGION, round(side))))


@dataclass
class ScissorsMap:
    """Shortest paths from ``anchor`` to every pixel of the crop ``(x0, y0, w, h)``."""

    anchor: tuple[int, int]
    x0: int
    y0: int
    w: int
    h: int
    _tool: object = field(repr=False, default=None)

    def inside(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x0 + self.w and self.y0 <= y < self.y0 + self.h

    def path_to(self, x: float, y: float) -> np.ndarray:
        """(N, 2) int32 pixel path from the anchor towards (x, y), ending at (x, y) rounded."""
        tx, ty = int(round(x)), int(round(y))
        cx = min(max(tx, self.x0), self.x0 + self.w - 1)
        cy = min(max(ty, self.y0), self.y0 + self.h - 1)
        contour = self._tool.getContour((cx - self.x0, cy - self.y0))
        path = np.asarray(contour, dtype=np.int32).reshape(-1, 2) + np.array([self.x0, self.y0], np.int32)
        if len(path) == 0:
            path = np.array([self.anchor], np.int32)
        if (cx, cy) != (tx, ty):
            path = np.vstack([path, [[tx, ty]]])
        return path


def build_map(image: np.ndarray, anchor: tuple[float, float], region: int = DEFAULT_REGION) -> ScissorsMap:
    """Build the shortest-path map of the ``region``-sized square around ``anchor`` (clipped to the image)."""
    if image.ndim not in (2, 3) or image.dtype != np.uint8:
        raise ScissorsError(f"scissors need a uint8 gray or RGB image, got {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    ax, ay = int(round(anchor[0])), int(round(anchor[1]))
    if not (0 <= ax < w and 0 <= ay < h):
        raise ScissorsError(f"anchor ({anchor[0]:.1f}, {anchor[1]:.1f}) is outside the {w}x{h} image")
    half = clamp_region(region) // 2
    x0, y0 = max(0, ax - half), max(0, ay - half)
    x1, y1 = min(w, ax + half), min(h, ay + half)
    crop = np.ascontiguousarray(image[y0:y1, x0:x1, :3] if image.ndim == 3 else image[y0:y1, x0:x1])
    tool = cv2.segmentation.IntelligentScissorsMB()
    tool.setEdgeFeatureCannyParameters(*CANNY)
    tool.setGradientMagnitudeMaxLimit(GRADIENT_LIMIT)
    tool.applyImage(crop)
    tool.buildMap((ax - x0, ay - y0))
    return ScissorsMap(anchor=(ax, ay), x0=x0, y0=y0, w=x1 - x0, h=y1 - y0, _tool=tool)


def straight(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    return np.array([[round(a[0]), round(a[1])], [round(b[0]), round(b[1])]], dtype=np.int32)


class ScissorsPath:
    """Anchors and the pixel paths between them; the live segment to the cursor is not stored.

    Each anchor after the first stores the segment that reached it, so removing the last anchor drops
    exactly its segment."""

    def __init__(self) -> None:
        self.anchors: list[tuple[int, int]] = []
        self.segments: list[np.ndarray] = []  # segments[i] leads from anchors[i] to anchors[i + 1]

    def __len__(self) -> int:
        return len(self.anchors)

    def add(self, point: tuple[float, float], segment: np.ndarray | None = None) -> None:
        p = (int(round(point[0])), int(round(point[1])))
        if self.anchors:
            self.segments.append(segment if segment is not None else straight(self.anchors[-1], p))
        self.anchors.append(p)

    def remove_last(self) -> None:
        if self.anchors:
            self.anchors.pop()
            if self.segments:
                self.segments.pop()

    def hits_last(self, x: float, y: float, tolerance: float) -> bool:
        if not self.anchors:
            return False
        ax, ay = self.anchors[-1]
        return abs(ax - x) <= tolerance and abs(ay - y) <= tolerance

    def points(self, live: np.ndarray | None = None) -> np.ndarray:
        """All path pixels (M, 2), the live segment appended when given."""
        parts = [np.array(self.anchors[:1], np.int32).reshape(-1, 2)]
        parts += [seg[1:] if len(seg) > 1 else seg for seg in self.segments]
        if live is not None and len(live):
            parts.append(live[1:] if len(live) > 1 else live)
        return np.vstack(parts) if parts else np.zeros((0, 2), np.int32)

    def polygon(self, max_points: int | None = None) -> list[float] | None:
        """The closed outline as a flat polygon (at most ``max_points`` vertices), None if too short."""
        from app.domain.geometry import simplify

        pts = self.points()
        if len(np.unique(pts, axis=0)) < 3:
            return None
        pts = _dedupe(pts)
        poly = simplify(pts.astype(np.float32), max_points=max_points, tolerance=0.5)
        if len(np.unique(poly, axis=0)) < 3:
            return None
        return [float(v) for v in poly.reshape(-1)]


def _dedupe(points: np.ndarray) -> np.ndarray:
    keep = np.ones(len(points), bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    return points[keep]

"""Canvas benchmark (offscreen): repaint while panning/zooming with 5,000 polygons on a 4K frame, hit
test, one edit, frame switch of prefetched 1080p frames, and a 100-megapixel image.

``python -m bench canvas``; figures are p50/p95 in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.domain.annotations import Shape  # noqa: E402
from app.domain.enums import ShapeType  # noqa: E402
from app.domain.geometry import translate  # noqa: E402
from app.domain.labels import Label  # noqa: E402
from app.domain.project import FrameInfo  # noqa: E402
from app.editing.commands import edit_shapes  # noqa: E402
from app.editing.session import EditSession  # noqa: E402
from app.storage.store import Project  # noqa: E402
from app.widgets.canvas.view import CanvasView  # noqa: E402

VIEW_W, VIEW_H = 1600, 900
N_POLYGONS = 5000


def _stats(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 2),
            "n": len(ms)}


def _timed(fn, repeat: int) -> dict[str, float]:  # noqa: ANN001
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return _stats(samples)


def _polygons(rng: np.random.Generator, width: int, height: int, n: int, label_ids: list[int]) -> list[Shape]:
    shapes = []
    for i in range(n):
        k = int(rng.integers(20, 51))
        cx, cy = rng.uniform(40, width - 40), rng.uniform(40, height - 40)
        angles = np.sort(rng.uniform(0, 2 * np.pi, k))
        radii = rng.uniform(10, 35, k)
        pts = np.column_stack((cx + radii * np.cos(angles), cy + radii * np.sin(angles))).ravel().tolist()
        shapes.append(Shape(ShapeType.POLYGON, 0, label_ids[i % len(label_ids)], pts))
    return shapes


def _project(tmp: Path, frames: list[FrameInfo]) -> Project:
    labels = [Label(name, color) for name, color in (("a", "#fa3253"), ("b", "#33ddff"), ("c", "#24b353"),
                                                     ("d", "#ffcc33"))]
    project = Project.create(tmp / "bench.fmproj", "bench", labels)
    project.create_task("t", frames)
    return project


def _canvas(project: Project) -> tuple[EditSession, CanvasView]:
    session = EditSession(project, project.jobs()[0].id)
    canvas = CanvasView(session)
    canvas.resize(VIEW_W, VIEW_H)
    canvas.show()
    QApplication.processEvents()
    return session, canvas


def bench_polygons(tmp: Path) -> dict:
    w, h = 3840, 2160
    project = _project(tmp, [FrameInfo(0, "4k.png", w, h)])
    rng = np.random.default_rng(1)
    label_ids = [lb.id for lb in project.labels()]
    project.add_shapes(project.jobs()[0].id, _polygons(rng, w, h, N_POLYGONS, label_ids))
    session, canvas = _canvas(project)
    image = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8)
    canvas.set_image(cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR))
    viewport = canvas.viewport()
    canvas.fit()
    viewport.repaint()
    out: dict = {"polygons": len(session.objects()), "vertices": int(sum(len(o.shape.points) // 2
                                                                        for o in session.objects()))}

    def pan(i: int) -> None:
        canvas.pan_by_screen(3 if i % 2 else -3, 2 if i % 2 else -2)
        viewport.repaint()

    canvas.wait_rendered()

    out["repaint_pan_fit"] = _timed(pan, 30)
    zoom_steps = [1.1, 1 / 1.1]
    out["repaint_zoom_fit"] = _timed(lambda i: (canvas.zoom_by(zoom_steps[i % 2]), viewport.repaint()), 30)
    canvas.fit()
    out["rerender_fit_after_zoom_gui"] = _timed(lambda i: (canvas.refine_now(), viewport.repaint()), 10)
    canvas.wait_rendered()
    out["rerender_fit_after_zoom_total"] = _timed(lambda i: (canvas.refine_now(), canvas.wait_rendered()), 10)
    out["repaint_static_fit"] = _timed(lambda i: viewport.repaint(), 30)
    canvas.zoom_by(4.0)  # zoomed in: ~1/16 of the frame visible
    canvas.refine_now()
    canvas.wait_rendered()
    out["repaint_pan_zoomed"] = _timed(pan, 30)
    out["repaint_zoom_zoomed"] = _timed(lambda i: (canvas.zoom_by(zoom_steps[i % 2]), viewport.repaint()), 30)
    out["rerender_zoomed_after_zoom_gui"] = _timed(lambda i: (canvas.refine_now(), viewport.repaint()), 10)
    canvas.wait_rendered()
    out["rerender_zoomed_after_zoom_total"] = _timed(lambda i: (canvas.refine_now(), canvas.wait_rendered()), 10)

    def pan_far(i: int) -> None:  # 60 px per step, always the same way: crosses the cached margin
        canvas.pan_by_screen(-60, -30)
        viewport.repaint()

    canvas.center_on_image(w * 0.2, h * 0.2)
    canvas.wait_rendered()
    out["repaint_pan_zoomed_long"] = _timed(pan_far, 40)
    canvas.fit()
    canvas.refine_now()
    canvas.wait_rendered()
    points = rng.uniform((0, 0), (w, h), (200, 2))
    tol = 6.0 / canvas.scale_factor
    objects = session.objects()
    out["hit_test"] = _timed(lambda i: objects.hit(points[i][0], points[i][1], tol), 200)

    def edit(i: int) -> None:
        obj = session.objects().ordered()[i * 7]
        session.push(edit_shapes(project, session.job_id, [obj.shape], [translate(obj.shape, 5, 0)]))
        viewport.repaint()

    out["edit_move_and_repaint"] = _timed(edit, 30)
    out["undo_and_repaint"] = _timed(lambda i: (session.undo(), viewport.repaint()), 30)
    canvas.shutdown()
    canvas.close()
    session.close()
    project.close()
    return out


def bench_frame_switch(tmp: Path) -> dict:
    w, h, n = 1920, 1080, 12
    folder = tmp / "frames"
    folder.mkdir()
    rng = np.random.default_rng(2)
    base = cv2.resize(rng.integers(0, 255, (h // 16, w // 16, 3), dtype=np.uint8), (w, h))
    frames = []
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:03d}.jpg"), np.roll(base, i * 13, axis=1), [cv2.IMWRITE_JPEG_QUALITY, 90])
        frames.append(FrameInfo(i, f"{i:03d}.jpg", w, h, path=str(folder / f"{i:03d}.jpg")))
    project = _project(tmp, frames)
    label_ids = [lb.id for lb in project.labels()]
    shapes = []
    for i in range(n):
        for s in _polygons(rng, w, h, 50, label_ids):
            s.frame = i
            shapes.append(s)
    project.add_shapes(project.jobs()[0].id, shapes)
    from app.widgets.job_window import JobWindow  # the real window: FrameCache decode-ahead included

    window = JobWindow(project, project.jobs()[0].id)
    window.resize(VIEW_W, VIEW_H)
    window.show()
    QApplication.processEvents()
    samples = []
    for i in range(1, n):
        time.sleep(0.06)  # the window starts decode-ahead 40 ms after a frame is shown
        QApplication.processEvents()
        window.cache.wait_idle(timeout=30)  # type: ignore[union-attr]  # "prefetched" neighbours
        start = time.perf_counter()
        window.goto_frame(i)
        window.canvas.wait_rendered()  # until the new frame's tiles (image and shapes) are on screen
        samples.append(time.perf_counter() - start)
    window.close()
    project.close()
    return {"frame_switch_prefetched_1080p": _stats(samples)}


def bench_huge_image(tmp: Path) -> dict:
    w, h = 12500, 8000  # 100 megapixels
    project = _project(tmp, [FrameInfo(0, "huge.png", w, h)])
    session, canvas = _canvas(project)
    rng = np.random.default_rng(3)
    image = cv2.resize(rng.integers(0, 255, (h // 50, w // 50, 3), dtype=np.uint8), (w, h))
    start = time.perf_counter()
    canvas.set_image(image)
    canvas.viewport().repaint()
    gui = time.perf_counter() - start
    canvas.wait_rendered()
    opened = time.perf_counter() - start
    out: dict = {"huge_open_fit_gui_ms": round(gui * 1000, 1), "huge_open_fit_total_ms": round(opened * 1000, 1)}
    canvas.zoom_1to1()
    canvas.refine_now()
    canvas.wait_rendered()

    def pan(i: int) -> None:
        canvas.pan_by_screen(-60, -35)
        canvas.viewport().repaint()

    canvas.center_on_image(1000, 1000)
    out["huge_pan_1to1"] = _timed(pan, 60)
    canvas.fit()
    canvas.refine_now()
    canvas.wait_rendered()
    out["huge_pan_fit"] = _timed(pan, 30)
    canvas.shutdown()
    canvas.close()
    session.close()
    project.close()
    return out


def main() -> dict:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for name, fn in (("polygons", bench_polygons), ("frames", bench_frame_switch), ("huge", bench_huge_image)):
            sub = Path(tmp) / name
            sub.mkdir()
            figures.update(fn(sub))
    del app
    print(f"{'measure':34s} {'p50 ms':>9s} {'p95 ms':>9s}")
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{key:34s} {value['p50_ms']:9.2f} {value['p95_ms']:9.2f}")
        else:
            print(f"{key:34s} {value}")
    return figures


if __name__ == "__main__":
    main()

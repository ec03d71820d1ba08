"""Quality report speed: one job of N frames x 50 shapes per side (mixed types), GT vs job, one core.

Shapes per frame and side: 14 boxes (3 rotated), 8 polygons, 3 masks, 6 polylines, 6 single points,
2 multi-point sets, 4 skeletons (3 keypoints), 4 ellipses, 3 tags. The job side is the GT perturbed
(jitter, ~8% dropped, ~8% extra, ~5% relabelled). Reports wall and CPU time of the report (conversion,
comparison, roll-up; generating the synthetic annotations is measured apart and subtracted), CPU
ms/frame median/p95 over chunks of 250 frames, and peak RSS. On a shared machine CPU seconds are the
figure to compare with the one-core budget. ``FIELDMARK_BENCH_QUALITY_FRAMES`` overrides N (default 10,000).
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.domain.mask import mask_to_points
from app.quality.frame_compare import FrameComparator
from app.quality.frames import FrameMeta, build_frames
from app.quality.objects import LabelIndex
from app.quality.report import job_report
from app.quality.settings import QualitySettings

W, H = 1280, 720


def labels() -> list[Label]:
    out = [Label(n, id=i + 1, attributes=[AttributeSpec("q", values=["a", "b"], id=100 + i)])
           for i, n in enumerate(["car", "person", "bike", "dog"])]
    out.append(Label("pose", type=LabelType.SKELETON, id=10, sublabels=[
        Label(str(k), type=LabelType.POINTS, id=11 + k, parent_id=10) for k in range(3)]))
    return out


def frame_shapes(rng: np.random.Generator, frame: int) -> tuple[list[Shape], list[Tag]]:
    shapes: list[Shape] = []
    lab = lambda: int(rng.integers(1, 5))  # noqa: E731
    for k in range(14):
        x, y = rng.uniform(0, W - 120), rng.uniform(0, H - 120)
        w, h = rng.uniform(20, 110, 2)
        shapes.append(Shape(ShapeType.RECTANGLE, frame, lab(), [x, y, x + w, y + h],
                            rotation=float(rng.uniform(0, 90)) if k < 3 else 0.0))
    for _ in range(8):
        cx, cy = rng.uniform(60, W - 60), rng.uniform(60, H - 60)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 8))
        r = rng.uniform(15, 50, 8)
        shapes.append(Shape(ShapeType.POLYGON, frame, lab(), np.column_stack([cx + r * np.cos(ang),
                                                                           cy + r * np.sin(ang)]).ravel().tolist()))
    for _ in range(3):
        x, y = int(rng.integers(0, W - 60)), int(rng.integers(0, H - 60))
        yy, xx = np.mgrid[0:50, 0:50]
        disc = (yy - 25) ** 2 + (xx - 25) ** 2 < int(rng.integers(100, 600))
        shapes.append(Shape(ShapeType.MASK, frame, lab(), mask_to_points(disc, x, y)))
    for _ in range(6):
        x, y = rng.uniform(0, W - 200), rng.uniform(0, H - 200)
        shapes.append(Shape(ShapeType.POLYLINE, frame, lab(), (np.array([x, y] * 4) + rng.uniform(0, 150, 8)).tolist()))
    for _ in range(6):
        shapes.append(Shape(ShapeType.POINTS, frame, lab(), [rng.uniform(0, W), rng.uniform(0, H)]))
    for _ in range(2):
        x, y = rng.uniform(0, W - 100), rng.uniform(0, H - 100)
        shapes.append(Shape(ShapeType.POINTS, frame, lab(), (np.array([x, y] * 4) + rng.uniform(0, 80, 8)).tolist()))
    for _ in range(4):
        x, y = rng.uniform(0, W - 100), rng.uniform(0, H - 100)
        elements = [Shape(ShapeType.POINTS, frame, 11 + k, [x + rng.uniform(0, 80), y + rng.uniform(0, 80)],
                          occluded=bool(rng.random() < 0.1)) for k in range(3)]
        shapes.append(Shape(ShapeType.SKELETON, frame, 10, [], elements=elements))
    for _ in range(4):
        cx, cy = rng.uniform(60, W - 60), rng.uniform(60, H - 60)
        rx, ry = rng.uniform(10, 50, 2)
        shapes.append(Shape(ShapeType.ELLIPSE, frame, lab(), [cx, cy, cx + rx, cy - ry]))
    tags = [Tag(frame, lab()) for _ in range(3)]
    return shapes, tags


def perturb(rng: np.random.Generator, shapes: list[Shape], tags: list[Tag], frame: int) -> tuple[list, list]:
    out = []
    for s in shapes:
        if rng.random() < 0.08:
            continue
        c = s.copy()
        if c.type is ShapeType.MASK:
            pass
        elif c.type is ShapeType.SKELETON:
            for e in c.elements:
                e.points = (np.array(e.points) + rng.normal(0, 1.5, 2)).tolist()
        else:
            c.points = (np.array(c.points) + rng.normal(0, 2.0, len(c.points))).tolist()
        if rng.random() < 0.05 and c.type is not ShapeType.SKELETON:
            c.label_id = 1 + (c.label_id % 4)
        out.append(c)
    extra, _ = frame_shapes(rng, frame)
    out += [s for s in extra if rng.random() < 0.08 and s.type is not ShapeType.SKELETON]
    return out, [t.copy() for t in tags if rng.random() > 0.1]


def make_job_chunk(frames: list[int]) -> tuple[Annotations, Annotations]:
    """GT and job annotations of some frames (each frame seeded by its number: chunking changes nothing)."""
    gt, ds = Annotations(), Annotations()
    for f in frames:
        rng = np.random.default_rng(f)
        shapes, tags = frame_shapes(rng, f)
        gt.shapes += shapes
        gt.tags += tags
        s2, t2 = perturb(rng, shapes, tags, f)
        ds.shapes += s2
        ds.tags += t2
    return gt, ds


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> dict:
    """The job is generated and compared chunk by chunk through ``job_report`` (as the report service
    reads a job from the store), so memory holds one chunk of annotations plus the per-frame results.
    Generating the synthetic annotations is timed apart and left out of the report figures."""
    n = int(os.environ.get("FIELDMARK_BENCH_QUALITY_FRAMES", "10000"))
    chunk = 250
    index = LabelIndex(labels())
    settings = QualitySettings()
    comparator = FrameComparator(settings, index)
    spent = {"generate": 0.0, "generate_cpu": 0.0, "objects": 0}
    chunk_ms: list[float] = []

    def pairs():
        for c0 in range(0, n, chunk):
            frames_here = list(range(c0, min(n, c0 + chunk)))
            t, c = time.perf_counter(), time.process_time()
            gt, ds = make_job_chunk(frames_here)
            spent["generate"] += time.perf_counter() - t
            spent["generate_cpu"] += time.process_time() - c
            spent["objects"] += len(gt.shapes) + len(gt.tags)
            start = time.process_time()
            metas = [FrameMeta(f, f"{f}.jpg", W, H) for f in frames_here]
            gq = build_frames(gt, metas, index, 0)
            dq = build_frames(ds, metas, index, 1)
            del gt, ds
            for f in frames_here:
                yield gq[f], dq[f]
            chunk_ms.append((time.process_time() - start) / len(frames_here) * 1000)

    wall, cpu = time.perf_counter(), time.process_time()
    report = job_report(comparator, pairs(), n, settings.parameters(), count=n)
    wall = time.perf_counter() - wall - spent["generate"]
    cpu = time.process_time() - cpu - spent["generate_cpu"]
    figures = {
        "frames": n, "objects_per_side": spent["objects"], "generate_s": round(spent["generate"], 1),
        "report_s": round(wall, 2), "report_cpu_s": round(cpu, 2),
        "cpu_ms_per_frame_median": round(float(np.median(chunk_ms)), 3),
        "cpu_ms_per_frame_p95": round(float(np.percentile(chunk_ms, 95)), 3),
        "peak_rss_mib": round(rss_mib(), 1),
        "accuracy": round(report.annotations.accuracy, 4), "conflicts": len(report.conflicts),
        "limits": {"seconds": 60, "rss_mib": 1024},
    }
    print(f"{'frames':>8} {'wall s':>8} {'CPU s':>8} {'CPU ms/frame med':>17} {'p95':>8} {'peak RSS MiB':>13}")
    print(f"{n:>8} {figures['report_s']:>8} {figures['report_cpu_s']:>8} {figures['cpu_ms_per_frame_median']:>17} "
          f"{figures['cpu_ms_per_frame_p95']:>8} {figures['peak_rss_mib']:>13}")
    return figures


if __name__ == "__main__":
    main()

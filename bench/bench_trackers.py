"""Trackers over a long generated video: seconds per frame and flat memory.

Tracks 2 objects over 500 frames (``BENCH_TRACKERS_FRAMES``) of a generated 640x360 video with
TrackerMIL (rectangles) and SAM 2.1 tiny (polygons; random weights, input size
``BENCH_TRACKERS_SAM2_SIZE``, default 256 -- speed does not depend on weight values) through the real
runner (frames decoded on demand through a FrameCache), and reports the median / p95 seconds per frame,
process RSS at frame 100 and at the last frame, and the growth between them (goal: <= 100 MB), plus
the time to store the results as one command.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np

SIZE = (640, 360)
SQUARE = 60


def rss_mb() -> float:
    """Resident set size of this process in MB (from /proc; psutil elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil  # only where /proc is missing

    return psutil.Process().memory_info().rss / 2**20


def _bounce(t: int, lo: int, hi: int, speed: int) -> int:
    span = hi - lo
    p = (t * speed) % (2 * span)
    return lo + (p if p < span else 2 * span - p)


def positions(frame: int) -> list[tuple[int, int]]:
    """Top-left corners of the two squares: one bouncing horizontally, one diagonally."""
    w, h = SIZE
    return [(_bounce(frame, 10, w - SQUARE - 10, 3), 60),
            (_bounce(frame, 300, w - SQUARE - 10, 2), _bounce(frame, 150, h - SQUARE - 10, 2))]


def write_video(path: Path, frames: int) -> Path:
    w, h = SIZE
    yy, xx = np.mgrid[0:h, 0:w]
    background = np.stack([(xx // 8 * 7) % 90 + 60, (yy // 8 * 5) % 90 + 60, ((xx + yy) // 16 * 3) % 90 + 60],
                          axis=-1).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, SIZE)
    for i in range(frames):
        image = background.copy()
        for (x, y), colour in zip(positions(i), ((40, 40, 230), (230, 60, 40)), strict=True):  # BGR
            image[y : y + SQUARE, x : x + SQUARE] = colour
            image[y + 15 : y + 30, x + 15 : x + 45] = (255, 255, 255)
        writer.write(image)
    writer.release()
    return path


def _shape_points(kind: str, frame: int) -> list[list[float]]:
    out = []
    for x, y in positions(frame):
        x2, y2 = x + SQUARE, y + SQUARE
        out.append([x, y, x2, y2] if kind == "rectangle" else [x, y, x2, y, x2, y2, x, y2])
    return [[float(v) for v in p] for p in out]


def run_one(project, job_id: int, cache, tracker, kind: str, frames: int) -> dict:
    from app.domain.annotations import Shape
    from app.domain.enums import ShapeType
    from app.models.trackers.keyframes import build_command
    from app.models.trackers.plan import plan_tracking
    from app.models.trackers.runner import run_plan

    label = project.labels().labels[0].id
    project.clear_annotations(job_id)
    ids = project.add_shapes(job_id, [Shape(ShapeType(kind), 0, label, p) for p in _shape_points(kind, 0)])
    plan = plan_tracking(project, job_id, 0, frames - 1, tracker.supported_types, shape_ids=ids)
    times: list[float] = []
    rss: dict[int, float] = {}
    last = [time.perf_counter()]

    def progress(value: Any) -> None:
        done, total = value.done, value.total
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now
        if done in (100, total):
            rss[done] = rss_mb()

    outcome = run_plan(plan, cache, tracker, progress=progress)
    start = time.perf_counter()
    command = build_command(project, plan, outcome.results)
    if command is not None:
        command.redo()
    store_s = time.perf_counter() - start
    keyframes = sum(len(t.shapes) for t in project.annotations(job_id).tracks)
    total = len(plan.frames)
    return {
        "tracker": tracker.name, "objects": len(plan.objects), "frames": outcome.frames_done,
        "lost": outcome.lost, "keyframes": keyframes,
        "s_per_frame_median": round(statistics.median(times), 4),
        "s_per_frame_p95": round(float(np.percentile(times, 95)), 4),
        "rss_mb_frame_100": round(rss.get(100, float("nan")), 1),
        "rss_mb_last_frame": round(rss.get(total, float("nan")), 1),
        "rss_growth_mb_100_to_last": round(rss.get(total, float("nan")) - rss.get(100, float("nan")), 1),
        "store_s": round(store_s, 3),
    }


def main() -> dict:
    import torch

    from app.domain.labels import Label
    from app.media.cache import FrameCache
    from app.media.ingest import create_video_task
    from app.media.sources import open_task_source
    from app.models.sam2_image import save_random_checkpoint
    from app.models.trackers.opencv_mil import MilTracker
    from app.models.trackers.sam2_video import Sam2Tracker
    from app.storage.store import Project

    warnings.filterwarnings("ignore")
    torch.set_num_threads(int(os.environ.get("BENCH_TRACKERS_THREADS", "1")))
    frames = int(os.environ.get("BENCH_TRACKERS_FRAMES", "500"))
    sam_size = int(os.environ.get("BENCH_TRACKERS_SAM2_SIZE", "256"))
    with tempfile.TemporaryDirectory(prefix="bench-trackers-") as tmp:
        folder = Path(tmp)
        video = write_video(folder / "squares.avi", frames)
        project = Project.create(folder / "bench.fmk", "bench", [Label("object")])
        task = create_video_task(project, "squares", video)
        job_id = project.jobs(task.id)[0].id
        cache = FrameCache(open_task_source(project, task.id), capacity_bytes=32 << 20)
        checkpoint = save_random_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml", folder / "sam2.1_hiera_tiny.pt",
                                            image_size=sam_size)
        rows = [run_one(project, job_id, cache, MilTracker(), "rectangle", frames)]
        device = os.environ.get("BENCH_TRACKERS_DEVICE", "cpu")
        sam = Sam2Tracker.load(checkpoint, image_size=sam_size, device=device, threads=torch.get_num_threads())
        rows.append(run_one(project, job_id, cache, sam, "polygon", frames) | {"image_size": sam_size, "device": device})
        cache.close()
        project.close()
    header = ("tracker", "objects", "frames", "s_per_frame_median", "s_per_frame_p95", "rss_mb_frame_100",
              "rss_mb_last_frame", "rss_growth_mb_100_to_last", "store_s")
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    return {"video": {"frames": frames, "size": list(SIZE)}, "runs": rows}


if __name__ == "__main__":
    main()

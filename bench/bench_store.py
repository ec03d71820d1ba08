"""Store benchmarks: bulk insert of 100k shapes, one frame's shapes from a 1M-shape project, opening
that project, and a single-edit commit. Targets: >= 50k shapes/s, <= 5 ms, <= 10 ms, open <= 1 s.

:func:`measure` takes any project location (a file here; bench_pg runs it on PostgreSQL too)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from app.domain import Label, Shape
from app.domain.project import FrameInfo
from app.editing.commands import edit_shapes
from app.editing.stack import UndoStack
from app.storage import Project

FRAMES = 20_000
SHAPES_PER_FRAME = 50  # 1M shapes in all


def polygon(rng: np.random.Generator, n: int) -> list[float]:
    return (rng.random(2 * n) * 1000).round(2).tolist()


def make_shapes(rng: np.random.Generator, frames: range, label: int) -> list[Shape]:
    return [Shape("polygon", f, label, polygon(rng, 12), attributes={1: "x"}) for f in frames
            for _ in range(SHAPES_PER_FRAME)]


def main() -> dict:
    path = Path(tempfile.mkdtemp(prefix="fm-bench-store-")) / "big.fmproj"
    figures = measure(path)
    figures["project_file_mb"] = round(path.stat().st_size / 1e6, 1)
    for key, value in figures.items():
        print(f"  {key:32s} {value}")
    return figures


def measure(path: str | Path) -> dict:
    """The four figures for a new project at ``path`` (a file or an empty PostgreSQL database URL)."""
    rng = np.random.default_rng(0)
    project = Project.create(path, labels=[Label("car")])
    project.create_task("t", [FrameInfo(i, f"{i}.jpg", 1920, 1080) for i in range(FRAMES)])
    label = project.labels().by_name("car").id

    batch = make_shapes(rng, range(2000), label)  # 100k shapes
    start = time.perf_counter()
    project.add_shapes(1, batch)
    insert_rate = len(batch) / (time.perf_counter() - start)

    for first in range(2000, FRAMES, 2000):  # fill to 1M shapes
        project.add_shapes(1, make_shapes(rng, range(first, first + 2000), label))
    total = project.conn.exec_driver_sql("SELECT COUNT(*) FROM shape").scalar_one()
    project.close()

    start = time.perf_counter()
    project = Project.open(path)
    open_ms = (time.perf_counter() - start) * 1000

    frame_times = []
    for frame in rng.integers(0, FRAMES, 200):
        t = time.perf_counter()
        shapes = project.frame_shapes(1, int(frame))
        frame_times.append((time.perf_counter() - t) * 1000)
    assert len(shapes) == SHAPES_PER_FRAME

    stack = UndoStack()
    edit_times = []
    for frame in rng.integers(0, FRAMES, 100):
        shape = project.frame_shapes(1, int(frame))[0]
        t = time.perf_counter()
        stack.push(edit_shapes(project, 1, [shape], [shape.copy(points=polygon(rng, 12))]))
        edit_times.append((time.perf_counter() - t) * 1000)
    project.close()

    return {
        "bulk_insert_shapes_per_s": round(insert_rate),
        "project_shapes": total,
        "open_1m_ms": round(open_ms, 1),
        "frame_shapes_ms_p50": round(statistics.median(frame_times), 2),
        "frame_shapes_ms_p95": round(float(np.percentile(frame_times, 95)), 2),
        "single_edit_commit_ms_p50": round(statistics.median(edit_times), 2),
        "single_edit_commit_ms_p95": round(float(np.percentile(edit_times, 95)), 2),
    }

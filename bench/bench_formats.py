"""Import/export benchmark: 10k frames x 50 shapes (500k boxes and polygons) through CVAT XML, COCO and
YOLO. Import = read the file + write a new project (one transaction, the store's bulk insert); export =
read the project + write the file. Target: >= 20k shapes/s both ways.

``FM_BENCH_FORMATS_FRAMES`` / ``FM_BENCH_FORMATS_REPEATS`` scale it down or up (defaults 10000 / 3).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.exporter import export_project
from app.formats.importer import import_new_project, read_dataset
from app.formats.synthetic import bulk_dataset
from app.storage.store import Project

FRAMES = int(os.environ.get("FM_BENCH_FORMATS_FRAMES", "10000"))
REPEATS = int(os.environ.get("FM_BENCH_FORMATS_REPEATS", "3"))
SHAPES_PER_FRAME = 50


CPU: dict[str, list[float]] = {}


def _timed(runs: int, setup: Callable[[int], None], body: Callable[[int], None], name: str = "") -> list[float]:
    """Wall-clock seconds per run; CPU seconds of this process go to ``CPU[name]`` (the machine is shared,
    so CPU time shows the code's own cost when other processes compete for the cores)."""
    times = []
    for k in range(runs):
        setup(k)
        start, cpu = time.perf_counter(), time.process_time()
        body(k)
        times.append(time.perf_counter() - start)
        CPU.setdefault(name, []).append(time.process_time() - cpu)
    return times


def _clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def main() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="fm-bench-formats-"))
    dataset = bulk_dataset(FRAMES, SHAPES_PER_FRAME)
    total = len(dataset.annotations.shapes)
    xml = folder / "annotations.xml"
    write_cvat_xml(dataset, xml)
    sizes = {f.name: (f.width, f.height) for f in dataset.frames}
    rows: dict[str, list[float]] = {}

    def import_cvat(k: int) -> None:
        ds = read_dataset(xml, "cvat")
        import_new_project(folder / f"imp{k}.fmproj", ds, xml)

    rows["import cvat"] = _timed(REPEATS, lambda k: _clear(folder / f"imp{k}.fmproj"), import_cvat, "import cvat")
    project = Project.open(folder / "imp0.fmproj", read_only=True)
    assert project.counts()["shapes"] == total
    for fmt in ("cvat", "coco", "yolo"):
        out = folder / f"out_{fmt}"
        rows[f"export {fmt}"] = _timed(REPEATS, lambda k, out=out: _clear(out),
                                       lambda k, fmt=fmt, out=out: export_project(project, fmt, out, task=1),
                                       f"export {fmt}")
    project.close()
    for fmt in ("coco", "yolo"):
        source = folder / f"out_{fmt}"

        def run(k: int, fmt: str = fmt, source: Path = source) -> None:
            ds = read_dataset(source, fmt, frame_sizes=sizes)
            import_new_project(folder / f"imp_{fmt}{k}.fmproj", ds, source)

        rows[f"import {fmt}"] = _timed(REPEATS, lambda k, fmt=fmt: _clear(folder / f"imp_{fmt}{k}.fmproj"), run,
                                       f"import {fmt}")
    shutil.rmtree(folder, ignore_errors=True)

    figures: dict[str, object] = {"frames": FRAMES, "shapes": total, "repeats": REPEATS}
    print(f"{'step':<14}{'median s':>10}{'p95 s':>10}{'shapes/s':>12}{'cpu s':>8}{'shapes/cpu-s':>14}")
    for name, times in rows.items():
        median = statistics.median(times)
        p95 = float(np.percentile(times, 95))
        rate = total / median
        cpu = statistics.median(CPU[name])
        print(f"{name:<14}{median:>10.2f}{p95:>10.2f}{rate:>12,.0f}{cpu:>8.2f}{total / cpu:>14,.0f}")
        key = name.replace(" ", "_")
        figures[f"{key}_s_median"] = round(median, 2)
        figures[f"{key}_s_p95"] = round(p95, 2)
        figures[f"{key}_shapes_per_s"] = round(rate)
        figures[f"{key}_shapes_per_cpu_s"] = round(total / cpu)
    return figures


if __name__ == "__main__":
    main()

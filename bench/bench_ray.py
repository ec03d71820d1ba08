"""Auto-annotation on Ray vs in-process: throughput, Ray's start-up cost, per-frame overhead, memory.

One run of each (this is a shared 2-core machine; say the load average with the figures): a
random-weight YOLO11n (class bias raised so every frame yields boxes) over ``BENCH_RAY_FRAMES`` frames
of ``BENCH_RAY_SIZE`` at imgsz = the frame width, into its own project each time:

* ``in_process``: :func:`run_detection` (torch with its default threads);
* ``ray_1`` / ``ray_2``: :func:`run_on_ray` with 1 and 2 workers (one CPU and one torch thread each, as
  Ray sets ``OMP_NUM_THREADS``) on a local Ray already started; the actors' model load is inside the
  run's wall time and also given apart (``actors_ready_s``, the time to the first finished frame).

``ray_start_s``/``ray_stop_s``: ``ray.init(num_cpus=2)`` and ``ray.shutdown()``. ``predict_ms_median``:
the median time inside ``detect`` per frame; ``overhead_ms_per_frame``: wall time per frame minus that
median (for Ray: everything that is not inference -- shipping frames, results, the one writer).
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

FRAMES = int(os.environ.get("BENCH_RAY_FRAMES", "160"))
SIZE = tuple(int(v) for v in os.environ.get("BENCH_RAY_SIZE", "320x240").split("x"))
#: ``cuda``: the same runs with the model on the GPU; Ray gets one GPU, shared by the workers
#: (``gpus_per_worker`` = 1 / workers), and 4 CPUs.
DEVICE = os.environ.get("BENCH_RAY_DEVICE", "cpu")


def _model(work: Path) -> Path:
    import torch

    from app.models.ultralytics_env import import_yolo

    torch.manual_seed(0)
    model = import_yolo()("yolo11n.yaml")
    for seq in model.model.model[-1].cv3:
        seq[-1].bias.data.fill_(-1.0)
    path = work / "yolo11n.pt"
    model.save(str(path))
    return path


def _run(work: Path, name: str, recipe, images: list[Path], ray_settings=None) -> dict:
    from app.domain.labels import Label
    from app.media.ingest import create_image_task
    from app.media.sources import open_task_source
    from app.models.ray_backend import run_on_ray
    from app.models.runner import RunOptions, plan_task, run_detection
    from app.models.spec_labels import labels_from_spec
    from app.models.writer import AutoAnnotationRun
    from app.storage.store import Project

    function = recipe.load() if ray_settings is None else None
    spec = (function or recipe.load()).spec.labels
    project = Project.create(work / f"{name}.fmk", "bench", labels_from_spec(spec, [Label("x")]))
    task = create_image_task(project, "t", images)
    source = open_task_source(project, task.id)
    items, writer, options = plan_task(project, task.id), AutoAnnotationRun(project), RunOptions(batch_frames=32)
    first: list[float] = []
    started = time.perf_counter()

    def progress(_p) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    if ray_settings is None:
        result = run_detection(function, items, source, project.labels(), writer, options, progress=progress)
    else:
        result = run_on_ray(recipe, items, source, project.labels(), writer, options, ray_settings, progress=progress)
    wall = time.perf_counter() - started
    source.close()
    predict = statistics.median(result.per_frame) * 1000
    row = {"frames": result.frames_done, "shapes": result.shapes, "wall_s": round(wall, 2),
           "frames_per_s": round(result.frames_done / wall, 2),
           "frames_per_s_after_first": round((result.frames_done - 1) / (wall - first[0]), 2),
           "first_frame_s": round(first[0], 2), "predict_ms_median": round(predict, 2),
           "overhead_ms_per_frame": round(wall / result.frames_done * 1000 - predict, 2)}
    if result.worker_peak_rss:
        row["worker_peak_rss_mb"] = [round(r / 2**20) for r in result.worker_peak_rss]
    return row


def main() -> dict:
    import numpy as np
    import ray
    from PIL import Image

    from app.models.ray_backend import RaySettings
    from app.models.recipe import FunctionRecipe

    work = Path(tempfile.mkdtemp(prefix="fm-bench-ray-"))
    rng = np.random.default_rng(0)
    images = []
    for i in range(FRAMES):
        path = work / f"f{i:04d}.jpg"
        Image.fromarray(rng.integers(0, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8)).save(path)
        images.append(path)
    recipe = FunctionRecipe("model", str(_model(work)), {"device": DEVICE, "imgsz": SIZE[0], "max_det": 10})
    gpu = DEVICE.startswith("cuda")
    figures: dict = {"frames": FRAMES, "size": f"{SIZE[0]}x{SIZE[1]}", "device": DEVICE, "loadavg_before": _loadavg()}
    figures["in_process"] = _run(work, "in_process", recipe, images)
    started = time.perf_counter()
    root = str(Path(__file__).resolve().parents[1])
    ray.init(address="local", num_cpus=4 if gpu else 2, num_gpus=1 if gpu else 0, include_dashboard=False,
             log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}})
    figures["ray_start_s"] = round(time.perf_counter() - started, 2)
    try:
        for workers in (1, 2):
            settings = RaySettings(workers=workers, batch_size=4, gpus_per_worker=1 / workers if gpu else 0.0)
            figures[f"ray_{workers}"] = _run(work, f"ray_{workers}", recipe, images, settings)
    finally:
        started = time.perf_counter()
        ray.shutdown()
        figures["ray_stop_s"] = round(time.perf_counter() - started, 2)
    figures["driver_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    base = figures["in_process"]["frames_per_s_after_first"]
    figures["speedup_after_first_vs_in_process"] = {
        k: round(figures[k]["frames_per_s_after_first"] / base, 2) for k in ("ray_1", "ray_2")}
    figures["speedup_2_vs_1_workers"] = round(figures["ray_2"]["frames_per_s_after_first"]
                                              / figures["ray_1"]["frames_per_s_after_first"], 2)
    figures["loadavg_after"] = _loadavg()
    return figures


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"

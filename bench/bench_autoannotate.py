"""Auto-annotation overhead: our runner (decode, context, conversion, validation, batched writes) on
top of the model's own ``predict`` time, measured in the same 1,000-frame run.

YOLO11n detect with random weights (class bias raised so each frame yields ``MAX_DET`` boxes) on
320x240 frames at imgsz 320 (``BENCH_AA_SIZE=96x64`` for a quick run): 1,000 frames at 640 px on
the shared 2-core CPU take several minutes. Our overhead is roughly constant per frame (~3-5 ms with
10 objects), so smaller frames make the *percentage* look worse, larger ones better.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

FRAMES = int(os.environ.get("BENCH_AA_FRAMES", "1000"))
SIZE = tuple(int(v) for v in os.environ.get("BENCH_AA_SIZE", "320x240").split("x"))
MAX_DET = 10
MODES = tuple(os.environ.get("BENCH_AA_MODES", "sdk,fast").split(","))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _run_once(function, paths, db, predict_times, *, fast: bool) -> dict:
    """One full run (fresh project, same model and frames): SDK-object route or built-in fast route."""
    from app.domain.labels import Label
    from app.media.ingest import create_image_task
    from app.media.sources import open_task_source
    from app.models.runner import RunOptions, plan_task, run_detection
    from app.models.spec_labels import labels_from_spec
    from app.models.writer import StoreWriter
    from app.storage.store import Project

    project = Project.create(db, "bench", labels_from_spec(function.spec.labels, [Label("x")]))
    task = create_image_task(project, "t", paths)
    source = open_task_source(project, task.id)
    started = time.perf_counter()
    result = run_detection(function, plan_task(project, task.id), source, project.labels(), StoreWriter(project),
                           RunOptions(batch_frames=32, fast_path=fast))
    total = time.perf_counter() - started
    source.close()
    shapes = project.counts(task_id=task.id)["shapes"]
    project.close()
    predict = sum(predict_times)
    per_frame_overhead = [d - p for d, p in zip(result.per_frame, predict_times)]
    frames = max(result.frames_done, 1)
    return {
        "frames": result.frames_done,
        "shapes_written": shapes,
        "total_s": round(total, 3),
        "predict_s": round(predict, 3),
        "predict_ms_median": round(statistics.median(predict_times) * 1000, 2),
        "predict_ms_p95": round(_p95(predict_times) * 1000, 2),
        "adapter_ms_median": round(statistics.median(per_frame_overhead) * 1000, 3),
        "overhead_ms_per_frame": round((total - predict) / frames * 1000, 3),
        "adapter_ms_per_frame": round((result.detect_seconds - predict) / frames * 1000, 3),
        "wait_frame_ms_per_frame": round(result.stage_seconds["wait_frame"] / frames * 1000, 3),
        "validate_map_ms_per_frame": round(result.stage_seconds["map"] / frames * 1000, 3),
        "write_ms_per_frame": round(result.stage_seconds["write"] / frames * 1000, 3),
        "overhead_pct": round((total - predict) / predict * 100, 2),
    }


def main() -> dict:
    os.environ.setdefault("FIELDMARK_HOME", tempfile.mkdtemp(prefix="fieldmark-bench-"))
    import numpy as np
    import torch
    from PIL import Image

    from app.models.ultralytics_env import import_yolo
    from app.models.yolo import YoloFunction

    torch.set_num_threads(1)
    torch.manual_seed(0)
    work = Path(tempfile.mkdtemp(prefix="bench-aa-"))
    model = import_yolo()("yolo11n.yaml")
    for seq in model.model.model[-1].cv3:
        seq[-1].bias.data.fill_(-1.0)
    model.save(str(work / "yolo11n.pt"))
    function = YoloFunction(work / "yolo11n.pt", device="cpu", imgsz=SIZE[0], max_det=MAX_DET)

    predict_times: list[float] = []
    original = function.model.predict

    def timed_predict(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            predict_times.append(time.perf_counter() - t0)

    function.model.predict = timed_predict
    rng = np.random.default_rng(0)
    images = work / "imgs"
    images.mkdir()
    paths = []
    for i in range(FRAMES):
        path = images / f"f{i:05d}.png"
        Image.fromarray(rng.integers(0, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    function.predict(Image.open(paths[0]))  # warm-up, excluded
    runs = {}
    for mode in MODES:
        predict_times.clear()
        runs[mode] = _run_once(function, paths, work / f"bench-{mode}.fmk", predict_times, fast=mode == "fast")
    rows = {f"{key}[{mode}]": run[key] for mode, run in runs.items() for key in run}
    rows["target_pct"] = 10.0
    print(f"{'metric':28} " + " ".join(f"{m:>10}" for m in MODES))
    for key in runs[MODES[0]]:
        print(f"{key:28} " + " ".join(f"{runs[m][key]:>10}" for m in MODES))
    print(f"{'target_pct':28} {10.0:>10}")
    return rows


if __name__ == "__main__":
    main()

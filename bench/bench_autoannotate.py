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


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> dict:
    os.environ.setdefault("FIELDMARK_HOME", tempfile.mkdtemp(prefix="fieldmark-bench-"))
    import numpy as np
    import torch
    from PIL import Image

    from app.domain.labels import Label
    from app.media.ingest import create_image_task
    from app.media.sources import open_task_source
    from app.models.runner import RunOptions, plan_task, run_detection
    from app.models.spec_labels import labels_from_spec
    from app.models.ultralytics_env import import_yolo
    from app.models.writer import StoreWriter
    from app.models.yolo import YoloFunction
    from app.storage.store import Project

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
    project = Project.create(work / "bench.fmk", "bench", labels_from_spec(function.spec.labels, [Label("x")]))
    task = create_image_task(project, "t", paths)
    function.predict(Image.open(paths[0]))  # warm-up, excluded
    predict_times.clear()
    source = open_task_source(project, task.id)
    started = time.perf_counter()
    result = run_detection(function, plan_task(project, task.id), source, project.labels(), StoreWriter(project),
                           RunOptions(batch_frames=32))
    total = time.perf_counter() - started
    source.close()
    shapes = project.counts(task_id=task.id)["shapes"]
    project.close()
    predict = sum(predict_times)
    overhead = (total - predict) / predict
    per_frame_overhead = [d - p for d, p in zip(result.per_frame, predict_times)]
    rows = {
        "frames": result.frames_done,
        "shapes_written": shapes,
        "total_s": round(total, 3),
        "predict_s": round(predict, 3),
        "predict_ms_median": round(statistics.median(predict_times) * 1000, 2),
        "predict_ms_p95": round(_p95(predict_times) * 1000, 2),
        "adapter_ms_median": round(statistics.median(per_frame_overhead) * 1000, 3),
        "runner_overhead_ms_per_frame": round((total - predict) / max(result.frames_done, 1) * 1000, 3),
        "adapter_s": round(result.detect_seconds - predict, 3),
        "wait_frame_s": round(result.stage_seconds["wait_frame"], 3),
        "validate_map_s": round(result.stage_seconds["map"], 3),
        "write_s": round(result.stage_seconds["write"], 3),
        "overhead_pct": round(overhead * 100, 2),
        "target_pct": 10.0,
    }
    print(f"{'metric':32} value")
    for key, value in rows.items():
        print(f"{key:32} {value}")
    return rows


if __name__ == "__main__":
    main()

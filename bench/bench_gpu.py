"""GPU figures (when CUDA is available): SAM 2.1 image embedding and click-to-mask on the GPU, and
YOLO11 predict. Random weights (speed does not depend on weight values). On a CPU-only machine it
says so and measures nothing."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from app.models.device import describe, select_device

SAM_CONFIGS = {
    "tiny": "sam2.1_hiera_tiny.pt",
    "large": "sam2.1_hiera_large.pt",
}


def _p(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def bench_sam2(folder: Path, size: str, file_name: str, rng: np.random.Generator) -> dict:
    from app.models.interactor import Prompts
    from app.models.sam2_image import Sam2Interactor, config_for, save_random_checkpoint

    path = folder / file_name
    save_random_checkpoint(config_for(path, None), path)
    interactor = Sam2Interactor(path, device="cuda", prefer_onnx=False, cache_mib=4096)
    interactor.load()
    images = [(rng.random((1080, 1920, 3)) * 255).astype(np.uint8) for _ in range(3)]
    interactor.prepare(("warm", 0), images[0])
    embed = []
    for i in range(10):
        t = time.perf_counter()
        interactor.prepare(("img", i), images[i % 3])
        embed.append((time.perf_counter() - t) * 1000)
    clicks = []
    for i in range(30):
        prompts = Prompts(positive=((float(rng.integers(100, 1800)), float(rng.integers(100, 1000))),),
                          negative=((960.0, 540.0),) if i % 2 else ())
        t = time.perf_counter()
        result = interactor.predict(("img", i % 10), images[i % 3], prompts)
        result.to_polygon(64)
        clicks.append((time.perf_counter() - t) * 1000)
    return {f"sam2_{size}_embed_ms_p50": round(statistics.median(embed), 2),
            f"sam2_{size}_click_to_polygon_ms_p50": round(statistics.median(clicks), 2),
            f"sam2_{size}_click_to_polygon_ms_p95": _p(clicks, 95),
            f"sam2_{size}_decoder": interactor.decoder_backend}


def bench_yolo(folder: Path, rng: np.random.Generator) -> dict:
    from app.models.ultralytics_env import import_yolo

    yolo_cls = import_yolo()
    model = yolo_cls("yolo11n.yaml")
    path = folder / "yolo11n-random.pt"
    model.save(str(path))
    model = yolo_cls(str(path))
    frame = (rng.random((1080, 1920, 3)) * 255).astype(np.uint8)
    for _ in range(5):
        model.predict(frame, device="cuda", verbose=False, quantize=16)
    times = []
    for _ in range(50):
        t = time.perf_counter()
        model.predict(frame, device="cuda", verbose=False, quantize=16)
        times.append((time.perf_counter() - t) * 1000)
    return {"yolo11n_1080p_predict_ms_p50": round(statistics.median(times), 2),
            "yolo11n_1080p_predict_ms_p95": _p(times, 95)}


def main() -> dict:
    device = select_device("auto")
    print(f"  device: {describe()}")
    if not device.startswith("cuda"):
        print("  no CUDA device here: nothing measured")
        return {"device": device}
    import torch

    figures: dict = {"device": torch.cuda.get_device_name(0)}
    rng = np.random.default_rng(0)
    folder = Path(tempfile.mkdtemp(prefix="fm-bench-gpu-"))
    for size, file_name in SAM_CONFIGS.items():
        figures.update(bench_sam2(folder, size, file_name, rng))
    figures.update(bench_yolo(folder, rng))
    for key, value in figures.items():
        print(f"  {key:40s} {value}")
    return figures

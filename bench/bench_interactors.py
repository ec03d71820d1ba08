"""Interactors: SAM 2 click-to-mask (decoder + upscaling + polygon) and intelligent scissors on 4K.

SAM 2.1 tiny at 1024 px with random weights (speed does not depend on weight values), CPU, 1 thread.
The embedding is computed once (reported), then each click is timed from prompts to polygon, as wall
time and as the thread's CPU time (one thread does the work, so CPU time is what the wall time would be
on an idle machine; the shared 2-core VM often runs other jobs, which stretches the wall time).
Scissors: per-anchor map build (region square, default size) and per-cursor-move path on a 4K frame.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

CLICKS = 30
EMBEDS = 2


def _stats(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values) * 1000
    return {"median_ms": round(float(np.median(arr)), 1), "p95_ms": round(float(np.percentile(arr, 95)), 1),
            "n": len(values)}


def _scene(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
    for _ in range(12):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(img, c, int(rng.integers(h // 20, h // 6)), [int(v) for v in rng.integers(80, 255, 3)], -1)
    return img


def bench_sam2(backend: str) -> dict:
    import torch

    from app.models.interactor import Prompts
    from app.models.sam2_image import Sam2Interactor, save_random_checkpoint

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = save_random_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml", Path(tmp) / "sam2.1_hiera_tiny.pt")
        sam = Sam2Interactor(ckpt, device="cpu", threads=1, prefer_onnx=backend == "onnxruntime",
                             decoder_cache_dir=Path(tmp))
        sam.load()
        image = _scene(1080, 1920)
        embeds = []
        for i in range(EMBEDS):
            start = time.perf_counter()
            sam.prepare(("bench", i), image)
            embeds.append(time.perf_counter() - start)
        rng = np.random.default_rng(1)
        decode, upscale, poly, total, cpu = [], [], [], [], []
        for i in range(CLICKS + 3):
            pos = tuple((float(rng.uniform(0, 1920)), float(rng.uniform(0, 1080))) for _ in range(1 + i % 3))
            neg = tuple((float(rng.uniform(0, 1920)), float(rng.uniform(0, 1080))) for _ in range(i % 2))
            start, start_cpu = time.perf_counter(), time.thread_time()
            result = sam.predict(("bench", 0), None, Prompts(positive=pos, negative=neg))
            t_poly = time.perf_counter()
            result.to_polygon(max_points=60)
            end, end_cpu = time.perf_counter(), time.thread_time()
            if i >= 3:  # warm-up
                cpu.append(end_cpu - start_cpu)
                decode.append(result.timings["decode_s"])
                upscale.append(result.timings["upscale_s"])
                poly.append(end - t_poly)
                total.append(end - start)
        return {"backend": sam.decoder_backend, "load_s": round(sam.timings["load_s"], 2),
                "embedding_mib": round(sam.cache.used_mib / len(sam.cache), 1),
                "embedding": _stats(embeds), "decoder": _stats(decode), "upscale": _stats(upscale),
                "polygon": _stats(poly), "click_to_polygon": _stats(total), "click_to_polygon_cpu": _stats(cpu)}


def bench_scissors(region: int) -> dict:
    from app.models.scissors import build_map

    image = _scene(2160, 3840)
    rng = np.random.default_rng(2)
    anchors, anchors_cpu, moves = [], [], []
    for _ in range(10):
        ax, ay = float(rng.uniform(300, 3500)), float(rng.uniform(300, 1800))
        start, start_cpu = time.perf_counter(), time.thread_time()
        smap = build_map(image, (ax, ay), region)
        anchors.append(time.perf_counter() - start)
        anchors_cpu.append(time.thread_time() - start_cpu)
        for _ in range(20):
            start = time.perf_counter()
            smap.path_to(ax + rng.uniform(-region, region), ay + rng.uniform(-region, region))
            moves.append(time.perf_counter() - start)
    return {"region_px": region, "anchor": _stats(anchors), "anchor_cpu": _stats(anchors_cpu),
            "cursor_move": _stats(moves)}


def main() -> dict:
    from app.models.scissors import DEFAULT_REGION

    figures = {"load_average": [round(v, 2) for v in os.getloadavg()], "sam2_onnxruntime": bench_sam2("onnxruntime"), "sam2_torch": bench_sam2("torch"),
               "scissors_4k": bench_scissors(DEFAULT_REGION), "scissors_4k_800px": bench_scissors(800)}
    print(f"{'measure':<40}{'median ms':>11}{'p95 ms':>9}")
    for group, values in figures.items():
        if not isinstance(values, dict):
            continue
        for key, stats in values.items():
            if isinstance(stats, dict):
                print(f"{group + ' ' + key:<40}{stats['median_ms']:>11}{stats['p95_ms']:>9}")
    print(f"load average before/after: {figures['load_average']} / {[round(v, 2) for v in os.getloadavg()]}")
    return figures


if __name__ == "__main__":
    main()

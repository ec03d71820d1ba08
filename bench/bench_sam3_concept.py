"""SAM 3 concept prompts on CUDA when present (else CPU): the exemplar tool's path and video concept tracking.

Random weights (speed and memory do not depend on weight values); the library's default ``Sam3Config``
(1008 px input) unless ``FIELDMARK_SAM3_BENCH_SIDE`` (a multiple of 28) asks for a reduced model.
The device is chosen as the app does (:func:`app.models.device.select_device`, ``auto``: CUDA when
present); ``FIELDMARK_SAM3_BENCH_DEVICE=cpu`` forces the CPU. Times (medians, wall clock, with
``torch.cuda.synchronize`` on CUDA):

- ``first_find_ms``: text + 2 example boxes on a new frame (image encoder + one prompt pass + masks to polygons);
- ``same_frame_find_ms``: the same frame again after a box changed (features cached: the tool's re-run);
- ``track_per_frame_ms``: :func:`app.models.sam3.video.track_concept` over ``FIELDMARK_SAM3_BENCH_FRAMES``
  frames (default 8) of 640x480, per frame (encode + prompt + association), and the tracks made;
- ``cuda_peak_mb``: the peak of torch's CUDA allocations (0 on CPU), ``peak_rss_mb`` the process's.

Run: ``python -m bench sam3_concept`` (writes bench/results/sam3_concept.json) or
``python bench/bench_sam3_concept.py``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class _Frames:
    """In-memory frames with the FrameSource ``read`` call."""

    def __init__(self, count: int) -> None:
        rng = np.random.default_rng(0)
        self.frames = [rng.integers(0, 255, (480, 640, 3), dtype=np.uint8) for _ in range(count)]

    def read(self, index: int) -> np.ndarray:
        return self.frames[index]


def main() -> dict:
    import torch

    from app.models.device import select_device
    from app.models.sam3.engine import Exemplar, Sam3Engine
    from app.models.sam3.prompting import ConceptPrompt, ConceptSegmenter
    from app.models.sam3.video import track_concept

    side = int(os.environ.get("FIELDMARK_SAM3_BENCH_SIDE", "0"))
    count = int(os.environ.get("FIELDMARK_SAM3_BENCH_FRAMES", "8"))
    device = select_device(os.environ.get("FIELDMARK_SAM3_BENCH_DEVICE", "auto"))
    figures: dict = {"device": device, "torch": torch.__version__, "side": side or 1008, "frames": count}
    if device.startswith("cuda"):
        figures["gpu"] = torch.cuda.get_device_name(0)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    start = time.perf_counter()
    torch.manual_seed(0)
    if side:
        from tests.support.sam3_tiny import tiny_model

        model = tiny_model(side=side)
    else:
        from transformers import Sam3Config, Sam3Model

        model = Sam3Model(Sam3Config()).eval()
    segmenter = ConceptSegmenter(Sam3Engine(model, device), max_points=32)
    sync()
    figures["build_and_move_s"] = round(time.perf_counter() - start, 1)
    frames = _Frames(count)
    boxes = (Exemplar((100, 100, 200, 220)), Exemplar((400, 50, 500, 120), positive=False))
    first, same = [], []
    for i in range(3):
        prompt = ConceptPrompt("car", "car", boxes, frame=i, threshold=0.5)
        sync()
        t = time.perf_counter()
        segmenter.find(("bench", i), frames.read(i), i, prompt, "polygon")
        sync()
        first.append(time.perf_counter() - t)
        moved = ConceptPrompt("car", "car", (Exemplar((110, 100, 210, 230)), boxes[1]), frame=i, threshold=0.5)
        t = time.perf_counter()
        segmenter.find(("bench", i), frames.read(i), i, moved, "polygon")
        sync()
        same.append(time.perf_counter() - t)
    figures["first_find_ms"] = round(float(np.median(first)) * 1000, 1)
    figures["same_frame_find_ms"] = round(float(np.median(same)) * 1000, 1)
    per_frame: list[float] = []
    last = [time.perf_counter()]

    def progress(_p: object) -> None:
        sync()
        now = time.perf_counter()
        per_frame.append(now - last[0])
        last[0] = now

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    last[0] = time.perf_counter()
    result = track_concept(frames, list(range(count)), segmenter, ConceptPrompt("car", "car", threshold=0.5), "polygon",
                           key="track", progress=progress)
    figures["track_per_frame_ms"] = round(float(np.median(per_frame)) * 1000, 1)
    figures["tracks"] = len(result.tracks)
    figures["cuda_peak_mb"] = round(torch.cuda.max_memory_allocated() / 2**20) if device.startswith("cuda") else 0
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    for key, value in figures.items():
        print(f"{key:<22} {value}")
    return figures


if __name__ == "__main__":
    main()

"""Next-frame time for 1080p and 4K JPEG sequences: cold (decode on demand) and prefetched
(decode-ahead cache). Target: prefetched next frame <= 50 ms."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from app.media.cache import FrameCache
from app.media.sources import ImageListSource

N = 24


def make_sequence(folder: Path, width: int, height: int) -> list[Path]:
    rng = np.random.default_rng(1)
    base = (rng.random((height // 8, width // 8, 3)) * 255).astype(np.uint8)
    image = np.asarray(Image.fromarray(base).resize((width, height)))
    paths = []
    for i in range(N):
        path = folder / f"{width}_{i:03d}.jpg"
        Image.fromarray(np.roll(image, i * 7, axis=1)).save(path, quality=90)
        paths.append(path)
    return paths


def measure(paths: list[Path], prefetch: bool) -> list[float]:
    cache = FrameCache(ImageListSource(paths), capacity_bytes=2 << 30, workers=2)
    times = []
    cache.get(0)
    for i in range(1, N):
        if prefetch:
            cache.around(i - 1, ahead=3, behind=0)
            time.sleep(0.25)  # an annotator spends far longer than this on a frame
        t = time.perf_counter()
        cache.get(i)
        times.append((time.perf_counter() - t) * 1000)
    cache.close()
    return times


def main() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="fm-bench-frames-"))
    figures = {}
    for name, (w, h) in {"1080p": (1920, 1080), "4k": (3840, 2160)}.items():
        paths = make_sequence(folder, w, h)
        for mode, prefetch in (("cold", False), ("prefetched", True)):
            times = measure(paths, prefetch)
            figures[f"{name}_{mode}_ms_p50"] = round(statistics.median(times), 2)
            figures[f"{name}_{mode}_ms_p95"] = round(float(np.percentile(times, 95)), 2)
    for key, value in figures.items():
        print(f"  {key:28s} {value}")
    return figures

"""Track interpolation benchmarks.

- frame change: ``shape_at`` for every track of a scene (100 rectangles, 50 polygons of 20-40
  vertices with a different vertex count on every keyframe, 20 skeletons of 17 keypoints), on a
  random frame; the canvas does this on every frame switch (budget: a few ms of the 50 ms).
- cold polygon pair: one contour correspondence without the cache (40 vs 60 vertices; 500 vs 700).
- export: ``expand_track`` of 200 rectangle tracks over 10,000 frames (CVAT video export).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from app.domain.annotations import Track, TrackedShape
from app.domain.interpolation import expand_track, shape_at
from app.domain.resample import correspondence

FRAMES = 3000
KEY_EVERY = 25


def _polygon(rng: np.random.Generator, n: int, cx: float, cy: float) -> list[float]:
    angles = np.sort(rng.random(n) * 2 * np.pi)
    radii = 40 + 20 * rng.random(n)
    return np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1).ravel().tolist()


def scene(rng: np.random.Generator) -> list[Track]:
    tracks = []
    keys = range(0, FRAMES, KEY_EVERY)
    for _ in range(100):
        x, y = rng.random(2) * 1000
        tracks.append(Track(label_id=1, frame=0, shapes=[
            TrackedShape("rectangle", f, [x + f * 0.1, y, x + 50 + f * 0.1, y + 40], rotation=f % 360) for f in keys]))
    for _ in range(50):
        x, y = rng.random(2) * 1000
        tracks.append(Track(label_id=2, frame=0, shapes=[
            TrackedShape("polygon", f, _polygon(rng, int(rng.integers(20, 41)), x + f * 0.1, y)) for f in keys]))
    for _ in range(20):
        elements = [Track(label_id=10 + k, frame=0, shapes=[
            TrackedShape("points", f, (rng.random(2) * 1000).tolist()) for f in keys]) for k in range(17)]
        tracks.append(Track(label_id=3, frame=0, shapes=[TrackedShape("skeleton", f, []) for f in keys],
                            elements=elements))
    return tracks


def _frame_change(tracks: list[Track], frame: int) -> float:
    start = time.perf_counter()
    for track in tracks:
        shape_at(track, frame)
        for element in track.elements:
            shape_at(element, frame)
    return (time.perf_counter() - start) * 1000


def _stats(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), float(np.percentile(values, 95))


def main() -> dict:
    rng = np.random.default_rng(0)
    tracks = scene(rng)
    frames = [int(f) for f in rng.integers(0, FRAMES, 100)]
    cold = [_frame_change(tracks, f) for f in frames]  # first visit: correspondences computed
    warm = [_frame_change(tracks, f + 1 if (f + 1) % KEY_EVERY else f + 2) for f in frames]  # same segments

    pairs = {}
    for n0, n1 in ((40, 60), (500, 700)):
        times = []
        for _ in range(20):
            p0, p1 = tuple(_polygon(rng, n0, 0, 0)), tuple(_polygon(rng, n1, 5, 5))
            start = time.perf_counter()
            correspondence.__wrapped__(p0, p1, True)
            times.append((time.perf_counter() - start) * 1000)
        pairs[f"{n0}x{n1}"] = _stats(times)

    export_tracks = [Track(label_id=1, frame=0, shapes=[
        TrackedShape("rectangle", f, [f, 0, f + 10, 10]) for f in range(0, 10_000, 50)]) for _ in range(200)]
    start = time.perf_counter()
    total = sum(len(expand_track(t, 0, 9_999)) for t in export_tracks)
    export_s = time.perf_counter() - start

    rows = [
        ("frame change, 170 tracks (+340 elements), first visit", *_stats(cold)),
        ("frame change, 170 tracks, cached segments", *_stats(warm)),
        *[(f"polygon correspondence {k} (uncached)", *v) for k, v in pairs.items()],
    ]
    print(f"{'case':58s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for name, p50, p95 in rows:
        print(f"{name:58s} {p50:8.2f} {p95:8.2f}")
    print(f"expand_track: {total} states of 200 tracks x 10k frames in {export_s:.2f} s "
          f"({total / export_s / 1e3:.0f}k states/s)")
    return {
        "frame_change_ms": {"p50": rows[0][1], "p95": rows[0][2]},
        "frame_change_cached_ms": {"p50": rows[1][1], "p95": rows[1][2]},
        "correspondence_ms": {k: {"p50": v[0], "p95": v[1]} for k, v in pairs.items()},
        "expand_states_per_s": total / export_s,
    }


if __name__ == "__main__":
    main()

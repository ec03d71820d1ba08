"""Field package benchmarks: export and merge back of a 10,000-frame job with 500k shapes (time and peak
RSS of each, in its own process so the peaks are its own), and the package's size against its media; and a video job's package as one lossless FFV1 segment against
lossless PNG frames.

Each phase runs once at full size (tens of seconds each on a shared machine); the small case (1,000
frames, 50k shapes) runs 3 times and its medians are reported too. Set FIELDMARK_BENCH_PACKAGE_SCALE to
shrink the full size for a quick check.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHAPES_PER_FRAME = 50


def _make(folder: Path, frames: int) -> Path:
    from app.domain import Label, Shape
    from app.domain.project import FrameInfo
    from app.storage import Project

    media = folder / "media"
    media.mkdir(parents=True)
    rng = np.random.default_rng(0)
    infos = []
    for i in range(frames):  # small real JPEGs (the hashing and copying cost per file is what matters)
        path = media / f"{i:06d}.jpg"
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(path, quality=85)
        infos.append(FrameInfo(i, path.name, 64, 48, str(path)))
    location = folder / "big.fmproj"
    project = Project.create(location, labels=[Label("car")])
    task = project.create_task("t", infos)
    label = project.labels().by_name("car").id  # type: ignore[union-attr]
    job = project.jobs(task.id)[0].id
    for start in range(0, frames, 1000):
        project.add_shapes(job, [Shape("polygon", f, label, (rng.random(24) * 60).round(2).tolist(),
                                       attributes={}) for f in range(start, min(frames, start + 1000))
                                 for _ in range(SHAPES_PER_FRAME)])
    project.close()
    return location


def _phase(name: str, *args: str) -> dict:
    """Run one phase in a child process; its wall time and its own peak RSS."""
    out = subprocess.run([sys.executable, "-m", "bench.bench_packages", name, *args], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(name: str, args: list[str]) -> None:
    from app.packages.export import export_package
    from app.packages.merge import merge_package
    from app.storage import Project

    start = time.perf_counter()
    with Project.open(args[0]) as project:
        if name == "export":
            export_package(project, [project.jobs()[0].id], args[1])
        elif name == "edit":  # the field work: every 10th shape moved (a laptop's session, done through the API)
            job = project.jobs()[0].id
            shapes = project.annotations(job).shapes[::10]
            project.replace_annotations(job, remove_shapes=[s.id for s in shapes],  # type: ignore[misc]
                                        add=_moved(shapes))
        else:
            merge_package(project, args[1], policy="package")
    seconds = time.perf_counter() - start
    print(json.dumps({"s": round(seconds, 2), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


def _moved(shapes):
    from app.domain.annotations import Annotations

    return Annotations(shapes=[s.copy(points=[p + 1.0 for p in s.points]) for s in shapes])


def run(frames: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="fm-bench-pkg-"))
    project = _make(folder, frames)
    media = sum(p.stat().st_size for p in (folder / "media").iterdir())
    package = folder / "job.fmpkg"
    export = _phase("export", str(project), str(package))
    size = package.stat().st_size
    edit = _phase("edit", str(package))
    merge = _phase("merge", str(project), str(package))
    return {"frames": frames, "shapes": frames * SHAPES_PER_FRAME, "export_s": export["s"],
            "export_peak_rss_mb": export["peak_rss_mb"], "merge_s": merge["s"], "merge_peak_rss_mb": merge["peak_rss_mb"],
            "field_edit_s": edit["s"], "package_mb": round(size / 1e6, 1), "media_mb": round(media / 1e6, 1),
            "package_over_media": round(size / media, 2)}


def _make_video(folder: Path, frames: int, size: tuple[int, int] = (640, 360)) -> Path:
    """A video project: a moving gradient with texture and noise (camera-like content), encoded MPEG-4 Part 2
    (lossy, as an original from a camera would be); one task, one job of all its frames."""
    import cv2

    from app.domain import Label
    from app.domain.project import FrameInfo
    from app.storage import Project

    w, h = size
    path = folder / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (w, h))
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:h, 0:w]
    texture = rng.integers(0, 40, (h, w), dtype=np.uint8)
    for i in range(frames):
        base = ((xx + 3 * i) % 256 * 0.6 + (yy + i) % 256 * 0.4).astype(np.uint8)
        frame = np.stack([base, np.roll(base, i, axis=1), 255 - base], axis=-1)
        frame = cv2.add(frame, np.repeat(np.roll(texture, 2 * i, axis=0)[..., None], 3, axis=2))
        writer.write(cv2.add(frame, rng.integers(0, 8, frame.shape, dtype=np.uint8)))
    writer.release()
    location = folder / "video.fmproj"
    project = Project.create(location, labels=[Label("car")])
    project.create_task("clip", [FrameInfo(i, f"frame_{i:06d}", w, h) for i in range(frames)], media_type="video",
                        video_path=str(path))
    project.close()
    return location


def video(frames: int = 250) -> dict:
    """A video job's package: one lossless FFV1 segment against lossless PNG frames (the fallback), with
    the original clip's size for scale; export time of each (in this process)."""
    from app.media import segment
    from app.packages import export
    from app.storage import Project

    folder = Path(tempfile.mkdtemp(prefix="fm-bench-pkg-video-"))
    location = _make_video(folder, frames)
    out: dict = {"frames": frames, "size": "640x360", "ffv1_available": segment.can_write(),
                 "original_mp4_mb": round((folder / "clip.mp4").stat().st_size / 1e6, 2)}
    for kind in ("segment", "png"):
        original = segment.can_write
        if kind == "png":
            segment.can_write = lambda: False  # type: ignore[assignment]
        try:
            with Project.open(location) as project:
                job = project.jobs()[0].id
                start = time.perf_counter()
                manifest = export.export_package(project, [job], folder / f"{kind}.fmpkg")
                seconds = time.perf_counter() - start
                from app.packages.fieldwork import release

                release(project, manifest.package_id)
        finally:
            segment.can_write = original  # type: ignore[assignment]
        out[f"{kind}_media_mb"] = round(sum(m.size for m in manifest.media) / 1e6, 2)
        out[f"{kind}_package_mb"] = round((folder / f"{kind}.fmpkg").stat().st_size / 1e6, 2)
        out[f"{kind}_export_s"] = round(seconds, 2)
    out["segment_over_png"] = round(out["segment_media_mb"] / out["png_media_mb"], 3)
    return out


def main() -> dict:
    scale = float(os.environ.get("FIELDMARK_BENCH_PACKAGE_SCALE", "1"))
    figures: dict = {"loadavg_before": open("/proc/loadavg").read().split()[:3]}
    small = [run(int(1000 * scale)) for _ in range(3)]
    figures["small_median"] = {k: statistics.median(r[k] for r in small) for k in small[0]}
    figures["full"] = run(int(10_000 * scale))
    figures["video"] = video(max(10, int(250 * scale)))
    figures["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2:])

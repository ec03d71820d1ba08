"""Quality report speed end to end: ``fieldmark quality compare GT.xml DS.xml --json OUT`` on generated
CVAT job exports (``app.formats.synthetic_jobs``: ~50 objects per frame and side, every shape type,
groups), and the in-app report (a project with a GT job) on the 1,000-frame job.

Each run is a fresh process (interpreter start, reading both files, comparing, writing the JSON).
Reported: median wall and CPU seconds (the process and its worker processes) of ``RUNS`` runs for 1,000
frames and one run for 10,000 frames, peak RSS of the main process and of all its processes together, the load
average before and after, and the ratio to CVAT v2.73's ~600 s on a 1,000-frame job of this kind
(measured by the issue's author on their input; CVAT itself cannot run here). Generating the files is
not timed. ``FIELDMARK_BENCH_QUALITY_SIZES`` (e.g. ``1000,10000``) and ``FIELDMARK_BENCH_QUALITY_RUNS``
override the sizes and the run count.

``FIELDMARK_BENCH_QUALITY_BASELINE=DIR`` (a source tree of another revision, e.g. ``git archive REV | tar -x
-C DIR``) alternates runs of that code and of this one on the same files (baseline, current, baseline, ...),
so that both see the same machine load, reports both medians and whether their JSON outputs are equal
byte for byte. Every run starts in an empty folder (no source tree there can shadow the code under test).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.synthetic_jobs import job_pair

CVAT_SECONDS_1000 = 600.0
LIMITS = {1000: 6.0, 10000: 60.0}
RSS_LIMIT_MIB = 1024

_RUNNER = """
import json, sys
from app.cli import main
print(json.dumps({"rc": main(sys.argv[1:])}))
"""

_APP_RUNNER = """
import json, sys
from app.quality import service
from app.storage.store import Project
project = Project.open(sys.argv[1])
result = service.compute_task(project, 1)
project.close()
print(json.dumps({"rc": 0, "accuracy": next(iter(result.jobs.values())).annotations.accuracy}))
"""


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "?"


def run_once(args: list[str], code: str = _RUNNER, root: str | None = None) -> dict:
    """One fresh process; memory sampled every 50 ms with psutil (the main process, and the main process
    plus its workers together). ``ru_maxrss`` would not do: Linux carries it over fork and exec."""
    before = os.times()
    start = time.perf_counter()
    root = root or str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=root)
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env,
                                cwd=cwd)
        return _watch(proc, before, start)


def _watch(proc: subprocess.Popen, before: os.times_result, start: float) -> dict:
    import psutil

    main_peak = total_peak = 0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            main_rss = watched.memory_info().rss
            total = main_rss + sum(c.memory_info().rss for c in watched.children(recursive=True))
        except psutil.Error:
            total = main_rss = 0
        main_peak, total_peak = max(main_peak, main_rss), max(total_peak, total)
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""  # type: ignore[union-attr]
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode:
        raise RuntimeError(f"benchmark run failed with exit code {proc.returncode}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures.update(wall_s=wall, main_rss_mib=main_peak / 2**20, total_rss_mib=total_peak / 2**20,
                   cpu_s=(after.children_user - before.children_user) + (after.children_system - before.children_system))
    return figures


def measure(frames: int, folder: Path, runs: int) -> dict:
    gt, ds = job_pair(frames)
    write_cvat_xml(gt, folder / "gt.xml")
    write_cvat_xml(ds, folder / "ds.xml")
    del gt, ds
    load_before = loadavg()
    baseline = os.environ.get("FIELDMARK_BENCH_QUALITY_BASELINE")
    results, old_results = [], []
    for _ in range(runs):
        if baseline:
            old_results.append(run_once(_args(folder, "old.json"), root=baseline))
        results.append(run_once(_args(folder, "out.json")))
    summary = json.loads((folder / "out.json").read_text())["summary"]
    wall = statistics.median(r["wall_s"] for r in results)
    out = {
        "frames": frames, "runs": runs, "wall_s": round(wall, 2),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in results), 2),
        "main_rss_mib": round(max(r["main_rss_mib"] for r in results), 1),
        "total_rss_mib": round(max(r["total_rss_mib"] for r in results), 1),
        "load_before": load_before, "load_after": loadavg(), "limit_s": LIMITS.get(frames),
        "accuracy": round(summary["accuracy"], 4), "conflicts": summary["conflict_count"],
    }
    if baseline:
        out["baseline"] = {
            "root": baseline, "wall_s": round(statistics.median(r["wall_s"] for r in old_results), 2),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in old_results), 2),
            "total_rss_mib": round(max(r["total_rss_mib"] for r in old_results), 1),
            "same_json": (folder / "old.json").read_bytes() == (folder / "out.json").read_bytes(),
        }
    if frames == 1000:
        out["speedup_vs_cvat"] = round(CVAT_SECONDS_1000 / wall, 1)
        out["app_path"] = measure_app(folder, frames)
    return out


def _args(folder: Path, out: str) -> list[str]:
    return ["quality", "compare", str(folder / "gt.xml"), str(folder / "ds.xml"), "--json", str(folder / out)]


def measure_app(folder: Path, frames: int) -> dict:
    """The project report (service) on the same job: project built once (not timed), one run."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.unit.test_quality_scale import build_project

    project = build_project(folder, frames)
    path = project.path
    project.close()
    load_before = loadavg()
    r = run_once([str(path)], _APP_RUNNER)
    return {"wall_s": round(r["wall_s"], 2), "cpu_s": round(r["cpu_s"], 2),
            "main_rss_mib": round(r["main_rss_mib"], 1), "total_rss_mib": round(r["total_rss_mib"], 1),
            "load_before": load_before, "load_after": loadavg(), "accuracy": round(r["accuracy"], 4)}


def main() -> dict:
    sizes = [int(s) for s in os.environ.get("FIELDMARK_BENCH_QUALITY_SIZES", "1000,10000").split(",") if s]
    runs = int(os.environ.get("FIELDMARK_BENCH_QUALITY_RUNS", "3"))
    figures: dict = {"cpus": os.cpu_count(), "rss_limit_mib": RSS_LIMIT_MIB, "sizes": []}
    with tempfile.TemporaryDirectory() as tmp:
        for frames in sizes:
            folder = Path(tmp) / str(frames)
            folder.mkdir()
            figures["sizes"].append(measure(frames, folder, runs if frames <= 1000 else 1))
    print(f"{'frames':>7} {'runs':>4} {'wall s':>7} {'CPU s':>7} {'main MiB':>9} {'all MiB':>8}  load before/after")
    for f in figures["sizes"]:
        print(f"{f['frames']:>7} {f['runs']:>4} {f['wall_s']:>7} {f['cpu_s']:>7} {f['main_rss_mib']:>9} "
              f"{f['total_rss_mib']:>8}  {f['load_before']} / {f['load_after']}")
        if "app_path" in f:
            a = f["app_path"]
            print(f"{'(app)':>7} {1:>4} {a['wall_s']:>7} {a['cpu_s']:>7} {a['main_rss_mib']:>9} "
                  f"{a['total_rss_mib']:>8}  {a['load_before']} / {a['load_after']}")
            print(f"  {CVAT_SECONDS_1000:.0f} s (CVAT v2.73) / {f['wall_s']} s = {f['speedup_vs_cvat']}x")
        if "baseline" in f:
            b = f["baseline"]
            print(f"  baseline {b['root']}: wall {b['wall_s']} s, CPU {b['cpu_s']} s, all {b['total_rss_mib']} MiB; "
                  f"same JSON: {b['same_json']}")
    return figures


if __name__ == "__main__":
    main()

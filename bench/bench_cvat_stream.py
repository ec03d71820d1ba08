"""CVAT XML import + export at scale: CPU seconds and peak RSS, each run in a fresh subprocess.

10k frames x 50 shapes (boxes and polygons, 500k shapes): import = read the XML into a new project,
export = write the project's task back to CVAT XML. Peak RSS is only meaningful per process, so every
run is its own interpreter, and it is read from ``VmHWM`` in /proc/self/status: ``ru_maxrss`` survives
exec on Linux, so a child would report at least this parent's size (which holds the generated dataset). Variants run alternating, side by side in one run:

- ``new``: this tree;
- ``old``: another Fieldmark tree (``FM_BENCH_CVAT_OLD`` = a checkout of an earlier commit, e.g. a git
  worktree of main), to compare before/after on the same machine and load;
- ``datumaro``: Datumaro's CVAT importer + exporter, when the ``datumaro`` package imports (from the venv,
  or from ``FM_BENCH_DATUMARO_PATH``, e.g. a ``pip install --target`` folder kept out of the app's venv).

``FM_BENCH_CVAT_FRAMES`` (default 10000) and ``FM_BENCH_CVAT_REPEATS`` (default 3) scale it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FRAMES = int(os.environ.get("FM_BENCH_CVAT_FRAMES", "10000"))
REPEATS = int(os.environ.get("FM_BENCH_CVAT_REPEATS", "3"))
SHAPES_PER_FRAME = 50
ROOT = Path(__file__).resolve().parent.parent
DATUMARO_PATH = os.environ.get("FM_BENCH_DATUMARO_PATH", "")

# The child: run in a fresh interpreter with the tree to test first on sys.path. It prints one JSON line.
_PEAK = r"""
def peak_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_FIELDMARK_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
xml, work = Path(sys.argv[1]), Path(sys.argv[2])
from app.formats.exporter import export_project
from app.storage.store import Project
try:
    from app.formats.importer import import_file_as_new_project  # streams the file into the project
    def run_import():
        import_file_as_new_project(work / "p.fmproj", xml, "cvat")
except ImportError:  # an older tree (FM_BENCH_CVAT_OLD) reads the whole file first
    from app.formats.importer import import_new_project, read_dataset
    def run_import():
        import_new_project(work / "p.fmproj", read_dataset(xml, "cvat"), xml)
cpu0, wall0 = time.process_time(), time.perf_counter()
run_import()
cpu1, wall1 = time.process_time(), time.perf_counter()
rss_import = peak_mib()
project = Project.open(work / "p.fmproj", read_only=True)
shapes = project.counts()["shapes"]
cpu2, wall2 = time.process_time(), time.perf_counter()
export_project(project, "cvat", work / "out.xml", task=1)
cpu3, wall3 = time.process_time(), time.perf_counter()
project.close()
print(json.dumps({"import_cpu": cpu1 - cpu0, "export_cpu": cpu3 - cpu2, "import_wall": wall1 - wall0,
                  "export_wall": wall3 - wall2, "rss_import_mib": rss_import,
                  "rss_peak_mib": peak_mib(), "shapes": shapes}))
"""

_DATUMARO_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
xml, work = Path(sys.argv[1]), Path(sys.argv[2])
from datumaro.components.dataset import Dataset
cpu0, wall0 = time.process_time(), time.perf_counter()
ds = Dataset.import_from(str(xml.parent), "cvat")
shapes = sum(len(item.annotations) for item in ds)
cpu1, wall1 = time.process_time(), time.perf_counter()
rss_import = peak_mib()
ds.export(str(work / "out"), "cvat", save_media=False)
cpu3, wall3 = time.process_time(), time.perf_counter()
print(json.dumps({"import_cpu": cpu1 - cpu0, "export_cpu": cpu3 - cpu1, "import_wall": wall1 - wall0,
                  "export_wall": wall3 - wall1, "rss_import_mib": rss_import,
                  "rss_peak_mib": peak_mib(), "shapes": shapes}))
"""


def _has_datumaro() -> bool:
    env = {**os.environ, "PYTHONPATH": DATUMARO_PATH} if DATUMARO_PATH else None
    probe = subprocess.run([sys.executable, "-c", "import datumaro"], capture_output=True, check=False, env=env)
    return probe.returncode == 0


def _run(variant: str, tree: Path | None, xml: Path, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    code = _PEAK + (_DATUMARO_CHILD if variant == "datumaro" else _FIELDMARK_CHILD)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    elif DATUMARO_PATH:
        env["PYTHONPATH"] = DATUMARO_PATH
    done = subprocess.run([sys.executable, "-c", code, str(xml), str(work)], cwd=tree or ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> dict:
    from app.formats.cvat_xml_write import write_cvat_xml
    from app.formats.synthetic import bulk_dataset

    folder = Path(tempfile.mkdtemp(prefix="fm-bench-cvat-"))
    source = folder / "src"
    source.mkdir()
    xml = source / "annotations.xml"
    dataset = bulk_dataset(FRAMES, SHAPES_PER_FRAME)
    total = len(dataset.annotations.shapes)
    write_cvat_xml(dataset, xml)
    xml_bytes = xml.stat().st_size
    images = source / "images"  # Datumaro 1.13 refuses a CVAT file whose images are not beside it
    images.mkdir()
    for frame in dataset.frames:
        (images / frame.name).touch()
    del dataset
    variants: dict[str, Path | None] = {"new": ROOT}
    old = os.environ.get("FM_BENCH_CVAT_OLD")
    if old:
        variants["old"] = Path(old)
    if _has_datumaro():
        variants["datumaro"] = None
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for k in range(REPEATS):
        for name, tree in variants.items():  # alternating: load changes hit every variant alike
            result = _run(name, tree, xml, folder / f"{name}{k}")
            if result["shapes"] != total:
                raise RuntimeError(f"{name} saw {result['shapes']} shapes, expected {total}")
            runs[name].append(result)
            subprocess.run(["rm", "-rf", str(folder / f"{name}{k}")], check=False)
    subprocess.run(["rm", "-rf", str(folder)], check=False)

    figures: dict[str, object] = {"frames": FRAMES, "shapes": total, "repeats": REPEATS,
                                  "xml_mib": round(xml_bytes / 2**20), "load_average": list(os.getloadavg())}
    print(f"{'variant':<10}{'import cpu s':>13}{'export cpu s':>13}{'total cpu s':>12}{'wall s':>8}"
          f"{'peak RSS MiB':>14}{'after import':>14}")
    for name, results in runs.items():
        def med(key: str, results: list[dict] = results) -> float:
            return statistics.median(r[key] for r in results)
        total_cpu = statistics.median(r["import_cpu"] + r["export_cpu"] for r in results)
        wall = statistics.median(r["import_wall"] + r["export_wall"] for r in results)
        print(f"{name:<10}{med('import_cpu'):>13.2f}{med('export_cpu'):>13.2f}{total_cpu:>12.2f}{wall:>8.2f}"
              f"{med('rss_peak_mib'):>14.0f}{med('rss_import_mib'):>14.0f}")
        figures[name] = {"import_cpu_s": round(med("import_cpu"), 2), "export_cpu_s": round(med("export_cpu"), 2),
                         "total_cpu_s": round(total_cpu, 2), "wall_s": round(wall, 2),
                         "peak_rss_mib": round(med("rss_peak_mib")), "rss_after_import_mib": round(med("rss_import_mib"))}
    print(f"load average after the runs: {figures['load_average']}")
    return figures


if __name__ == "__main__":
    main()

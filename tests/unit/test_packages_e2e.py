"""Field packages end to end with real processes, on both engines: a 3-job task split into 3 packages, each
annotated in its own process, merged back with the CLI, equal to the same work done in the project; and
kill -9 during a merge and during an export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main as cli
from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import ShapeType
from app.storage.store import Project
from tests.support.packages import car, content, make_project

ROOT = Path(__file__).resolve().parents[2]


def work(project: Project, job_id: int) -> None:
    """The field work, defined by frame names so it is the same in a package (renumbered) and at home."""
    label_id, colour = car(project)
    task_id = project.job(job_id).task_id
    names = {f.index: f.name for f in project.frames(task_id)}
    frames = project.job(job_id).frame_list()
    shapes, tags = [], []
    for f in frames:
        n = int(names[f][3:6])
        shapes.append(Shape(ShapeType.POLYGON, f, label_id, [n, 1.5, n + 4.0, 2.0, n + 2.0, 9.75],
                            attributes={colour: "blue" if n % 2 else "red"}))
        tags.append(Tag(f, label_id, attributes={colour: "blue"}))
    track = Track(label_id, frames[0], [TrackedShape(ShapeType.RECTANGLE, f, [1.0, 1.0, 3.0, 3.0 + i])
                                        for i, f in enumerate(frames)])
    project.add_annotations(job_id, Annotations(shapes=shapes, tracks=[track], tags=tags))


_WORKER = """
import sys
from app.storage.store import Project
from tests.unit.test_packages_e2e import work
with Project.open(sys.argv[1]) as package:
    work(package, package.jobs()[0].id)
"""


def _run(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _cli(*args: str) -> int:
    return cli(list(args))


def test_three_packages_worked_apart_merge_to_the_same_result(project_location: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    project = make_project(project_location, tmp_path, frames=9, segment=3)
    jobs = [j.id for j in project.jobs()]
    target = project.location.display
    project.close()
    assert len(jobs) == 3
    for i, job_id in enumerate(jobs):
        assert _cli("package", "export", target, "--job", str(job_id), "--out", str(tmp_path / f"j{i}.fmpkg")) == 0
    workers = [_run("-c", _WORKER, str(tmp_path / f"j{i}.fmpkg")) for i in range(3)]  # three laptops at once
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    for i in range(3):
        assert _cli("package", "merge", target, str(tmp_path / f"j{i}.fmpkg"), "--report", str(tmp_path / f"r{i}.json")) == 0
    assert "fast-forward" in capsys.readouterr().out
    with Project.open(target) as project:
        control = make_project(str(tmp_path / "control.fmproj"), tmp_path / "c", frames=9, segment=3)  # same work, at home
        for job in control.jobs():
            work(control, job.id)
        expected = [content(control.annotations(job.id)) for job in control.jobs()]
        control.close()
        assert [content(project.annotations(j)) for j in jobs] == expected
        assert project.counts()["shapes"] == 9 and project.counts()["tracks"] == 3 and project.counts()["tags"] == 9
        assert not project.job_leases()


_KILLED_MERGE = """
import sys, time
from pathlib import Path
from app.packages import fieldwork, merge
from app.storage.store import Project
record = fieldwork.set_record
def stall(*args, **kwargs):
    record(*args, **kwargs)
    Path(sys.argv[3]).write_text("inside the transaction")
    time.sleep(300)
fieldwork.set_record = stall
with Project.open(sys.argv[1]) as project:
    merge.merge_package(project, sys.argv[2])
"""


def _wait_for(marker: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_kill_during_merge_leaves_the_project_as_it_was(project_location: str, tmp_path: Path) -> None:
    project = make_project(project_location, tmp_path)
    job_id = project.jobs()[0].id
    target = project.location.display
    project.close()
    assert _cli("package", "export", target, "--job", str(job_id), "--out", str(tmp_path / "j.fmpkg")) == 0
    worker = _run("-c", _WORKER, str(tmp_path / "j.fmpkg"))
    assert worker.wait(timeout=300) == 0
    merger = _run("-c", _KILLED_MERGE, target, str(tmp_path / "j.fmpkg"), str(tmp_path / "marker"))
    _wait_for(tmp_path / "marker", merger)
    merger.send_signal(signal.SIGKILL)
    merger.wait(timeout=60)
    with Project.open(target) as project:
        assert len(project.annotations(job_id)) == 0  # nothing of the package came in
        assert project.job_lease(job_id) is not None  # still out in the field
        assert project.job(job_id).revision == 0
    assert _cli("package", "merge", target, str(tmp_path / "j.fmpkg")) == 0  # the next merge just works
    with Project.open(target) as project:
        assert len(project.annotations(job_id)) == 5


_KILLED_EXPORT = """
import sys, time
from pathlib import Path
from app.packages import container
from app.packages.export import export_package
from app.storage.store import Project
seal = container.seal
def stall(*args, **kwargs):
    seal(*args, **kwargs)
    Path(sys.argv[3]).write_text("sealed, not yet renamed")
    time.sleep(300)
container.seal = stall
with Project.open(sys.argv[1]) as project:
    export_package(project, [project.jobs()[0].id], sys.argv[2])
"""


def test_kill_during_export_leaves_no_package_and_a_clear_way_back(project_location: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    project = make_project(project_location, tmp_path)
    job_id = project.jobs()[0].id
    target = project.location.display
    project.close()
    exporter = _run("-c", _KILLED_EXPORT, target, str(tmp_path / "j.fmpkg"), str(tmp_path / "marker"))
    _wait_for(tmp_path / "marker", exporter)
    exporter.send_signal(signal.SIGKILL)
    exporter.wait(timeout=60)
    assert not (tmp_path / "j.fmpkg").exists()  # never a package that looks whole but is not
    assert _cli("package", "export", target, "--job", str(job_id), "--out", str(tmp_path / "k.fmpkg")) == 2
    assert "release" in capsys.readouterr().err
    assert _cli("package", "release", target, "--job", str(job_id)) == 0
    assert _cli("package", "export", target, "--job", str(job_id), "--out", str(tmp_path / "j.fmpkg")) == 0
    assert _cli("package", "info", str(tmp_path / "j.fmpkg")) == 0

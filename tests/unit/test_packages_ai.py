"""Auto-annotation on a laptop: a CVAT-style function run on an unpacked package (frames read from the
package's media), the skeletons merged back onto the right task frames with their keypoints."""

from __future__ import annotations

from pathlib import Path

from app.media.sources import open_task_source
from app.models.functions import load_function_file
from app.models.runner import RunOptions, plan_task, run_detection
from app.models.writer import StoreWriter
from app.packages import container
from app.packages.export import export_package
from app.packages.merge import merge_package
from app.storage.store import Project
from tests.support.packages import content
from tests.unit.models_fixtures import FUNCTIONS, make_project


def test_a_model_runs_on_a_package_and_its_skeletons_merge_back(tmp_path: Path) -> None:
    project = make_project(tmp_path / "office", frames=5, segment_size=2)
    job = project.jobs(project.tasks()[0].id)[1]  # task frames 2 and 3
    manifest = export_package(project, [job.id], tmp_path / "laptop" / "j.fmpkg")
    container.unpack_media(tmp_path / "laptop" / "j.fmpkg", manifest)
    with Project.open(tmp_path / "laptop" / "j.fmpkg") as package:
        task = package.tasks()[0]
        source = open_task_source(package, task.id)
        try:
            result = run_detection(load_function_file(FUNCTIONS / "pose_skeleton.py"), plan_task(package, task.id),
                                   source, package.labels(), StoreWriter(package, clear_existing=False),
                                   RunOptions(batch_frames=1))
        finally:
            source.close()
        assert result.frames_done == 2
        expected = package.annotations(package.jobs()[0].id)
    report = merge_package(project, tmp_path / "laptop" / "j.fmpkg")
    assert report["totals"]["added"] == 2
    merged = project.annotations(job.id)
    assert sorted(s.frame for s in merged.shapes) == [2, 3]
    assert all(len(s.elements) == 17 for s in merged.shapes)
    assert {s.uid for s in merged.shapes} == {s.uid for s in expected.shapes}  # stable ids, keypoints too
    assert {e.uid for s in merged.shapes for e in s.elements} == {e.uid for s in expected.shapes for e in s.elements}
    for s in expected.shapes:
        s.frame += 2
        for e in s.elements:
            e.frame = s.frame
    assert content(merged) == content(expected)
    project.close()

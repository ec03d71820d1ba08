"""`fieldmark package` commands: info, a dry run, the ask policy's refusal, the saved report; and a video job
packaged as lossless frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.domain.annotations import Annotations
from app.media.sources import open_task_source
from app.packages import container, fieldwork
from app.packages.export import export_package
from app.storage.store import Project
from tests.support.packages import annotate, make_project


def test_info_dry_run_ask_and_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = make_project(str(tmp_path / "p.fmproj"), tmp_path)
    job_id = project.jobs()[0].id
    annotate(project, job_id, seed=5)
    manifest = export_package(project, [job_id], tmp_path / "j.fmpkg")
    with Project.open(tmp_path / "j.fmpkg") as package:  # field work: the first box moved
        box = package.annotations(package.jobs()[0].id).shapes[0]
        package.replace_annotations(package.jobs()[0].id, remove_shapes=[box.id],
                                    add=Annotations(shapes=[box.copy(points=[1.0, 1.0, 2.0, 2.0])]))
    fieldwork.release(project, manifest.package_id)  # ...and the same box moved at home
    home = next(s for s in project.annotations(job_id).shapes if s.uid == box.uid)
    project.replace_annotations(job_id, remove_shapes=[home.id],
                                add=Annotations(shapes=[home.copy(points=[3.0, 3.0, 4.0, 4.0])]))
    project.close()
    target, package = str(tmp_path / "p.fmproj"), str(tmp_path / "j.fmpkg")

    assert main(["package", "info", package]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["package"] == manifest.package_id and info["jobs"][0]["frames"] == 2
    assert main(["package", "merge", target, package, "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["jobs"][0]["fast_forward"] is False and dry["conflicts"][0]["uid"] == box.uid
    assert main(["package", "merge", target, package]) == 2  # ask: refused, listed, nothing written
    err = capsys.readouterr().err
    assert "1 object(s) changed on both sides" in err and f"frame 0 shape {box.uid[:8]}" in err
    assert main(["package", "merge", target, package, "--policy", "project", "--report",
                 str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "three-way" in out and "conflict: frame 0" in out and "project version kept" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["conflicts"] == 1 and report["policy"] == "project"
    with Project.open(target) as project:
        assert {s.uid: s.points for s in project.annotations(job_id).shapes}[box.uid] == [3.0, 3.0, 4.0, 4.0]
        assert fieldwork.records(project, job_id)[manifest.package_id]["counts"]["conflicts"] == 1
        merged = sorted(s.uid for s in project.annotations(job_id).shapes)
    assert main(["package", "undo", target, package]) == 0 and "undid the merge" in capsys.readouterr().out
    with Project.open(target) as project:
        assert len(merged) == 2 and project.job_lease(job_id).token == manifest.package_id
    assert main(["package", "undo", target, package]) == 2  # nothing left to undo
    assert "to undo" in capsys.readouterr().err


@pytest.mark.parametrize("encoder", [True, False])
def test_a_video_job_travels_as_a_lossless_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   encoder: bool) -> None:
    """The job's frames as one FFV1 segment (a video task in the package, read frame-accurately in any order),
    or, where OpenCV cannot write it, as PNG frames: the decoded pixels, exactly, either way."""
    from app.demo import create_demo
    from app.media import segment

    if encoder and not segment.can_write():
        pytest.skip("this OpenCV build has no FFV1 encoder")
    if not encoder:
        monkeypatch.setattr(segment, "can_write", lambda: False)
    project = Project.open(create_demo(tmp_path / "demo" / "demo.fmproj"))
    try:
        video = next(t for t in project.tasks() if t.media_type == "video")
        job = project.jobs(video.id)[1]
        frames = job.frame_list()
        manifest = export_package(project, [job.id], tmp_path / "v.fmpkg")
        if encoder:
            assert [m.name for m in manifest.media] == [f"job{job.id}/frames.mkv"]
        else:
            assert all(m.name.endswith(".png") for m in manifest.media) and len(manifest.media) == len(frames)
        container.unpack_media(tmp_path / "v.fmpkg", manifest)
        source = open_task_source(project, video.id)
        with Project.open(tmp_path / "v.fmpkg", read_only=True) as package:
            (task,) = package.tasks()
            assert task.media_type == ("video" if encoder else "images")
            assert len(package.frames(task.id)) == len(frames)
            packaged = open_task_source(package, task.id)
            order = [len(frames) - 1, 0, len(frames) // 2, 1, len(frames) - 2, 2]  # seeks back and forth
            for i in order + list(range(len(frames))):
                assert np.array_equal(packaged.read(i), source.read(frames[i])), i  # decoded once, stored exactly
            packaged.close()
        source.close()
    finally:
        project.close()

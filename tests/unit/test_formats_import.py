"""Importing into existing tasks/jobs (labels by name, frames by name or number, replace/append, one
transaction) and exporting jobs/tasks/projects, through the API and the CLI."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main as cli_main
from app.domain.annotations import Annotations
from app.domain.enums import ShapeType
from app.domain.labels import Label
from app.domain.project import FrameInfo
from app.formats.cvat_xml_read import read_cvat_xml
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.errors import FormatError
from app.formats.exporter import build_dataset, export_project
from app.formats.importer import import_into_project, import_new_project
from app.formats.synthetic import sample_dataset, sample_labels
from app.media.ingest import create_image_task
from app.storage.store import Project
from tests.unit.test_formats_cvat_roundtrip import normalized


def _fresh_labels(drop: str = "") -> list[Label]:
    return [copy.deepcopy(label) for label in sample_labels() if label.name != drop]


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(20):
        Image.fromarray(np.full((48, 64, 3), i * 10, np.uint8)).save(folder / f"img_{i:03d}.png")
    return folder


@pytest.fixture
def project(project_location: str, images: Path) -> Project:
    project = Project.create(project_location, "p", _fresh_labels())
    create_image_task(project, "t", [images], segment_size=10)
    yield project
    project.close()


def _shapes_only(drop_tags: bool = False) -> object:
    ds = sample_dataset()
    ds.annotations = Annotations(shapes=ds.annotations.shapes, tags=[] if drop_tags else ds.annotations.tags)
    return ds


def test_import_into_task_matches_names_and_splits_jobs(project: Project, tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.frames.reverse()  # frame order in the file does not matter: names do
    for k, frame in enumerate(ds.frames):
        frame.index = k
    ds.annotations = Annotations(shapes=[s.copy(frame=19 - s.frame) for s in ds.annotations.shapes])
    for s in ds.annotations.shapes:
        for e in s.elements:
            e.frame = s.frame
    result = import_into_project(project, ds, tmp_path / "x.xml", task="t")
    assert result.report.clean and result.counts["shapes"] == 9
    job1, job2 = project.jobs(result.task_id)
    assert sorted(s.frame for s in project.annotations(job1.id).shapes) == [0, 0, 1, 1, 2, 2, 3, 3, 4]
    assert project.annotations(job2.id).shapes == []


def test_append_then_replace(project: Project, tmp_path: Path) -> None:
    ds = _shapes_only()
    import_into_project(project, ds, tmp_path / "x.xml")
    import_into_project(project, _shapes_only(), tmp_path / "x.xml")
    assert project.counts()["shapes"] == 18 and project.counts()["tags"] == 4
    import_into_project(project, _shapes_only(drop_tags=True), tmp_path / "x.xml", replace=True)
    assert project.counts()["shapes"] == 9 and project.counts()["tags"] == 0


def test_unknown_labels_report_and_create(tmp_path: Path, images: Path) -> None:
    with Project.create(tmp_path / "q.fmproj", "q", _fresh_labels(drop="person")) as project:
        create_image_task(project, "t", [images])
        car = project.labels().by_name("car")
        car.attributes = [a for a in car.attributes if a.name != "note"]
        project.update_label(car)
        with pytest.raises(FormatError, match=r"labels 'person'; attributes 'car.note' are not in the project"):
            import_into_project(project, _shapes_only(), tmp_path / "x.xml")
        assert project.counts()["shapes"] == 0 and project.labels().by_name("person") is None
        result = import_into_project(project, _shapes_only(), tmp_path / "x.xml", create_missing=True)
        assert result.report.unknown_labels == ["person"] and result.report.unknown_attributes == ["car.note"]
        assert project.labels().by_name("person") is not None
        assert project.labels().by_name("car").attribute("note") is not None
        assert project.counts()["by_label"] == {"car": 5, "person": 3, "pose": 1, "weather": 2}


def test_failed_import_writes_nothing(project: Project, tmp_path: Path) -> None:
    import_into_project(project, _shapes_only(), tmp_path / "x.xml")
    before = project.counts()
    ds = _shapes_only()
    ds.frames[4].name = "not_in_task.png"  # the skeleton's frame
    ds.labels.append(Label(name="extra"))
    ds.labels[-1].id = 999
    with pytest.raises(FormatError, match=r"frame 'not_in_task.png'.*does not have"):
        import_into_project(project, ds, tmp_path / "x.xml", replace=True, create_missing=True)
    assert project.counts() == before
    assert project.labels().by_name("extra") is None


def test_import_into_job_checks_its_frames(project: Project, tmp_path: Path) -> None:
    job2 = project.jobs()[1]
    with pytest.raises(FormatError, match="not part of job"):
        import_into_project(project, _shapes_only(), tmp_path / "x.xml", job=job2.id)
    ds = _shapes_only(drop_tags=True)
    ds.annotations.shapes = [s.copy(frame=s.frame + 10) for s in ds.annotations.shapes]
    import_into_project(project, ds, tmp_path / "x.xml", job=job2.id)
    assert project.counts(job_id=job2.id)["shapes"] == 9


def test_job_export_keeps_absolute_frame_numbers(project: Project, tmp_path: Path) -> None:
    job2 = project.jobs()[1]
    ds = _shapes_only(drop_tags=True)
    ds.annotations.shapes = [s.copy(frame=s.frame + 10) for s in ds.annotations.shapes]
    import_into_project(project, ds, tmp_path / "x.xml")
    export_project(project, "cvat", tmp_path / "job.xml", job=job2.id)
    back = read_cvat_xml(tmp_path / "job.xml")
    assert back.meta["scope"] == "job" and [f.number for f in back.frames] == list(range(10, 20))
    assert sorted({back.frames[s.frame].name for s in back.annotations.shapes}) == [
        f"img_{i:03d}.png" for i in range(10, 15)]
    import_into_project(project, back, tmp_path / "job.xml", job=job2.id, replace=True)
    assert project.counts(job_id=job2.id)["shapes"] == 9


def test_video_task_tracks_roundtrip_by_frame_number(tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations = Annotations(tracks=ds.annotations.tracks)
    ds.meta["layout"] = "video"  # frames are matched by number, not by name
    with Project.create(tmp_path / "v.fmproj", "v", _fresh_labels()) as project:
        frames = [FrameInfo(index=i, name=f"frame_{i:06d}", width=64, height=48) for i in range(20)]
        task = project.create_task("video", frames)
        import_into_project(project, copy.deepcopy(ds), tmp_path / "x.xml", task=task.id)  # consumed
        result = export_project(project, "cvat", tmp_path / "out.xml", task="video")
        assert result.layout == "video"
        back = read_cvat_xml(tmp_path / "out.xml")
        assert normalized(back)["tracks"] == normalized(ds)["tracks"]
        import_into_project(project, back, tmp_path / "out.xml", task=task.id, replace=True)
        again = build_dataset(project, task=task.id)
        assert normalized(again)["tracks"] == normalized(ds)["tracks"]


def test_cli_import_export_with_images(tmp_path: Path, images: Path, capsys: pytest.CaptureFixture) -> None:
    ds = _shapes_only()
    for frame in ds.frames:
        frame.name = f"img_{frame.index:03d}.png"
    (tmp_path / "src" / "images").mkdir(parents=True)
    write_cvat_xml(ds, tmp_path / "src" / "annotations.xml")
    for frame in ds.frames:
        (tmp_path / "src" / "images" / frame.name).write_bytes((images / frame.name).read_bytes())
    proj = tmp_path / "cli.fmproj"
    assert cli_main(["import", str(proj), str(tmp_path / "src"), "--format", "cvat", "--quiet"]) == 0
    capsys.readouterr()
    assert cli_main(["info", str(proj), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["tasks"][0]["frames"] == 20 and info["annotations"]["shapes"] == 9
    assert info["annotations"]["by_type"]["mask"] == 1
    out = tmp_path / "export.zip"
    assert cli_main(["export", str(proj), str(out), "--format", "cvat", "--task", "1", "--with-images"]) == 0
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert "annotations.xml" in names and "images/img_000.png" in names and len(names) == 21
    assert cli_main(["import", str(tmp_path / "again.fmproj"), str(out), "--format", "cvat"]) == 0
    with Project.open(tmp_path / "again.fmproj", read_only=True) as again, Project.open(proj, read_only=True) as first:
        assert again.counts() == first.counts()
    # YOLO has its own "task" option (detect/segment/...): it must not clash with --task (regression)
    yolo = tmp_path / "yolo_out"
    assert cli_main(["export", str(proj), str(yolo), "--format", "yolo", "--task", "1", "--yolo-task", "detect",
                     "--with-images"]) == 0
    assert (yolo / "data.yaml").is_file() and any((yolo / "labels").rglob("*.txt"))


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<annotations>\n<image id='0' name='a' width='2' height='2'>\n<box label='x'/>\n</annotations>")
    assert cli_main(["import", str(tmp_path / "n.fmproj"), str(bad), "--format", "cvat"]) == 2
    err = capsys.readouterr().err
    assert "bad.xml: line 4" in err and "malformed XML" in err
    assert not (tmp_path / "n.fmproj").exists()


def test_new_project_from_dataset_is_deleted_on_error(tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations.shapes[0].label_id = 12345
    with pytest.raises(KeyError):
        import_new_project(tmp_path / "gone.fmproj", ds, tmp_path / "x.xml")
    assert not (tmp_path / "gone.fmproj").exists()


def test_export_project_scope_and_staging(project: Project, tmp_path: Path) -> None:
    import_into_project(project, _shapes_only(), tmp_path / "x.xml")
    result = export_project(project, "coco", tmp_path / "coco_out", with_images=True)
    assert (tmp_path / "coco_out" / "annotations" / "instances_default.json").is_file()
    assert len(list((tmp_path / "coco_out" / "images" / "default").iterdir())) == 20
    assert result.frames == 20
    with pytest.raises(FormatError, match="not empty"):
        export_project(project, "coco", tmp_path / "coco_out")
    assert not list(tmp_path.glob(".*partial"))
    shapes = build_dataset(project).annotations.shapes
    assert {s.type for s in shapes} == set(ShapeType)


def test_video_task_export_with_decoded_frames(tmp_path: Path) -> None:
    from app.media.ingest import create_video_task
    from tests.unit.test_media import write_video

    write_video(tmp_path / "clip.avi", n=20, size=(64, 48))
    ds = sample_dataset()
    ds.annotations = Annotations(tracks=ds.annotations.tracks)
    ds.meta["layout"] = "video"
    with Project.create(tmp_path / "v.fmproj", "v", _fresh_labels()) as project:
        task = create_video_task(project, "clip", tmp_path / "clip.avi")
        import_into_project(project, ds, tmp_path / "x.xml", task=task.id)
        export_project(project, "cvat", tmp_path / "out", task=task.id, with_images=True)
    pngs = sorted(p.name for p in (tmp_path / "out" / "images").iterdir())
    assert pngs == [f"frame_{i:06d}.png" for i in range(20)]
    back = read_cvat_xml(tmp_path / "out")
    assert back.meta["layout"] == "video" and back.meta["source"] == "clip.avi"
    result = import_new_project(tmp_path / "again.fmproj", back, tmp_path / "out")
    assert result.counts["tracks"] == 3
    with Project.open(tmp_path / "again.fmproj", read_only=True) as again:
        frames = again.frames(result.task_id)
        assert len(frames) == 20 and all(again.resolve_media(f.path).is_file() for f in frames)
        assert (frames[0].width, frames[0].height) == (64, 48)


def test_cvat_video_task_export_with_frame_step_maps_to_task_frames(shared_fixtures: Path, tmp_path: Path) -> None:
    """start_frame 10, step 3: file frames 10, 13, 16 are task frames 0, 1, 2."""
    src = shared_fixtures / "external" / "openvinotoolkit__datumaro/tests/assets/cvat_dataset/for_video/annotations.xml"
    with Project.create(tmp_path / "s.fmproj", "s", []) as project:
        frames = [FrameInfo(index=i, name=f"frame_{i:06d}", width=25, height=20) for i in range(4)]
        project.create_task("video", frames)
        import_into_project(project, read_cvat_xml(src), src, task="video", create_missing=True)
        tracks = project.annotations(project.jobs()[0].id).tracks
        assert sorted([s.frame for s in t.shapes] for t in tracks) == [[0, 1], [0, 1, 2], [1, 2]]


def test_export_with_a_missing_image_fails_cleanly(project: Project, tmp_path: Path, images: Path) -> None:
    (images / "img_007.png").unlink()
    with pytest.raises(FormatError, match=r"img_007.png.*the image of frame 'img_007.png' is missing"):
        export_project(project, "yolo", tmp_path / "y.zip", task="t", with_images=True)
    assert not (tmp_path / "y.zip").exists() and not list(tmp_path.glob(".y.zip*"))

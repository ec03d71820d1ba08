"""The project store: create/open, labels, tasks and jobs, annotations round trip, transactions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.domain import AttributeSpec, Label, Shape, Tag, Track, TrackedShape
from app.domain.annotations import Annotations
from app.domain.enums import JobStage, JobState, JobType
from app.domain.project import FrameInfo
from app.storage import Project, ProjectError, ProjectLockedError, ProjectReadOnlyError
from app.storage.database import head_revision
from app.storage.store import segment_ranges

DATA = Path(__file__).resolve().parents[1] / "data"


def make_labels() -> list[Label]:
    return [
        Label("car", type="rectangle", attributes=[
            AttributeSpec("color", "select", ["red", "blue"]),
            AttributeSpec("parked", "checkbox", mutable=True),
            AttributeSpec("speed", "number", ["0", "200", "1"]),
        ]),
        Label("person", type="skeleton", sublabels=[Label("head", type="points"), Label("foot", type="points")],
              edges=[(0, 1)]),
        Label("weather", type="tag"),
    ]


@pytest.fixture
def project(project_location: str) -> Project:
    p = Project.create(project_location, "test", make_labels())
    p.create_task("t", [FrameInfo(i, f"{i:03d}.jpg", 640, 480) for i in range(20)], segment_size=10)
    yield p
    p.close()


def test_create_sets_schema_head_and_labels(project: Project) -> None:
    labels = project.labels()
    assert [label.name for label in labels] == ["car", "person", "weather"]
    car = labels.by_name("car")
    assert [a.name for a in car.attributes] == ["color", "parked", "speed"]
    assert car.attribute("color").default_value == "red"
    assert car.attribute("parked").default_value == "false"
    person = labels.by_name("person")
    assert [s.name for s in person.sublabels] == ["head", "foot"]
    assert person.edges == [(0, 1)]
    assert labels.by_id(person.sublabels[1].id).name == "foot"
    assert all(label.color.startswith("#") for label in labels)


def test_duplicate_label_name_is_refused(project: Project) -> None:
    with pytest.raises(ProjectError, match="already exists"):
        project.add_label(Label("car"))


def test_tasks_split_into_jobs_like_cvat(project: Project) -> None:
    jobs = project.jobs()
    assert [(j.start_frame, j.stop_frame) for j in jobs] == [(0, 9), (10, 19)]
    assert segment_ranges(10, 4, 1) == [(0, 3), (3, 6), (6, 9)]
    assert segment_ranges(5, 0, 0) == [(0, 4)]
    task = project.task("t")
    assert task.size == 20 and project.task(str(task.id)).name == "t"


def test_consensus_replicas_get_child_jobs(project: Project) -> None:
    task = project.create_task("c", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)], consensus_replicas=3)
    jobs = project.jobs(task.id)
    parents = [j for j in jobs if j.type is JobType.ANNOTATION]
    replicas = [j for j in jobs if j.type is JobType.CONSENSUS_REPLICA]
    assert len(parents) == 1 and len(replicas) == 3
    assert {r.parent_id for r in replicas} == {parents[0].id}


def test_annotations_round_trip_every_kind(project: Project) -> None:
    labels = project.labels()
    car, person, weather = labels.by_name("car"), labels.by_name("person"), labels.by_name("weather")
    color = car.attribute("color").id
    mask_points = [0.0, 6.0, 2.0, 1.0, 4.0, 2.0]
    shapes = [
        Shape("rectangle", 3, car.id, [1.5, 2.25, 30, 40], rotation=12.5, occluded=True, z_order=2, group=4,
              source="auto", score=0.75, attributes={color: "blue"}),
        Shape("mask", 3, car.id, mask_points),
        Shape("skeleton", 4, person.id, elements=[
            Shape("points", 4, person.sublabels[0].id, [5, 5]),
            Shape("points", 4, person.sublabels[1].id, [6, 9], outside=True, occluded=True),
        ]),
    ]
    track = Track(car.id, 0, shapes=[
        TrackedShape("rectangle", 0, [0, 0, 10, 10], attributes={color: "red"}),
        TrackedShape("rectangle", 5, [5, 5, 15, 15], outside=True),
    ], attributes={color: "red"})
    tag = Tag(2, weather.id, source="semi-auto", score=0.67)
    job = project.jobs()[0].id
    project.add_annotations(job, Annotations(shapes, [track], [tag]))
    stored = project.annotations(job)
    assert stored.shapes == shapes
    assert stored.tracks == [track]
    assert stored.tags == [tag]
    assert project.frame_shapes(job, 4)[0].elements[1].outside
    assert project.counts(job_id=job)["by_type"] == {"rectangle": 1, "mask": 1, "skeleton": 1, "tag": 1}
    assert project.counts(job_id=job)["tracks"] == 1
    assert project.job(job).state is JobState.IN_PROGRESS
    assert project.job(job).revision == 1


def test_replace_keeps_ids_and_is_atomic(project: Project) -> None:
    job = project.jobs()[0].id
    car = project.labels().by_name("car").id
    (sid,) = project.add_shapes(job, [Shape("rectangle", 0, car, [0, 0, 1, 1])])
    edited = project.frame_shapes(job, 0)[0].copy(points=[2, 2, 3, 3])
    project.replace_annotations(job, remove_shapes=[sid], add=Annotations(shapes=[edited]))
    assert project.frame_shapes(job, 0)[0].id == sid
    assert project.frame_shapes(job, 0)[0].points == [2, 2, 3, 3]
    with pytest.raises(RuntimeError), project.transaction():
        project.add_shapes(job, [Shape("rectangle", 0, car, [9, 9, 10, 10])])
        raise RuntimeError("abort")
    assert len(project.frame_shapes(job, 0)) == 1


def test_update_label_keeps_attribute_ids(project: Project) -> None:
    car = project.labels().by_name("car")
    ids = [a.id for a in car.attributes]
    car.attributes[0].values.append("green")
    car.attributes.append(AttributeSpec("plate", "text"))
    car.name = "vehicle"
    project.update_label(car)
    again = project.labels().by_name("vehicle")
    assert [a.id for a in again.attributes][:3] == ids
    assert again.attribute("color").values == ["red", "blue", "green"]
    assert again.attribute("plate").id is not None


def test_jobs_workflow_fields(project: Project) -> None:
    job = project.jobs()[0]
    updated = project.update_job(job.id, stage=JobStage.VALIDATION, state=JobState.COMPLETED, assignee="ann")
    assert (updated.stage, updated.state, updated.assignee) == (JobStage.VALIDATION, JobState.COMPLETED, "ann")
    gt = project.create_job(job.task_id, JobType.GROUND_TRUTH, [5, 1, 3])
    assert gt.frame_list() == [1, 3, 5]
    with pytest.raises(ProjectError):
        project.create_job(job.task_id, JobType.GROUND_TRUTH, [99])


def test_second_writer_is_refused_and_reader_allowed(tmp_path: Path) -> None:
    # A project file has one writer (an OS lock); a team project many (see test_store_pg.py).
    project = Project.create(tmp_path / "p.fmproj", "test", make_labels())
    with pytest.raises(ProjectLockedError, match="in use"):
        Project.open(project.path)
    reader = Project.open(project.path, read_only=True)
    try:
        assert reader.labels().by_name("car") is not None
        with pytest.raises(ProjectReadOnlyError):
            reader.add_shapes(1, [])
    finally:
        reader.close()
        project.close()


def test_lock_is_released_on_close(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "x.fmproj")
    p.close()
    Project.open(tmp_path / "x.fmproj").close()


def test_not_a_project_gives_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.fmproj"
    junk.write_bytes(b"this is not sqlite at all")
    with pytest.raises(ProjectError, match="not a Fieldmark project"):
        Project.open(junk)
    with pytest.raises(ProjectError, match="No project file"):
        Project.open(tmp_path / "missing.fmproj")


def test_older_schema_is_migrated_on_open(tmp_path: Path) -> None:
    old = tmp_path / "old.fmproj"
    shutil.copy(DATA / "project_v0001.fmproj", old)
    with Project.open(old) as p:
        assert p.name == "old project"
        shape = p.frame_shapes(1, 1)[0]
        assert shape.points == [10, 20, 110, 220]
        car = p.labels().by_name("car")
        assert shape.attributes == {car.attribute("color").id: "blue"}
        assert p.job(1).revision == 0  # column added by 0002
        weather = p.labels().by_name("car").id
        p.add_tags(1, [Tag(0, weather, score=0.5)])
        assert p.frame_tags(1, 0)[0].score == 0.5  # column added by 0003
        p.set_quality_settings({"iou_threshold": 0.5}, task_id=1)
        assert p.quality_settings(1) == {"iou_threshold": 0.5}
    with Project.open(old, read_only=True) as p:
        from app.storage.database import current_revision, make_engine

        assert current_revision(make_engine(old, read_only=True)) == head_revision()

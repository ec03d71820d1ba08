"""Streamed CVAT XML export (issue 14, speed and memory): the shapes and tags of a task are read from the store a
run of frames (or a batch) at a time and written as they come; the file is byte for byte the one written from the
whole dataset, in both layouts, for a job, a task and the project. Also: the one-``%`` coordinate formatting gives
exactly :func:`num`'s text."""

from __future__ import annotations

import copy
import dataclasses
import math
import random
from pathlib import Path

import pytest

from app.domain.annotations import Annotations, Shape
from app.domain.enums import ShapeType
from app.domain.project import FrameInfo
from app.formats import exporter
from app.formats.cvat_xml_shapes import CUBOID_KEYS
from app.formats.cvat_xml_write import _geometry, num, two_decimals
from app.formats.dataset import fresh_label
from app.formats.exporter import build_dataset, export_project, write_dataset
from app.formats.synthetic import sample_dataset
from app.storage import annotation_rows
from app.storage.store import Project

FRAMES = 14


def _id_map(source_labels: list, project_labels: list) -> dict[int, int]:
    ids = {}
    for a, b in zip(source_labels, project_labels, strict=True):
        for x, y in zip((a, *a.sublabels), (b, *b.sublabels), strict=True):
            ids[x.id] = y.id
            ids.update({sa.id: sb.id for sa, sb in zip(x.attributes, y.attributes, strict=True)})
    return ids


def _remapped(ann: Annotations, ids: dict[int, int]) -> Annotations:
    ann = copy.deepcopy(ann)

    def fix(obj) -> None:  # noqa: ANN001
        obj.label_id = ids[obj.label_id]
        obj.attributes = {ids[k]: v for k, v in obj.attributes.items()}
        for state in getattr(obj, "shapes", ()):
            state.attributes = {ids[k]: v for k, v in state.attributes.items()}
        for element in obj.elements if hasattr(obj, "elements") else ():
            fix(element)

    for obj in (*ann.shapes, *ann.tracks, *ann.tags):
        fix(obj)
    return ann


def _on_frames(ann: Annotations, frames: range, job_index: int) -> Annotations:
    """The sample's shapes and tags put on each of ``frames`` (cycling the sample's own frames), marked with the
    job (``z_order``), newest frame first: ids do not follow frame order (the video layout keeps id order)."""
    shapes, tags = [], []
    for frame in reversed(frames):
        for shape in ann.shapes:
            if shape.frame == frame % 5:
                moved = copy.deepcopy(shape)
                moved.frame = frame
                moved.z_order = shape.z_order + job_index
                for element in moved.elements:
                    element.frame = frame
                shapes.append(moved)
        for tag in ann.tags:
            if tag.frame == frame % 6:
                tags.append(dataclasses.replace(tag, frame=frame, attributes=dict(tag.attributes)))
    return Annotations(shapes=shapes, tags=tags)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Two tasks: one split into 4 overlapping jobs (each job annotates its overlap frames differently), with
    tracks; one with a single job and a subset. Every shape type, attributes, skeletons, groups, tags."""
    source = sample_dataset(frames=FRAMES)
    project = Project.create(tmp_path / "p.fmk", "p", [fresh_label(label) for label in source.labels])
    ann = _remapped(source.annotations, _id_map(source.labels, project.labels()))
    frames = [FrameInfo(i, f"a_{i:02d}.png", 64, 48) for i in range(FRAMES)]
    first = project.create_task("a", frames, segment_size=5, overlap=2)
    jobs = project.jobs(first.id)
    assert len(jobs) >= 3
    for k, job in enumerate(jobs):
        part = _on_frames(ann, range(job.start_frame, job.stop_frame + 1), k)
        project.add_annotations(job.id, part)
    project.add_tracks(jobs[0].id, copy.deepcopy(ann.tracks))
    second = project.create_task("b", [FrameInfo(i, f"b_{i:02d}.png", 64, 48) for i in range(6)], subset="val")
    project.add_annotations(project.jobs(second.id)[0].id, _on_frames(ann, range(6), 7))
    return project


def _both(project: Project, fmt: str, tmp_path: Path, **scope) -> tuple[bytes, bytes]:  # noqa: ANN003
    streamed = export_project(project, fmt, tmp_path / f"s_{fmt}.xml", **scope)
    whole = write_dataset(build_dataset(project, stream=False, **scope), fmt, tmp_path / f"w_{fmt}.xml")
    assert streamed.counts == whole.counts and streamed.layout == whole.layout
    return (tmp_path / f"s_{fmt}.xml").read_bytes(), (tmp_path / f"w_{fmt}.xml").read_bytes()


@pytest.mark.parametrize("fmt", ["cvat", "cvat-images", "cvat-video"])
@pytest.mark.parametrize("scope", ["task", "single-job task", "job", "project"])
def test_streamed_export_is_byte_identical(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           fmt: str, scope: str) -> None:
    monkeypatch.setattr(exporter, "FRAMES_PER_CHUNK", 3)  # several runs of frames, cut inside jobs
    monkeypatch.setattr(exporter, "BATCH", 4)  # several batches per job
    tasks = project.tasks()
    kwargs = {"task": {"task": tasks[0].id}, "single-job task": {"task": tasks[1].id},
              "job": {"job": project.jobs(tasks[0].id)[1].id}, "project": {}}[scope]
    streamed, whole = _both(project, fmt, tmp_path, **kwargs)
    assert streamed == whole
    text = streamed.decode("utf-8")
    assert "<skeleton" in text and "<tag" in text and "<cuboid" in text and "<mask" in text


def test_streamed_export_never_reads_a_whole_job(project: Project, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Only tracks are read whole; shapes and tags come through frame ranges (images) or batches (video)."""
    def refuse(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a streamed export read a whole job")

    monkeypatch.setattr(Project, "annotations", refuse)
    monkeypatch.setattr(annotation_rows, "select_annotations", refuse)
    task = project.tasks()[0].id
    assert export_project(project, "cvat-images", tmp_path / "i.xml", task=task).counts["shapes"] > 0
    assert export_project(project, "cvat-video", tmp_path / "v.xml", task=task).counts["tags"] > 0
    with pytest.raises(AssertionError, match="whole job"):
        export_project(project, "coco", tmp_path / "c", task=task)  # other formats still take the whole dataset


def test_cancel_of_a_streamed_export_leaves_nothing(project: Project, tmp_path: Path) -> None:
    def cancel(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        export_project(project, "cvat", out / "a.zip", task=project.tasks()[0].id, progress=cancel)
    assert list(out.iterdir()) == []


def _values() -> list[float]:
    rng = random.Random(5)
    values = [k / 100 for k in range(-2000, 2000, 7)] + [rng.uniform(-5000, 5000) for _ in range(2000)]
    values += [round(rng.uniform(0, 4000), 2) for _ in range(2000)]
    values += [0.0, -0.0, 0.005, 1.005, 2.675, 0.1 + 0.2, 1 / 3, 1e-7, 123456789.12, 2.0 ** 40, 2.0 ** 40 + 0.5,
               1e15 + 0.25, 1e22, -1e300, math.inf, -math.inf, math.nan]
    return values


def test_two_decimals_agrees_with_num() -> None:
    for value in _values():
        exact = not math.isnan(value) and round(value, 2) == value
        if abs(value) < 2.0 ** 40:
            assert two_decimals([value]) == exact, value
        else:  # beyond numpy's safe range (and inf, nan): always the per-value path
            assert not two_decimals([value]), value
        if two_decimals([value]):
            assert f"{value:.2f}" == num(value)
    assert two_decimals([]) and two_decimals([1.25, 3.5]) and not two_decimals([1.25, 1 / 3])


def _reference(shape_type: ShapeType, points: list[float], rotation: float) -> str:
    """The coordinate text as the writer made it before the one-``%`` formatting (one num() per value)."""
    if shape_type is ShapeType.RECTANGLE:
        out = f' xtl="{num(points[0])}" ytl="{num(points[1])}" xbr="{num(points[2])}" ybr="{num(points[3])}"'
    elif shape_type is ShapeType.ELLIPSE:
        cx, cy = points[0], points[1]
        out = (f' cx="{num(cx)}" cy="{num(cy)}" rx="{num(points[2] - cx)}" ry="{num(cy - points[3])}"')
    elif shape_type is ShapeType.CUBOID:
        out = "".join(f' {k}="{num(v)}"' for k, v in zip(CUBOID_KEYS, points))
    else:
        out = ' points="' + ";".join(f"{num(points[i])},{num(points[i + 1])}"
                                     for i in range(0, len(points) - 1, 2)) + '"'
    if rotation and shape_type in (ShapeType.RECTANGLE, ShapeType.ELLIPSE):
        out += f' rotation="{num(rotation)}"'
    return out


@pytest.mark.parametrize("shape_type, count", [(ShapeType.RECTANGLE, 4), (ShapeType.POLYGON, 8),
                                               (ShapeType.POLYLINE, 7), (ShapeType.POINTS, 2),
                                               (ShapeType.POINTS, 0), (ShapeType.CUBOID, 16),
                                               (ShapeType.ELLIPSE, 4)])
def test_geometry_text_is_as_before(shape_type: ShapeType, count: int) -> None:
    every = [v for v in _values() if not math.isnan(v)]
    exact = [v for v in every if abs(v) < 2.0 ** 40 and round(v, 2) == v]
    rng = random.Random(count)
    for _ in range(300):
        for pool in (exact, every):
            points = rng.sample(pool, count)
            rotation = rng.choice([0.0, 12.5, 0.1 + 0.2])
            known = two_decimals(points)
            assert _geometry(shape_type, points, rotation, known) == _reference(shape_type, points, rotation)
            assert _geometry(shape_type, points, rotation) == _reference(shape_type, points, rotation)


def test_shape_rows_are_read_into_the_right_fields() -> None:
    """``_shape_from_row`` passes Shape's fields by position."""
    assert tuple(f.name for f in dataclasses.fields(Shape)) == annotation_rows.SHAPE_FIELD_ORDER

"""Runner: batched writes with source=auto, cancel keeps whole frames, violations write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.work import CancelToken
from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import Source
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.functions import load_function_file
from app.models.runner import AutoAnnotationError, Progress, RunOptions, plan_job, plan_task, run_detection
from app.models.writer import AutoAnnotationRun
from tests.unit.models_fixtures import FUNCTIONS, make_project


def _run(project, function, options=None, items=None, writer=None, **kw):
    task = project.tasks()[0]
    items = plan_task(project, task.id) if items is None else items
    writer = writer or AutoAnnotationRun(project, clear_existing=(options or RunOptions()).clear_existing)
    source = open_task_source(project, task.id)
    try:
        return run_detection(function, items, source, project.labels(), writer, options, **kw), writer
    finally:
        source.close()


def _all(project) -> Annotations:
    result = Annotations()
    for job in project.jobs(project.tasks()[0].id):
        result.extend(project.annotations(job.id))
    return result


def test_pose_skeleton_run_over_task(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=5, segment_size=2)
    seen: list[Progress] = []
    result, _ = _run(project, load_function_file(FUNCTIONS / "pose_skeleton.py"), RunOptions(batch_frames=1),
                     progress=seen.append)
    assert (result.frames_done, result.shapes, result.cancelled) == (5, 5, False)
    assert [p.done for p in seen] == [1, 2, 3, 4, 5] and seen[-1].eta == 0.0
    shapes = _all(project).shapes
    assert sorted(s.frame for s in shapes) == [0, 1, 2, 3, 4]
    person = project.labels().by_name("person")
    for shape in shapes:
        assert shape.source is Source.AUTO and shape.type.value == "skeleton" and shape.label_id == person.id
        assert [e.label_id for e in shape.elements] == [s.id for s in person.sublabels]
        assert [e.outside for e in shape.elements] == [False] * 15 + [True] * 2
    # each job got its own frames
    for job in project.jobs(project.tasks()[0].id):
        assert {s.frame for s in project.annotations(job.id).shapes} <= set(job.frame_list())


def test_text_attribute_and_params(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=2)
    function = load_function_file(FUNCTIONS / "ocr_text.py", {"prefix": "PL", "digits": 4})
    _run(project, function)
    plate = project.labels().by_name("plate")
    texts = {s.attributes[plate.attributes[0].id] for s in _all(project).shapes}
    assert texts == {"PL0011"}  # len("img_000.png") == 11


@pytest.mark.parametrize("name, params, options, message", [
    ("bad_shape_type.py", {}, RunOptions(), "shape of type 'polygon' \\(expected 'rectangle'\\)"),
    ("bad_label_id.py", {"good_frames": 3}, RunOptions(batch_frames=1), "unknown label ID \\(99\\)"),
    ("mask_always.py", {}, RunOptions(conv_mask_to_poly=True, batch_frames=2), "shape of type 'mask' \\(expected 'polygon'\\)"),
])
def test_broken_functions_abort_and_write_nothing(tmp_path: Path, name, params, options, message) -> None:
    project = make_project(tmp_path, frames=5)
    job = project.jobs(project.tasks()[0].id)[0]
    car = project.labels().by_name("car")
    old = project.add_shapes(job.id, [Shape("rectangle", 4, car.id, [0, 0, 3, 3])])
    revision = project.job(job.id).revision
    options.clear_existing = True
    with pytest.raises(AutoAnnotationError, match=message) as err:
        _run(project, load_function_file(FUNCTIONS / name, params), options)
    assert "nothing was written" in str(err.value) and "frame" in str(err.value)
    remaining = _all(project)
    assert [s.id for s in remaining.shapes] == old and remaining.shapes[0].source is Source.MANUAL
    assert project.job(job.id).revision >= revision  # reverted through commands, not left half-done


def test_mask_function_honours_options(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=2)
    fn = load_function_file(FUNCTIONS / "polite_mask.py")
    _run(project, fn)
    assert sorted(s.type.value for s in _all(project).shapes) == ["mask"] * 4
    _run(project, fn, RunOptions(conv_mask_to_poly=True, conf_threshold=0.5, clear_existing=True))
    assert [s.type.value for s in _all(project).shapes] == ["polygon"] * 2
    with pytest.raises(ValueError, match="conf_threshold"):
        RunOptions(conf_threshold=1.5)


class _CancelAfter:
    """Wraps a function; sets the cancel event while frame ``n`` is being detected."""

    def __init__(self, function, n: int, event: CancelToken) -> None:
        self.function, self.n, self.event, self.calls = function, n, event, 0
        self.spec = function.spec

    def detect(self, context, image):
        self.calls += 1
        if self.calls == self.n:
            self.event.cancel()
        return self.function.detect(context, image)


def test_cancel_keeps_finished_frames_only(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=6)
    token = CancelToken()
    fn = _CancelAfter(load_function_file(FUNCTIONS / "pose_skeleton.py"), 3, token)
    result, _ = _run(project, fn, RunOptions(batch_frames=4), token=token)
    assert result.cancelled and result.frames_done == 3 and fn.calls == 3
    assert result.summary() == "cancelled; kept 3 of 6 frames: 3 shapes, 0 tags"
    shapes = _all(project).shapes
    assert sorted(s.frame for s in shapes) == [0, 1, 2]
    assert all(len(s.elements) == 17 for s in shapes)  # never half a frame (or half a skeleton)


def test_clear_existing_and_undo_as_one_step(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=3)
    job = project.jobs(project.tasks()[0].id)[0]
    car = project.labels().by_name("car")
    project.add_annotations(job.id, Annotations(shapes=[Shape("rectangle", 1, car.id, [0, 0, 2, 2])],
                                                tags=[Tag(2, car.id)]))
    before = project.annotations(job.id)
    stack = UndoStack()
    run = AutoAnnotationRun(project, clear_existing=True)
    stack.push(run)  # pushed before it writes: its batches are the run's one undo step
    _run(project, load_function_file(FUNCTIONS / "pose_skeleton.py"), RunOptions(clear_existing=True, batch_frames=2),
         writer=run)
    assert run.written == 2
    after = project.annotations(job.id)
    assert len(after.shapes) == 3 and not after.tags and all(s.source is Source.AUTO for s in after.shapes)
    stack.undo()
    restored = project.annotations(job.id)
    assert [s.id for s in restored.shapes] == [s.id for s in before.shapes] and len(restored.tags) == 1
    stack.redo()
    assert len(project.annotations(job.id).shapes) == 3


def test_plan_job_single_frame_and_video_names(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=4, segment_size=2, overlap=1)
    task = project.tasks()[0]
    items = plan_task(project, task.id)
    assert [i.frame for i in items] == [0, 1, 2, 3]  # overlapping frames annotated once
    job = project.jobs(task.id)[1]
    one = plan_job(project, job.id, [job.frame_list()[0]])
    assert len(one) == 1 and one[0].job_id == job.id and one[0].name.startswith("img_")


class _BrokenSource:
    """Decodes like the task's source but fails on one frame."""

    def __init__(self, source, broken: int) -> None:
        self.source, self.broken = source, broken

    def read(self, index: int):
        if index == self.broken:
            raise OSError("truncated PNG")
        return self.source.read(index)


def test_decode_error_names_its_frame_and_writes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=5)
    task = project.tasks()[0]
    source = open_task_source(project, task.id)
    items = plan_task(project, task.id)
    with pytest.raises(AutoAnnotationError, match=r"frame 3 \(img_003.png\): OSError: truncated PNG") as err:
        run_detection(load_function_file(FUNCTIONS / "pose_skeleton.py"), items, _BrokenSource(source, 3),
                      project.labels(), AutoAnnotationRun(project), RunOptions(batch_frames=1))
    source.close()
    assert "nothing was written" in str(err.value) and not _all(project).shapes

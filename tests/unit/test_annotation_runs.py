"""Resumable runs in process: the run log (start, resume, refusal), frames recorded with their batch,
clear_existing across a resume, undo/redo of a run, a failed run leaving no trace, the migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.work import CancelToken
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.functions import load_function_file
from app.models.run_log import RunConflict, prepare_run, run_key
from app.models.runner import AutoAnnotationError, RunOptions, plan_task, run_detection
from app.models.writer import AutoAnnotationRun
from app.storage.database import head_revision
from tests.unit.models_fixtures import FUNCTIONS, make_project

SLOW = FUNCTIONS / "slow_boxes.py"


def _go(project, run, function, *, cancel_after: int | None = None, stack: UndoStack | None = None):
    task = project.tasks()[0]
    writer = AutoAnnotationRun(project, run=run)
    if stack is not None:
        stack.push(writer)
    token = CancelToken()
    seen: list[int] = []

    def progress(p) -> None:
        seen.append(p.done)
        if cancel_after is not None and p.done >= cancel_after:
            token.cancel()

    source = open_task_source(project, task.id)
    try:
        result = run_detection(function, run.items, source, project.labels(), writer,
                               RunOptions(batch_frames=2), progress=progress, token=token)
    finally:
        source.close()
    writer.finish(result.cancelled)
    return result, writer


def _shapes(project) -> dict[int, int]:
    job = project.jobs(project.tasks()[0].id)[0]
    return {f: len(project.frame_shapes(job.id, f)) for f in job.frame_list()}


def _prepare(project, key="k", *, resume=False, clear=False):
    task = project.tasks()[0].id
    return prepare_run(project, task, plan_task(project, task), key, "slow", resume=resume, clear_existing=clear)


def test_head_is_0007_and_run_tables_exist(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=1)
    assert head_revision() == "0007"
    assert project.runs(project.tasks()[0].id) == []


def test_cancel_then_resume_skips_finished_frames(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=7)
    function = load_function_file(SLOW)
    run = _prepare(project)
    result, _ = _go(project, run, function, cancel_after=3)
    assert result.cancelled and result.frames_done == 3
    info = project.run(run.run_id)
    assert info.state == "cancelled" and info.frames == {0, 1, 2} and info.unfinished
    with pytest.raises(RunConflict, match="unfinished auto-annotation run"):
        _prepare(project)
    with pytest.raises(RunConflict, match="another function or other options"):
        _prepare(project, "other", resume=True)
    with pytest.raises(RunConflict, match="do not combine"):
        _prepare(project, resume=True, clear=True)
    again = _prepare(project, resume=True)
    assert again.resumed and again.run_id == run.run_id and [i.frame for i in again.items] == [3, 4, 5, 6]
    result, _ = _go(project, again, function)
    assert result.frames_done == 4 and project.run(run.run_id).state == "done"
    assert set(_shapes(project).values()) == {1}
    assert not _prepare(project).resumed  # a done run does not block a new one


def test_clear_existing_run_resumed_keeps_its_own_results(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=6)
    function = load_function_file(SLOW)
    first = _prepare(project)
    _go(project, first, function)  # one shape per frame, done
    second = _prepare(project, clear=True)
    _go(project, second, function, cancel_after=2)
    assert _shapes(project) == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}  # 0-1 replaced, 2-5 not reached yet
    resumed = _prepare(project, resume=True)
    assert resumed.clear_existing and resumed.finished
    _go(project, resumed, function)
    # the job's last batch removed the old shapes of frames 2-5 but kept what the run wrote on 0-1
    assert _shapes(project) == {f: 1 for f in range(6)}
    task = project.tasks()[0].id
    assert [r.state for r in project.runs(task)] == ["done", "done"]


def test_undo_forgets_the_frames_redo_records_them(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=4)
    stack = UndoStack()
    run = _prepare(project, "k")
    _go(project, run, load_function_file(SLOW), cancel_after=2, stack=stack)
    assert project.run(run.run_id).frames == {0, 1}
    stack.undo()
    info = project.run(run.run_id)
    assert info.frames == set() and info.state == "undone" and sum(_shapes(project).values()) == 0
    assert not _prepare(project, "k2").resumed  # an undone run blocks nothing
    stack.redo()
    info = project.run(run.run_id)
    assert info.frames == {0, 1} and info.state == "cancelled" and sum(_shapes(project).values()) == 2


def test_failed_run_leaves_no_run_behind(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=4)
    run = _prepare(project)
    with pytest.raises(AutoAnnotationError, match="sys.exit"):
        _go(project, run, load_function_file(SLOW, {"exit_frame": "img_002.png"}))
    assert project.runs(project.tasks()[0].id) == [] and sum(_shapes(project).values()) == 0


def test_run_key_depends_on_function_params_and_output_options() -> None:
    base = run_key("file:/f.py", {"a": 1}, RunOptions())
    assert base == run_key("file:/f.py", {"a": 1}, RunOptions(frame_timeout=3, batch_frames=5))
    assert base != run_key("file:/f.py", {"a": 2}, RunOptions())
    assert base != run_key("file:/f.py", {"a": 1}, RunOptions(conf_threshold=0.5))
    assert base != run_key("module:f", {"a": 1}, RunOptions())


def test_clear_existing_supersedes_unfinished_runs_only_once_it_writes(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=5)
    first = _prepare(project, "a")
    _go(project, first, load_function_file(SLOW), cancel_after=2)
    failing = _prepare(project, "b", clear=True)
    with pytest.raises(AutoAnnotationError):
        _go(project, failing, load_function_file(SLOW, {"exit_frame": "img_000.png"}))
    assert project.run(first.run_id).state == "cancelled"  # still resumable: the new run wrote nothing
    stack = UndoStack()
    clearing = _prepare(project, "c", clear=True)
    _go(project, clearing, load_function_file(SLOW), stack=stack)
    assert project.run(first.run_id).state == "superseded" and project.run(clearing.run_id).state == "done"
    assert set(_shapes(project).values()) == {1}
    stack.undo()
    assert project.run(first.run_id).state == "cancelled" and project.run(clearing.run_id).state == "undone"
    assert _shapes(project) == {0: 1, 1: 1, 2: 0, 3: 0, 4: 0}  # what the first run had written

"""The store's thread rule: a writer handle per background writer, change events with their origin,
listeners told on the thread they belong to."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.domain.annotations import Shape
from app.domain.labels import Label
from app.storage.errors import ProjectLockedError, ProjectReadOnlyError
from app.storage.store import Project, StoreChange


@pytest.fixture
def project(tmp_path: Path) -> Project:
    from app.domain.project import FrameInfo

    project = Project.create(tmp_path / "p.fmproj", "p", [Label("car")])
    project.create_task("t", [FrameInfo(i, f"{i}.png", 10, 10) for i in range(4)], segment_size=2)
    yield project
    project.close()


def _points(project: Project, frame: int = 0) -> Shape:
    return Shape("points", frame, project.labels().by_name("car").id, [1, 1])


def test_change_event_carries_kind_job_and_origin(project: Project) -> None:
    seen: list[StoreChange] = []
    project.changed.connect(seen.append)
    project.add_shapes(1, [_points(project)])
    marker = object()
    with project.writes_as(marker):
        project.add_shapes(2, [_points(project, 2)])
    assert seen == [StoreChange("annotations", 1, None), StoreChange("annotations", 2, marker)]


def test_a_second_open_is_refused_but_open_writer_shares_the_lock(project: Project) -> None:
    with pytest.raises(ProjectLockedError):
        Project.open(project.path)
    writer = project.open_writer()
    try:
        writer.add_shapes(1, [_points(project)])
    finally:
        writer.close()
    assert project.counts()["shapes"] == 1
    with pytest.raises(ProjectLockedError):  # the owner's lock is still held after the writer closed
        Project.open(project.path)
    with Project.open(project.path, read_only=True) as reader, pytest.raises(ProjectReadOnlyError):
        reader.open_writer()


def test_writer_thread_changes_reach_listeners_through_the_owner_dispatcher(project: Project) -> None:
    posted: list = []
    project.dispatcher = posted.append  # stands in for the GUI's: run later on the owner's thread
    legacy: list[tuple[str, int | None, bool]] = []
    project.add_listener(lambda kind, job: legacy.append((kind, job, threading.get_ident() == main)))
    direct: list[bool] = []
    project.changed.connect(lambda _change: direct.append(threading.get_ident() == main))
    main = threading.get_ident()

    def write() -> None:
        writer = project.open_writer()
        try:
            writer.add_shapes(1, [_points(writer)])
            writer.add_label(Label("bus"))
        finally:
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert legacy == [] and direct == [False, False]  # direct listeners asked for no thread
    for fn in posted:
        fn()
    assert legacy == [("annotations", 1, True), ("labels", None, True)]
    assert project.labels().by_name("bus") is not None  # the owner's label cache was refreshed
    project.add_shapes(1, [_points(project)])  # on the owner's thread: told at once
    assert legacy[-1] == ("annotations", 1, True) and len(posted) == 2


def test_remove_listener(project: Project) -> None:
    seen: list = []

    def listener(kind: str, job: int | None) -> None:
        seen.append(kind)

    project.add_listener(listener)
    project.remove_listener(listener)
    project.add_shapes(1, [_points(project)])
    assert seen == []

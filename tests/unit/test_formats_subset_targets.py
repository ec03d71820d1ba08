"""Where a multi-subset dataset goes in an existing project (app.formats.subset_matching): into the project
(no task named) each subset goes to the task of that subset or a new task, as CVAT imports a dataset into a
project; into a named task everything goes there, with a notice naming the merged subsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.domain.annotations import Annotations, Shape
from app.domain.enums import ShapeType
from app.domain.labels import Label
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry
from app.formats.exporter import write_dataset
from app.formats.importer import import_into_project, import_new_project
from app.storage.errors import ProjectError
from app.storage.store import Project


def _dataset(parts: dict[str, list[str]]) -> Dataset:
    """One box per frame; ``parts`` maps a subset to its frame names."""
    reg = LabelRegistry([Label(name="car")])
    frames, shapes = [], []
    for subset, names in parts.items():
        for name in names:
            frames.append(DatasetFrame(index=len(frames), name=name, width=20, height=10, subset=subset))
            shapes.append(Shape(type=ShapeType.RECTANGLE, frame=len(frames) - 1, label_id=reg.labels[0].id,
                                points=[1, 1, 5, 5]))
    return Dataset(labels=reg.labels, frames=frames, annotations=Annotations(shapes=shapes))


def _tasks(path: Path) -> list[tuple[str, str, list[str], int]]:
    with Project.open(path, read_only=True) as project:
        return sorted((t.name, t.subset, [f.name for f in project.frames(t.id)], project.counts(task_id=t.id)["shapes"])
                      for t in project.tasks())


@pytest.fixture
def train_val(tmp_path: Path) -> Path:
    path = tmp_path / "p.fmproj"
    import_new_project(path, _dataset({"train": ["a.jpg", "b.jpg"], "val": ["c.jpg"]}), tmp_path)
    return path


def test_into_the_project_each_subset_goes_to_its_task_or_a_new_one(train_val: Path, tmp_path: Path) -> None:
    assert _tasks(train_val) == [("train", "train", ["a.jpg", "b.jpg"], 2), ("val", "val", ["c.jpg"], 1)]
    with Project.open(train_val) as project:
        ids = {t.subset: t.id for t in project.tasks()}
        result = import_into_project(project, _dataset({"train": ["b.jpg"], "val": ["c.jpg"], "test": ["d.jpg"]}),
                                     tmp_path)
    assert _tasks(train_val) == [("test", "test", ["d.jpg"], 1), ("train", "train", ["a.jpg", "b.jpg"], 3),
                                 ("val", "val", ["c.jpg"], 2)]
    assert result.created_task and result.task_ids[:2] == [ids["train"], ids["val"]] and len(result.task_ids) == 3
    assert result.notes[0] == f"subset 'train' went into task {ids['train']} ('train')"
    assert result.notes[2].startswith("subset 'test' became new task ")
    assert result.counts["shapes"] == 6


def test_a_project_with_one_task_gets_new_tasks_for_other_subsets(tmp_path: Path) -> None:
    path = tmp_path / "p.fmproj"
    import_new_project(path, _dataset({"": ["a.jpg", "b.jpg"]}), tmp_path, task_name="images")
    with Project.open(path) as project:
        import_into_project(project, _dataset({"train": ["a.jpg"], "val": ["b.jpg"]}), tmp_path)
    assert _tasks(path) == [("images", "", ["a.jpg", "b.jpg"], 2), ("train", "train", ["a.jpg"], 1),
                            ("val", "val", ["b.jpg"], 1)]


def test_into_a_named_task_everything_goes_there_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "p.fmproj"
    import_new_project(path, _dataset({"": ["a.jpg", "b.jpg"]}), tmp_path, task_name="images")
    with Project.open(path) as project:
        result = import_into_project(project, _dataset({"train": ["a.jpg"], "val": ["b.jpg"]}), tmp_path,
                                     task="images")
    assert _tasks(path) == [("images", "", ["a.jpg", "b.jpg"], 4)]
    assert result.notes == ["the dataset's subsets 'train', 'val' were all imported into task 'images'; import "
                            "into the project without a task to get one task per subset"]


def test_a_one_subset_dataset_finds_its_task_among_several(train_val: Path, tmp_path: Path) -> None:
    with Project.open(train_val) as project:
        result = import_into_project(project, _dataset({"val": ["c.jpg"]}), tmp_path)
    assert _tasks(train_val)[1] == ("val", "val", ["c.jpg"], 2) and not result.created_task
    with Project.open(train_val) as project, pytest.raises(ProjectError, match="the project has 2 tasks; choose one"):
        import_into_project(project, _dataset({"": ["c.jpg"]}), tmp_path)  # no subset: no rule to pick a task


def test_ambiguous_subset_refused_and_nothing_written(train_val: Path, tmp_path: Path) -> None:
    with Project.open(train_val) as project:
        import_into_project(project, _dataset({"train": ["x.jpg"]}), tmp_path, new_task=True, task_name="train")
    before = _tasks(train_val)
    with Project.open(train_val) as project, pytest.raises(ProjectError, match=r"tasks .* all match subset 'train'"):
        import_into_project(project, _dataset({"train": ["a.jpg"], "val": ["c.jpg"], "test": ["d.jpg"]}), tmp_path)
    assert _tasks(train_val) == before


def test_a_frame_the_matched_task_lacks_fails_the_whole_import(train_val: Path, tmp_path: Path) -> None:
    before = _tasks(train_val)
    with Project.open(train_val) as project, pytest.raises(Exception, match="does not have"):
        import_into_project(project, _dataset({"test": ["d.jpg"], "train": ["zzz.jpg"]}), tmp_path)
    assert _tasks(train_val) == before  # the new 'test' task was rolled back too


def test_cli_import_into_existing_project_by_subset(train_val: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(_dataset({"train": ["a.jpg"], "val": ["c.jpg"], "test": ["e.jpg"]}), "datumaro", tmp_path / "dm")
    assert cli_main(["import", str(train_val), str(tmp_path / "dm"), "--format", "datumaro", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["task_ids"]) == 3 and summary["created_task"]
    assert sorted(n.split(" ")[1] for n in summary["notes"]) == ["'test'", "'train'", "'val'"]
    assert [t[:2] for t in _tasks(train_val)] == [("test", "test"), ("train", "train"), ("val", "val")]
    write_dataset(_dataset({"train": ["a.jpg"], "val": ["b.jpg"]}), "datumaro", tmp_path / "dm2")
    assert cli_main(["import", str(train_val), str(tmp_path / "dm2"), "--format", "datumaro", "--task", "train"]) == 0
    err = capsys.readouterr().err
    assert "note: the dataset's subsets 'train', 'val' were all imported into task 'train'" in err
    assert ("train", "train", ["a.jpg", "b.jpg"], 5) in _tasks(train_val)

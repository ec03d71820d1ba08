"""cvat-cli parity of `fieldmark auto-annotate` and `fieldmark models`: --function-parameter / -p (last
value wins), --conf-threshold messages, --clear-existing over the whole task, models remove/trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.storage.store import Project
from tests.unit.models_fixtures import FUNCTIONS, make_project


def _texts(path: Path) -> list[str]:
    with Project.open(path, read_only=True) as project:
        shapes = [s for job in project.jobs() for s in project.annotations(job.id).shapes]
    return sorted(v for s in shapes for v in s.attributes.values())


def test_function_parameter_long_form_and_last_value_wins(tmp_path: Path) -> None:
    make_project(tmp_path, frames=2).close()
    project = str(tmp_path / "p.fmk")
    assert main(["auto-annotate", project, "--function-file", str(FUNCTIONS / "ocr_text.py"),
                 "--function-parameter", "prefix=str:AA", "-p", "digits=int:1", "-p", "prefix=str:ZZ"]) == 0
    texts = _texts(tmp_path / "p.fmk")
    assert len(texts) == 2 and all(t.startswith("ZZ") and len(t) == len("ZZ") + 2 for t in texts)


@pytest.mark.parametrize(("value", "message"), [("1.5", "must be between 0 and 1"), ("-0.1", "must be between 0 and 1"),
                                                ("high", "must be a number")])
def test_conf_threshold_messages_as_cvat_cli(tmp_path: Path, capsys: pytest.CaptureFixture, value: str,
                                             message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["auto-annotate", str(tmp_path / "p.fmk"), "--function-file", "f.py", "--conf-threshold", value])
    assert info.value.code == 2
    assert f"argument --conf-threshold: {message}" in capsys.readouterr().err


def test_clear_existing_removes_the_whole_tasks_annotations(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = make_project(tmp_path, frames=4, segment_size=2, overlap=1)
    car = project.labels().by_name("car")
    jobs = project.jobs(project.tasks()[0].id)
    for job in jobs:  # a shape and a tag on every frame of every job (overlap frames too) and a track
        frames = job.frame_list()
        project.add_annotations(job.id, Annotations(
            shapes=[Shape("rectangle", f, car.id, [0, 0, 2, 2]) for f in frames],
            tags=[Tag(f, car.id) for f in frames],
            tracks=[Track(car.id, frames[0], shapes=[TrackedShape("rectangle", frames[0], [0, 0, 3, 3])])]))
    project.close()
    assert main(["auto-annotate", str(tmp_path / "p.fmk"), "--function-module", "tests.data.functions.pose_skeleton",
                 "--clear-existing"]) == 0
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        left = [project.annotations(job.id) for job in project.jobs()]
        assert not any(a.tags or a.tracks for a in left)
        shapes = [s for a in left for s in a.shapes]
        assert sorted(s.frame for s in shapes) == [0, 1, 2, 3] and {s.type for s in shapes} == {"skeleton"}


def test_clear_existing_help_says_what_it_does(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["auto-annotate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "remove the task's existing annotations" in out and "--function-parameter" in out


def test_models_remove_and_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    (tmp_path / "mine.pt").write_bytes(b"\x80\x02}q\x00.")
    assert main(["models", "add", str(tmp_path / "mine.pt"), "--name", "mine"]) == 0
    assert main(["models", "add", "--name", "ocr", "--function-file", str(FUNCTIONS / "ocr_text.py")]) == 0
    assert main(["models", "remove", "ocr"]) == 0 and "removed the registration 'ocr'" in capsys.readouterr().out
    assert main(["models", "remove", "mine.pt"]) == 0
    assert not (tmp_path / "home" / "cache" / "models" / "mine.pt").exists()
    assert main(["models", "remove", "nothing-here"]) == 2 and "not installed" in capsys.readouterr().err
    assert main(["models", "trust", str(tmp_path / "mine.pt")]) == 0
    assert "SHA-256" in capsys.readouterr().out

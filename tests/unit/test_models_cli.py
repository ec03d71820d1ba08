"""`fieldmark auto-annotate` and `fieldmark models` end to end through app.cli.main."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.cli import main
from app.storage.store import Project
from tests.unit.models_fixtures import FUNCTIONS, make_project


def test_auto_annotate_function_file_with_params(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_project(tmp_path, frames=3).close()
    code = main(["auto-annotate", str(tmp_path / "p.fmk"), "--task", "t", "--function-file",
                 str(FUNCTIONS / "ocr_text.py"), "-p", "prefix=str:ZZ"])
    assert code == 0 and "annotated 3 frames: 3 shapes" in capsys.readouterr().out
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        assert project.counts()["shapes"] == 3
    code = main(["auto-annotate", str(tmp_path / "p.fmk"), "--function-module", "tests.data.functions.pose_skeleton",
                 "--clear-existing"])
    assert code == 0
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        assert project.counts()["by_type"] == {"skeleton": 3}


def test_auto_annotate_failures_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_project(tmp_path, frames=3).close()
    code = main(["auto-annotate", str(tmp_path / "p.fmk"), "--function-file", str(FUNCTIONS / "bad_label_id.py"),
                 "-p", "good_frames=int:2"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown label ID (99)" in err and "nothing was written" in err
    assert main(["auto-annotate", str(tmp_path / "p.fmk"), "--function-file", str(FUNCTIONS / "mask_always.py"),
                 "--conv-mask-to-poly"]) == 2
    assert main(["auto-annotate", str(tmp_path / "p.fmk"), "--function-file", str(FUNCTIONS / "ocr_text.py"),
                 "-p", "bad"]) == 2
    assert "name=type:value" in capsys.readouterr().err
    assert main(["auto-annotate", str(tmp_path / "p.fmk"), "--model", "yolo11s"]) == 2
    assert "yolo11s.pt" in capsys.readouterr().err
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        assert project.counts()["shapes"] == 0


def test_unmatched_labels_flag(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_project(tmp_path, frames=2, labels=[]).close()
    args = ["auto-annotate", str(tmp_path / "p.fmk"), "--function-file", str(FUNCTIONS / "pose_skeleton.py")]
    assert main(args) == 2 and "label 'person' is not in dataset" in capsys.readouterr().err
    assert main(args + ["--allow-unmatched-labels"]) == 0


def test_models_add_list_verify(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    checkpoint = tmp_path / "yolo11n.pt"
    with zipfile.ZipFile(checkpoint, "w") as archive:
        archive.writestr("a/data.pkl", b"\x80ultralytics")
    assert main(["models", "add", str(checkpoint)]) == 0
    assert main(["models", "add", "--name", "ocr", "--function-file", str(FUNCTIONS / "ocr_text.py"),
                 "-p", "prefix=str:Q"]) == 0
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "yolo11n" in out and "installed" in out and "ocr" in out and "-p prefix=str:Q" in out
    assert main(["models", "verify", "yolo11n"]) == 0
    assert "unverified" in capsys.readouterr().out
    assert main(["models", "verify", "sam2.1-tiny"]) == 1
    assert "sam2.1_hiera_tiny.pt" in capsys.readouterr().out

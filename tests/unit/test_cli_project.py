"""`fieldmark create` and `fieldmark info` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from app.cli import main

LABELS = [
    {"name": "car", "type": "rectangle", "attributes": [
        {"name": "color", "input_type": "select", "mutable": False, "values": ["red", "blue"], "default_value": "red"}]},
    {"name": "person", "type": "skeleton", "sublabels": [{"name": "head"}, {"name": "hand"}],
     "svg": '<line data-type="edge" data-node-from="1" data-node-to="2"></line>'
            '<circle data-type="element node" data-node-id="1" data-label-name="head"></circle>'
            '<circle data-type="element node" data-node-id="2" data-label-name="hand"></circle>'},
]


def make_images(folder: Path, n: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((20, 30, 3), i * 40, np.uint8)).save(folder / f"{i}.png")


def test_create_then_info_json(tmp_path: Path, capsys) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(LABELS))
    make_images(tmp_path / "imgs")
    project = tmp_path / "p.fmproj"
    assert main(["create", str(project), "--labels", str(labels), "--segment-size", "2", str(tmp_path / "imgs")]) == 0
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [label["name"] for label in info["labels"]] == ["car", "person"]
    assert info["labels"][1]["sublabels"] == ["head", "hand"]
    (task,) = info["tasks"]
    assert task["frames"] == 3 and len(task["jobs"]) == 2
    assert info["annotations"]["shapes"] == 0


def test_create_with_bad_media_leaves_no_file(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "imgs"
    make_images(folder, 1)
    (folder / "broken.png").write_bytes(b"not a png")
    project = tmp_path / "p.fmproj"
    assert main(["create", str(project), str(folder)]) == 2
    err = capsys.readouterr().err
    assert "broken.png" in err
    assert not project.exists()


def test_bad_labels_json_is_reported(tmp_path: Path, capsys) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps([{"name": "x", "type": "hexagon"}]))
    assert main(["create", str(tmp_path / "p.fmproj"), "--labels", str(labels)]) == 2
    assert "unknown type 'hexagon'" in capsys.readouterr().err


def test_python_dash_m_app_runs(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "app", "--help"], cwd=root, capture_output=True, text=True, check=True)
    assert "create" in out.stdout and "info" in out.stdout


def test_cli_does_not_import_qt_or_torch(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    code = ("import sys; from app.cli import main; main(['info', '--help']) if False else None; "
            "from app.cli import build_parser; build_parser(); "
            "print([m for m in ('PySide6', 'torch', 'ultralytics', 'sam2') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

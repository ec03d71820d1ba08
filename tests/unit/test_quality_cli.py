"""`fieldmark quality ...` and `fieldmark consensus merge` end to end, plus the CSV layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.cli import main
from app.domain.enums import JobStage, JobState, JobType
from app.quality.compare_files import compare_files
from app.quality.csv_export import COLUMNS, to_csv
from tests.unit.test_quality_project import box, project  # noqa: F401 - the project fixture

FIXTURES = "cvat-quality/22-27"


def test_compare_command_writes_json_and_csv(shared_fixtures: Path, tmp_path: Path, capsys) -> None:
    folder = shared_fixtures / FIXTURES
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert main(["quality", "compare", str(folder / "gt.xml"), str(folder / "ds.xml"),
                 "--settings", str(folder / "settings.json"), "--json", str(out_json), "--csv", str(out_csv)]) == 0
    data = json.loads(out_json.read_text())
    expected = json.loads((folder / "expected.json").read_text())["summary"]
    assert data["summary"] == {**data["summary"], **expected}
    assert {"frame_name", "type", "severity", "shape_types"} <= set(data["conflicts"][0])
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["row_type"] for r in rows].count("conflict") == 42
    assert rows[0]["row_type"] == "summary" and rows[0]["accuracy"] == str(expected["accuracy"])
    assert "accuracy 0.4583" in capsys.readouterr().out


def test_compare_command_reports_bad_input(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<annotations><image")
    assert main(["quality", "compare", str(bad), str(bad)]) != 0
    assert "bad.xml" in capsys.readouterr().err
    settings = tmp_path / "s.json"
    settings.write_text('{"iou_threshold": 3}')
    assert main(["quality", "compare", str(bad), str(bad), "--settings", str(settings)]) != 0
    assert "iou_threshold" in capsys.readouterr().err


def test_csv_layout(shared_fixtures: Path) -> None:
    folder = shared_fixtures / FIXTURES
    report = compare_files(folder / "gt.xml", folder / "ds.xml")
    text = to_csv([("job", 27, report)])
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == COLUMNS
    labels = [r for r in rows if r["row_type"] == "label"]
    assert [r["label"] for r in labels] == ["dog", "cat", "skele"]
    conflict = next(r for r in rows if r["row_type"] == "conflict" and r["type"] == "mismatching_label")
    assert conflict["frame_name"] == "30.png" and conflict["severity"] == "error" and ";" in conflict["shape_types"]


def test_report_settings_gt_and_workflow_commands(project, tmp_path: Path, capsys) -> None:  # noqa: F811
    path = project.location.display  # a file or a team project URL
    jobs = [j for j in project.jobs(1) if j.type is JobType.ANNOTATION]
    project.close()
    assert main(["quality", "gt-job", path, "--method", "manual", "--frames", "1,6"]) == 0
    assert main(["quality", "settings", path, "--task", "1", "--set", "iou_threshold=0.5"]) == 0
    assert '"iou_threshold": 0.5' in capsys.readouterr().out
    assert main(["quality", "report", path, "--task", "1"]) == 2
    assert "acceptance" in capsys.readouterr().err
    from app.storage.store import Project

    with Project.open(path) as proj:
        gt = next(j for j in proj.jobs(1) if j.type is JobType.GROUND_TRUTH)
        proj.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
        proj.add_shapes(gt.id, [box(1, 10)])
        proj.add_shapes(jobs[0].id, [box(1, 10)])
    out = tmp_path / "t.csv"
    assert main(["quality", "report", path, "--task", "1", "--save", "--csv", str(out)]) == 0
    assert sum(1 for r in csv.DictReader(out.open()) if r["row_type"] == "summary") == 3
    assert main(["quality", "history", path, "--task", "1"]) == 0
    assert "#1" in capsys.readouterr().out
    out_json = tmp_path / "j.json"
    assert main(["quality", "report", path, "--job", str(jobs[0].id), "--json", str(out_json)]) == 0
    assert json.loads(out_json.read_text())["summary"]["valid_count"] == 1
    assert main(["quality", "report", path, "--project"]) == 0
    assert main(["quality", "submit", path, "--job", str(jobs[0].id)]) == 0
    assert "accepted" in capsys.readouterr().out
    assert main(["consensus", "merge", path, "--task", "1"]) == 1


@pytest.mark.parametrize("args", [["quality"], ["consensus"]])
def test_subcommands_required(args) -> None:
    with pytest.raises(SystemExit):
        main(args)

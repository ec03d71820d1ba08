"""CVAT's own stored reports (shared/fixtures/cvat-quality): summaries exact, conflicts as a multiset."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from app.quality.compare_files import compare_files
from app.quality.settings import QualitySettings

CASES = ["22-27", "23-29", "23-30", "23-31"]


@pytest.mark.parametrize("case", CASES)
def test_fixture_matches_cvat(shared_fixtures: Path, case: str) -> None:
    folder = shared_fixtures / "cvat-quality" / case
    expected = json.loads((folder / "expected.json").read_text())
    settings = QualitySettings.from_dict(json.loads((folder / "settings.json").read_text()))
    report = compare_files(folder / "gt.xml", folder / "ds.xml", settings)

    summary = dict(expected["summary"])
    summary.update(expected.get("cvat_v2_73_0_summary_differences", {}))
    got = report.summary()
    for key, value in summary.items():
        assert got[key] == value, key

    mine = Counter((report.frame_names[c.frame_id], str(c.type), str(c.severity), tuple(c.shape_types()))
                   for c in report.conflicts)
    theirs = Counter((c["frame_name"], c["type"], c["severity"], tuple(c["shape_types"]))
                     for c in expected["conflicts"])
    assert mine == theirs


def test_fixture_settings_are_cvat_defaults(shared_fixtures: Path) -> None:
    data = json.loads((shared_fixtures / "cvat-quality" / "22-27" / "settings.json").read_text())
    defaults = QualitySettings()
    for key, value in data.items():
        assert getattr(defaults, key) == value, key

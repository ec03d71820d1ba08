"""Fixed expected reports: the quality comparison on generated multi-type jobs must keep giving the numbers
it gave before its speed work (commit 88bdc7e, whose reports match CVAT on every reference case).

``tests/data/quality_expected.json`` holds, per case, the summary and every frame's conflicts (type and
object ids) and counts. It was written by :func:`expected_reports` running on that commit's code
(``python -m tests.unit.test_quality_expected OUT.json`` with that code on ``PYTHONPATH``); any later
change of matching, rasterization, ordering or reading that changes a number fails here. Cases: every
shape type with groups (``plain``), and the same with turned ellipses and boxes, mixed z_orders and
groups mixing types (``mixed``), under default and non-default settings; both through the streamed
reader and through the full formats reader.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from app.domain.enums import ShapeType
from app.formats.cvat_xml_read import read_cvat_xml
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.synthetic_jobs import job_pair
from app.quality.compare_files import compare_datasets, compare_files
from app.quality.settings import QualitySettings

EXPECTED = Path(__file__).resolve().parents[1] / "data" / "quality_expected.json"
FRAMES = 12
SETTINGS = {
    "default": {},
    "not_panoptic": {"panoptic_comparison": False},
    "image_size": {"point_size_base": "image_size", "oks_sigma": 0.2},
    "thresholds": {"iou_threshold": 0.2, "low_overlap_threshold": 0.95, "object_visibility_threshold": 0.3,
                   "line_thickness": 0.05, "group_match_threshold": 0.9},
    "checks_off": {"compare_groups": False, "check_covered_annotations": False, "compare_attributes": False,
                   "compare_line_orientation": False, "empty_is_annotated": True},
}


def write_cases(folder: Path) -> dict[str, tuple[Path, Path]]:
    """The generated job pairs as CVAT XML files."""
    out = {}
    gt, ds = job_pair(FRAMES)
    write_cvat_xml(gt, folder / "plain_gt.xml")
    write_cvat_xml(ds, folder / "plain_ds.xml")
    out["plain"] = (folder / "plain_gt.xml", folder / "plain_ds.xml")
    rng = np.random.default_rng(7)
    gt, ds = job_pair(FRAMES)
    for dataset in (gt, ds):
        for shape in dataset.annotations.shapes:
            r = rng.random()
            if shape.type is ShapeType.ELLIPSE and r < 0.5:
                shape.rotation = float(rng.uniform(0, 180))
            if shape.type is ShapeType.RECTANGLE and r < 0.3:
                shape.rotation = float(rng.choice([0.0, 45.0, 30.0]))
            if shape.type in (ShapeType.POLYGON, ShapeType.MASK, ShapeType.RECTANGLE, ShapeType.ELLIPSE):
                shape.z_order = int(rng.integers(0, 3))
            if rng.random() < 0.1:
                shape.group = int(rng.integers(1, 4))
    write_cvat_xml(gt, folder / "mixed_gt.xml")
    write_cvat_xml(ds, folder / "mixed_ds.xml")
    out["mixed"] = (folder / "mixed_gt.xml", folder / "mixed_ds.xml")
    return out


def compact(report) -> dict:
    """The summary and, per frame, the conflicts (type and object ids, in order) and the counts."""
    data = report.to_data()
    frames = {}
    for frame, result in data["frame_results"].items():
        shapes = result["annotation_components"]["shape"]
        frames[frame] = {
            "conflicts": [c["type"] + ":" + ",".join(f"{a['job_id']}/{a['type']}/{a['obj_id']}" for a in c["annotation_ids"])
                          for c in result["conflicts"]],
            "annotations": {k: v for k, v in result["annotations"].items() if k.endswith("_count")},
            "shapes": {k: v for k, v in shapes.items() if k.endswith("_count")},
            "mean_iou": round(shapes["mean_iou"], 9),
        }
    summary = {k: (round(v, 9) if isinstance(v, float) else v) for k, v in report.summary().items()}
    return {"summary": summary, "frames": frames}


def expected_reports(folder: Path) -> dict[str, dict]:
    out = {}
    for case, (gt, ds) in write_cases(folder).items():
        for name, values in SETTINGS.items():
            out[f"{case}/{name}"] = compact(compare_files(gt, ds, QualitySettings.from_dict(values), workers=1))
        out[f"{case}/full_reader"] = compact(compare_datasets(read_cvat_xml(gt), read_cvat_xml(ds)))
    return out


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return expected_reports(tmp_path_factory.mktemp("expected"))


@pytest.mark.parametrize("case", [f"{c}/{s}" for c in ("plain", "mixed") for s in (*SETTINGS, "full_reader")])
def test_reports_equal_the_fixed_expected_ones(computed: dict[str, dict], case: str) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))[case]
    got = computed[case]
    assert got["summary"] == expected["summary"]
    for frame, want in expected["frames"].items():
        assert got["frames"][frame] == want, f"{case}: frame {frame}"
    assert set(got["frames"]) == set(expected["frames"])


def test_the_cases_exercise_every_rule(computed: dict[str, dict]) -> None:
    kinds = {c.split(":")[0] for report in computed.values() for f in report["frames"].values() for c in f["conflicts"]}
    assert {"low_overlap", "missing_annotation", "extra_annotation", "mismatching_label", "covered_annotation",
            "mismatching_groups"} <= kinds


if __name__ == "__main__":  # writes the expected file with the code on PYTHONPATH
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        reports = expected_reports(Path(tmp))
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True, separators=(',', ':'))}" for k, v in sorted(reports.items())]
    Path(sys.argv[1]).write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")

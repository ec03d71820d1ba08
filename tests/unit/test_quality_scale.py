"""The fast quality paths give the same report as the plain ones: the streamed XML comparison (with
worker processes) equals the full-reader comparison, and the project (app) report equals
``quality compare`` on the same generated multi-type job with groups."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from app.domain.enums import JobStage, JobState, JobType
from app.domain.project import FrameInfo
from app.formats.cvat_xml_read import read_cvat_xml
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.errors import FormatError
from app.formats.synthetic_jobs import frame_name, job_labels, job_pair
from app.quality import service
from app.quality.compare_files import compare_datasets, compare_files
from app.quality.gt_frames import FrameSelection, create_gt_job
from app.quality.parallel import MIN_FRAMES_FOR_WORKERS, compare_chunks
from app.quality.report_json import conflict_items, write_report_json
from app.quality.settings import QualitySettings
from app.storage.store import Project

FRAMES = MIN_FRAMES_FOR_WORKERS + 4  # long enough for worker processes


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("job")
    gt, ds = job_pair(FRAMES)
    write_cvat_xml(gt, folder / "gt.xml")
    write_cvat_xml(ds, folder / "ds.xml")
    return folder / "gt.xml", folder / "ds.xml"


def data(report) -> str:
    return json.dumps({"summary": report.summary(), "report": report.to_data()}, sort_keys=True)


def test_streamed_workers_equal_full_reader(files: tuple[Path, Path]) -> None:
    gt, ds = files
    full = compare_datasets(read_cvat_xml(gt), read_cvat_xml(ds))
    assert full.summary()["conflicts_by_type"].get("mismatching_groups")  # groups are exercised
    assert data(compare_files(gt, ds, workers=2)) == data(full)
    assert data(compare_files(gt, ds, workers=1)) == data(full)


def test_unusual_files_fall_back_to_the_full_reader(files: tuple[Path, Path], tmp_path: Path) -> None:
    gt, ds = files
    text = gt.read_text(encoding="utf-8")
    commented = tmp_path / "commented.xml"
    commented.write_text(text.replace("<annotations>", "<annotations><!-- a comment -->", 1), encoding="utf-8")
    assert data(compare_files(commented, ds, workers=1)) == data(compare_files(gt, ds, workers=1))
    broken = tmp_path / "broken.xml"
    broken.write_text(re.sub(r'xtl="[^"]*"', 'xtl="oops"', text, count=1), encoding="utf-8")
    with pytest.raises(FormatError, match=r"line \d+.*oops"):
        compare_files(broken, ds, workers=1)
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(FormatError, match="malformed XML"):
        compare_files(truncated, ds, workers=2)


def build_project(folder: Path, frames: int = FRAMES) -> Project:
    """A project with one task of ``frames`` frames: the generated job and its GT job (all frames, accepted)."""
    labels = job_labels()
    for label in labels:
        for item in (label, *label.sublabels):
            item.id = None
            item.parent_id = None
            for spec in item.attributes:
                spec.id = None
    project = Project.create(folder / "p.fmproj", "p", labels)
    project.create_task("t", [FrameInfo(i, frame_name(i), 1280, 720) for i in range(frames)], segment_size=frames)
    gt_set, ds_set = job_pair(frames)
    ids = {}
    for label in project.labels():
        ids[label.name] = label.id
        ids.update({(label.name, s.name): s.id for s in label.sublabels})
    by_old = {lbl.id: lbl.name for lbl in gt_set.labels}
    by_old.update({s.id: (lbl.name, s.name) for lbl in gt_set.labels for s in lbl.sublabels})
    gt_job = create_gt_job(project, 1, FrameSelection(method="manual", frames=list(range(frames))))
    project.update_job(gt_job.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
    job = next(j for j in project.jobs(1) if j.type is not JobType.GROUND_TRUTH)
    for job_id, dataset in ((gt_job.id, gt_set), (job.id, ds_set)):
        ann = copy.deepcopy(dataset.annotations)
        for item in [*ann.shapes, *ann.tags, *(e for s in ann.shapes for e in s.elements)]:
            item.label_id = ids[by_old[item.label_id]]
        project.add_shapes(job_id, ann.shapes)
        project.add_tags(job_id, ann.tags)
    return project


def _comparable(report) -> dict:
    out = json.loads(data(report))
    for frame in out["report"]["frame_results"].values():
        frame["conflicts"] = sorted(
            (c["type"], tuple(a["shape_type"] or "tag" for a in c["annotation_ids"])) for c in frame["conflicts"])
    out["report"].pop("parameters")
    return out


def test_project_report_equals_quality_compare(files: tuple[Path, Path], tmp_path: Path) -> None:
    project = build_project(tmp_path)
    try:
        result = service.compute_task(project, 1)
    finally:
        project.close()
    (job_report,) = result.jobs.values()
    from_files = compare_files(*files)
    assert _comparable(job_report) == _comparable(from_files)
    by_type = Counter(str(c.type) for c in job_report.conflicts)
    assert by_type == Counter(str(c.type) for c in from_files.conflicts) and by_type["mismatching_groups"]


def _failing_load(chunk, labels, context):  # a Loader for the test below (workers import it by name)
    raise ValueError(f"cannot load chunk {chunk}")


def test_worker_exceptions_reach_the_caller() -> None:
    with pytest.raises(ValueError, match=r"cannot load chunk \[2\]"):
        list(compare_chunks(QualitySettings(), job_labels(), [[2], [3]], _failing_load, workers=2))


def _path_load(chunk, labels, context):  # a Loader that tells which code the worker imported
    import app

    raise ValueError(app.__file__)


def test_workers_import_the_callers_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source tree in the current folder must not shadow the caller's code in the workers (``-m`` puts the
    current folder first on the path; a decoy ``app`` there once answered for the caller's)."""
    import app

    decoy = tmp_path / "app"
    (decoy / "quality").mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('decoy app imported')\n", encoding="utf-8")
    (decoy / "quality" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as caught:
        list(compare_chunks(QualitySettings(), job_labels(), [[1]], _path_load, workers=2))
    assert str(caught.value) == app.__file__


def test_streamed_json_equals_the_report_data(files: tuple[Path, Path], tmp_path: Path) -> None:
    report = compare_files(*files, workers=1)
    write_report_json(tmp_path / "out.json", report)
    expected = {"summary": report.summary(), "conflicts": list(conflict_items(report)), "report": report.to_data()}
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == json.loads(json.dumps(expected))
    assert not (tmp_path / "out.json.tmp").exists()

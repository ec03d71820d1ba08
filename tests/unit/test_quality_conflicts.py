"""Conflict types, severities, annotation ids and the settings that switch checks on and off."""

from __future__ import annotations

from app.domain.annotations import Tag
from app.quality.conflicts import ConflictType, Severity, severity_of
from app.quality.settings import QualitySettings
from tests.unit.test_quality_matching import CAR, DOG, ann, rect, run, types


def test_severities() -> None:
    errors = {ConflictType.MISSING_ANNOTATION, ConflictType.EXTRA_ANNOTATION, ConflictType.MISMATCHING_LABEL}
    for conflict_type in ConflictType:
        expected = Severity.ERROR if conflict_type in errors else Severity.WARNING
        assert severity_of(conflict_type) is expected


def test_pair_conflicts_list_job_annotation_first() -> None:
    gt = rect(0, 0, 10, 10)
    gt.id = 7
    ds = rect(0, 0, 10, 10, label=DOG)
    ds.id = 9
    result = run(ann(gt), ann(ds))
    (conflict,) = result.conflicts
    assert conflict.type is ConflictType.MISMATCHING_LABEL
    assert [(a.obj_id, a.job_id, a.type, a.shape_type) for a in conflict.annotation_ids] == [
        (9, 1, "shape", "rectangle"), (7, 0, "shape", "rectangle")]


def test_low_overlap_threshold_and_tags_never_low_overlap() -> None:
    pair = (ann(rect(0, 0, 10, 10)), ann(rect(1, 0, 11, 10)))  # IoU 90/110
    assert types(run(*pair)) == []
    assert types(run(*pair, QualitySettings(low_overlap_threshold=0.9))) == ["low_overlap"]
    tags = run(ann(tags=[Tag(0, CAR)]), ann(tags=[Tag(0, CAR)]), QualitySettings(low_overlap_threshold=1.0))
    assert tags.conflicts == []


def test_iou_threshold_setting() -> None:
    pair = (ann(rect(0, 0, 10, 10)), ann(rect(5, 0, 15, 10)))  # IoU 1/3
    assert sorted(types(run(*pair))) == ["extra_annotation", "missing_annotation"]
    assert types(run(*pair, QualitySettings(iou_threshold=0.3))) == ["low_overlap"]


def test_attributes_compared_after_typing_with_defaults_and_occluded() -> None:
    assert run(ann(rect(0, 0, 10, 10, attributes={3: "5"})), ann(rect(0, 0, 10, 10, attributes={3: "5.0"}))).conflicts == []
    assert run(ann(rect(0, 0, 10, 10, attributes={4: "True"})), ann(rect(0, 0, 10, 10, attributes={4: "true"}))).conflicts == []
    # a missing value takes the spec default ("x")
    assert run(ann(rect(0, 0, 10, 10, attributes={5: "x"})), ann(rect(0, 0, 10, 10))).conflicts == []
    assert types(run(ann(rect(0, 0, 10, 10, attributes={5: "y"})), ann(rect(0, 0, 10, 10)))) == ["mismatching_attributes"]
    assert types(run(ann(rect(0, 0, 10, 10, occluded=True)), ann(rect(0, 0, 10, 10)))) == ["mismatching_attributes"]
    # rotation is not an attribute difference (it changes the geometry instead)
    off = QualitySettings(compare_attributes=False)
    assert run(ann(rect(0, 0, 10, 10, occluded=True)), ann(rect(0, 0, 10, 10)), off).conflicts == []


def test_ignored_attributes() -> None:
    settings = QualitySettings(ignored_attributes=["t", "occluded"])
    assert run(ann(rect(0, 0, 10, 10, attributes={5: "y"}, occluded=True)), ann(rect(0, 0, 10, 10)), settings).conflicts == []


def test_tag_attributes_are_compared() -> None:
    result = run(ann(tags=[Tag(0, CAR, attributes={5: "a"})]), ann(tags=[Tag(0, CAR, attributes={5: "b"})]))
    assert types(result) == ["mismatching_attributes"]
    assert result.conflicts[0].shape_types() == ["tag", "tag"]


def test_mismatched_labels_skip_attribute_check() -> None:
    result = run(ann(rect(0, 0, 10, 10, attributes={5: "y"})), ann(rect(0, 0, 10, 10, label=DOG)))
    assert types(result) == ["mismatching_label"]


def test_group_checks() -> None:
    gt = ann(rect(0, 0, 10, 10, group=1), rect(20, 0, 30, 10, group=1))
    same = ann(rect(0, 0, 10, 10, group=4), rect(20, 0, 30, 10, group=4))
    assert run(gt, same).conflicts == []
    split = ann(rect(0, 0, 10, 10), rect(20, 0, 30, 10))
    # GT group {a, b} corresponds to the job singleton {a} (Jaccard 1/2); b's singleton has no GT group
    assert types(run(gt, split)) == ["mismatching_groups"]
    ungrouped_gt = ann(rect(0, 0, 10, 10), rect(20, 0, 30, 10))
    grouped_ds = ann(rect(0, 0, 10, 10, group=2), rect(20, 0, 30, 10, group=2))
    assert types(run(ungrouped_gt, grouped_ds)) == ["mismatching_groups", "mismatching_groups"]
    assert run(gt, split, QualitySettings(compare_groups=False)).conflicts == []


def test_group_match_threshold() -> None:
    gt = ann(rect(0, 0, 10, 10, group=1), rect(20, 0, 30, 10, group=1), rect(40, 0, 50, 10, group=1))
    ds = ann(rect(0, 0, 10, 10, group=3), rect(20, 0, 30, 10, group=3), rect(40, 0, 50, 10))
    # Jaccard of the groups: 2 / (3 + 2 - 2) = 2/3 >= 0.5 -> the groups correspond; the third box differs
    assert types(run(gt, ds)) == ["mismatching_groups"]
    assert types(run(gt, ds, QualitySettings(group_match_threshold=0.7))) == ["mismatching_groups"] * 3


def test_conflict_generation_order() -> None:
    gt = ann(rect(0, 0, 10, 10), rect(50, 50, 60, 60), rect(100, 100, 110, 110, label=DOG), tags=[Tag(0, CAR)])
    ds = ann(rect(2, 0, 12, 10), rect(150, 150, 160, 160), rect(100, 100, 110, 110))
    order = [str(c.type) for c in run(gt, ds).conflicts]
    assert order == ["low_overlap", "missing_annotation", "missing_annotation", "extra_annotation",
                     "mismatching_label"]

"""Qt-free label matching rules: attribute compatibility, pre-filling, and problems that would stop a run."""

from __future__ import annotations

import cvat_sdk.auto_annotation as cvataa
import pytest
from cvat_sdk.attributes import attribute_vals_from_dict
from cvat_sdk.auto_annotation import BadFunctionError

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label, LabelSet
from app.models.label_matching import (
    LabelMapping,
    LabelMatch,
    SublabelMatch,
    attribute_compatible,
    match_problems,
    suggest_label,
)
from app.models.validation import OutputMapper

SPEC = cvataa.label_spec("plate", 0, type="rectangle", attributes=[
    cvataa.text_attribute_spec("text", 0), cvataa.select_attribute_spec("color", 1, ["blue", "red"]),
    cvataa.number_attribute_spec("size", 2, ["1", "5", "1"])])
SKELETON = cvataa.skeleton_label_spec("person", 1, [cvataa.keypoint_spec("a", 0), cvataa.keypoint_spec("b", 1)])


def _plate(color_values=("red", "blue"), size_values=("1", "5", "1")) -> Label:
    return Label("plate", type=LabelType.RECTANGLE, id=1, attributes=[
        AttributeSpec("text", AttributeType.TEXT, id=10),
        AttributeSpec("color", AttributeType.SELECT, list(color_values), id=11),
        AttributeSpec("size", AttributeType.NUMBER, list(size_values), id=12),
        AttributeSpec("note", AttributeType.TEXT, id=13)])


def _person() -> Label:
    return Label("person", type=LabelType.SKELETON, id=2, sublabels=[Label("x", type=LabelType.POINTS, id=21),
                                                                     Label("y", type=LabelType.POINTS, id=22)])


def test_attribute_compatibility_follows_the_run_time_rule() -> None:
    text, color, size = SPEC.attributes
    plate = _plate()
    assert attribute_compatible(text, plate.attributes[0]) and attribute_compatible(text, plate.attributes[3])
    assert attribute_compatible(color, plate.attributes[1])           # same set, other order
    assert not attribute_compatible(color, _plate(("red", "green")).attributes[1])
    assert not attribute_compatible(size, _plate(size_values=("1", "9", "1")).attributes[2])
    assert not attribute_compatible(text, plate.attributes[1])
    # the runner agrees: an incompatible pair fails there too
    mapping = LabelMapping({"plate": LabelMatch("plate", {"color": "color"})})
    with pytest.raises(BadFunctionError, match="has values"):
        OutputMapper([SPEC], [_plate(("red", "green"))], mapping=mapping)


def test_suggest_prefills_only_compatible_attributes() -> None:
    assert suggest_label(SPEC, _plate()).attributes == {"text": "text", "color": "color", "size": "size"}
    assert suggest_label(SPEC, _plate(("red", "green"))).attributes == {"text": "text", "size": "size"}


def test_match_problems_and_a_clean_mapping_runs() -> None:
    plate, person = _plate(), _person()
    good = LabelMatch("plate", {"text": "note", "color": "color"})
    assert match_problems(SPEC, plate, good) == []
    doubled = LabelMatch("plate", {"text": "note", "color": "color", "size": "note"})
    assert any("does not fit 'note'" in p for p in match_problems(SPEC, plate, doubled))
    assert "no such attribute" in match_problems(SPEC, plate, LabelMatch("plate", {"text": "missing"}))[0]
    skeleton = LabelMatch("person", {}, {"a": SublabelMatch("y", {}), "b": SublabelMatch("x", {})})
    assert match_problems(SKELETON, person, skeleton) == []
    partial = LabelMatch("person", {}, {"a": SublabelMatch("y", {})})
    assert match_problems(SKELETON, person, partial) == ["task skeleton 'person' keypoints without a model keypoint: x"]
    same = LabelMatch("person", {}, {"a": SublabelMatch("y", {}), "b": SublabelMatch("y", {})})
    assert "both map to 'y'" in match_problems(SKELETON, person, same)[0]
    # what match_problems accepts, the runner maps: swapped keypoints, renamed attribute
    mapper = OutputMapper([SPEC, SKELETON], LabelSet([plate, person]),
                          mapping=LabelMapping({"plate": good, "person": skeleton}))
    shapes, _ = mapper.map_frame([cvataa.rectangle(0, [0, 0, 1, 1], attributes=attribute_vals_from_dict({0: "AB"})),
                                  cvataa.skeleton(1, [cvataa.keypoint(0, [1, 1]), cvataa.keypoint(1, [2, 2])])], 0)
    assert shapes[0].attributes[13] == "AB" and [(e.label_id, e.points) for e in shapes[1].elements] == [
        (22, [1.0, 1.0]), (21, [2.0, 2.0])]
    with pytest.raises(BadFunctionError, match="fewer elements"):
        OutputMapper([SKELETON], LabelSet([person]), mapping=LabelMapping({"person": partial})).map_frame(
            [cvataa.skeleton(1, [cvataa.keypoint(0, [1, 1]), cvataa.keypoint(1, [2, 2])])], 0)

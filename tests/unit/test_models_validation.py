"""OutputMapper: CVAT driver rules, checked case by case and against cvat-sdk's own mapper."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import cvat_sdk.auto_annotation as cvataa
import pytest
from cvat_sdk import models
from cvat_sdk.attributes import attribute_vals_from_dict, number_attribute_values
from cvat_sdk.auto_annotation import BadFunctionError
from cvat_sdk.auto_annotation.driver import _AnnotationMapper

from app.domain.enums import AttributeType, LabelType, Source
from app.domain.labels import AttributeSpec, Label, LabelSet
from app.models.label_matching import LabelMapping, LabelMatch, SublabelMatch
from app.models.validation import OutputMapper


def _task_labels() -> LabelSet:
    labels = [
        Label("car", type=LabelType.RECTANGLE, id=1, attributes=[
            AttributeSpec("color", AttributeType.SELECT, ["red", "blue"], id=11),
            AttributeSpec("plate", AttributeType.TEXT, id=12),
            AttributeSpec("doors", AttributeType.NUMBER, ["2", "5", "1"], id=13)]),
        Label("person", type=LabelType.SKELETON, id=2, sublabels=[
            Label("head", type=LabelType.POINTS, id=21), Label("foot", type=LabelType.POINTS, id=22)]),
        Label("road", type=LabelType.ANY, id=3),
        Label("scene", type=LabelType.TAG, id=4),
    ]
    return LabelSet(labels)


SPEC = [
    cvataa.label_spec("car", 0, type="rectangle", attributes=[
        cvataa.select_attribute_spec("color", 0, ["blue", "red"]), cvataa.text_attribute_spec("plate", 1),
        cvataa.number_attribute_spec("doors", 2, number_attribute_values(2, 5, 1))]),
    cvataa.skeleton_label_spec("person", 1, [cvataa.keypoint_spec("head", 0), cvataa.keypoint_spec("foot", 1)]),
    cvataa.label_spec("road", 2, type="mask"),
    cvataa.label_spec("scene", 3, type="tag"),
]


def _sdk_dataset_labels(labels: LabelSet) -> list[SimpleNamespace]:
    def attrs(label: Label) -> list[SimpleNamespace]:
        return [SimpleNamespace(id=a.id, name=a.name, input_type=models.InputTypeEnum(a.input_type.value),
                                values=list(a.values)) for a in label.attributes]

    return [SimpleNamespace(id=label.id, name=label.name, type=label.type.value, attributes=attrs(label),
                            sublabels=[SimpleNamespace(id=s.id, name=s.name, type="points", attributes=attrs(s))
                                       for s in label.sublabels]) for label in labels]


def _cases() -> list[list]:
    kp = cvataa.keypoint
    return [
        [cvataa.rectangle(0, [1, 2, 3, 4], attributes=attribute_vals_from_dict({0: "red", 1: "AB1", 2: 3}))],
        [cvataa.skeleton(1, [kp(0, [1, 1]), kp(1, [2, 2], outside=True)])],
        [cvataa.mask(2, [0, 4, 0, 0, 1, 1])],
        [cvataa.polygon(2, [0, 0, 4, 0, 4, 4])],
        [cvataa.tag(3)],
        [cvataa.polygon(0, [0, 0, 4, 0, 4, 4])],                    # wrong type for a rectangle label
        [cvataa.rectangle(7, [1, 2, 3, 4])],                        # unknown label id
        [cvataa.skeleton(1, [kp(0, [1, 1])])],                      # incomplete skeleton
        [cvataa.skeleton(1, [kp(0, [1, 1]), kp(0, [2, 2])])],       # same sublabel twice
        [cvataa.skeleton(1, [kp(0, [1, 1]), kp(5, [2, 2])])],       # unknown sublabel
        [cvataa.rectangle(0, [1, 2, 3, 4], attributes=attribute_vals_from_dict({0: "green"}))],
        [cvataa.rectangle(0, [1, 2, 3, 4], attributes=attribute_vals_from_dict({2: 9}))],
        [cvataa.rectangle(0, [1, 2, 3, 4], attributes=attribute_vals_from_dict({5: "x"}))],
        [cvataa.rectangle(0, [1, 2, 3, 4], attributes=[models.AttributeValRequest(1, "a"),
                                                       models.AttributeValRequest(1, "b")])],
        [cvataa.rectangle(0, [1, 2, 3, 4], id=5)],
        [cvataa.rectangle(0, [1, 2, 3, 4], source="manual")],
        [models.LabeledShapeRequest(label_id=0, frame=3, type="rectangle", points=[1, 2, 3, 4])],
        [cvataa.tag(0)],                                            # tag on a rectangle label
        [cvataa.rectangle(0, [1, 2, 3, 4], elements=[kp(0, [1, 1])])],
        [models.LabeledTrackRequest(frame=0, label_id=0, shapes=[])],
    ]


@pytest.mark.parametrize("conv", [False, True])
def test_same_verdicts_as_cvat_sdk_mapper(conv: bool) -> None:
    labels = _task_labels()
    ours = OutputMapper(SPEC, labels, conv_mask_to_poly=conv)
    theirs = _AnnotationMapper(logging.getLogger("t"), SPEC, _sdk_dataset_labels(labels),
                               allow_unmatched_labels=False, conv_mask_to_poly=conv)
    for case in _cases():
        try:
            tags, shapes = theirs.validate_and_remap([o for o in _fresh(case)], 7)
            expected = None
        except BadFunctionError as exc:
            expected = str(exc)
        if expected is not None:
            with pytest.raises(BadFunctionError) as err:
                ours.map_frame(_fresh(case), 7)
            assert str(err.value) == expected
            continue
        our_shapes, our_tags = ours.map_frame(_fresh(case), 7)
        assert [(s.label_id, s.type.value, s.points, s.frame) for s in our_shapes] == \
               [(s.label_id, s.type.value, list(getattr(s, "points", [])), s.frame) for s in shapes]
        assert [(t.label_id, t.frame) for t in our_tags] == [(t.label_id, t.frame) for t in tags]
        for our, sdk in zip(our_shapes, shapes):
            sdk_attrs = {a.spec_id: a.value for a in getattr(sdk, "attributes", [])}
            assert sdk_attrs.items() <= our.attributes.items()
            assert [(e.label_id, e.outside) for e in our.elements] == \
                   [(e.label_id, bool(getattr(e, "outside", False))) for e in getattr(sdk, "elements", [])]
            assert our.source is Source.AUTO


def _fresh(case: list) -> list:
    """The SDK mapper mutates its inputs, so every use gets a deep copy."""
    import copy

    return copy.deepcopy(case)


def test_setup_errors_and_unmatched() -> None:
    labels = _task_labels()
    spec = [cvataa.label_spec("bus", 0, type="rectangle")]
    with pytest.raises(BadFunctionError, match="label 'bus' is not in dataset"):
        OutputMapper(spec, labels)
    mapper = OutputMapper(spec + [cvataa.label_spec("car", 1, type="rectangle")], labels, allow_unmatched_labels=True)
    shapes, _ = mapper.map_frame([cvataa.rectangle(0, [1, 2, 3, 4]), cvataa.rectangle(1, [1, 2, 3, 4])], 0)
    assert [s.label_id for s in shapes] == [1]
    assert shapes[0].attributes == {11: "red", 12: "", 13: "2"}  # task defaults filled in
    with pytest.raises(BadFunctionError, match="has type 'polygon' in the function"):
        OutputMapper([cvataa.label_spec("car", 0, type="polygon")], labels)
    with pytest.raises(BadFunctionError, match="has values"):
        OutputMapper([cvataa.label_spec("car", 0, type="rectangle", attributes=[
            cvataa.select_attribute_spec("color", 0, ["red"])])], labels)


def test_explicit_mapping_renames_and_drops() -> None:
    labels = _task_labels()
    spec = [cvataa.label_spec("automobile", 0, type="rectangle",
                              attributes=[cvataa.text_attribute_spec("number", 0)]),
            cvataa.skeleton_label_spec("human", 1, [cvataa.keypoint_spec("top", 0), cvataa.keypoint_spec("bottom", 1)]),
            cvataa.label_spec("tree", 2, type="polygon")]
    mapping = LabelMapping({
        "automobile": LabelMatch("car", {"number": "plate"}),
        "human": LabelMatch("person", sublabels={"top": SublabelMatch("head"), "bottom": SublabelMatch("foot")}),
    })
    mapper = OutputMapper(spec, labels, mapping=mapping)
    out = [cvataa.rectangle(0, [0, 0, 2, 2], attributes=attribute_vals_from_dict({0: "XY9"})),
           cvataa.skeleton(1, [cvataa.keypoint(0, [1, 1]), cvataa.keypoint(1, [1, 3])]),
           cvataa.polygon(2, [0, 0, 3, 0, 3, 3])]
    shapes, _ = mapper.map_frame(out, 2)
    assert [(s.label_id, s.attributes.get(12)) for s in shapes] == [(1, "XY9"), (2, None)]
    assert [e.label_id for e in shapes[1].elements] == [21, 22]
    assert LabelMapping.from_cvat(mapping.to_cvat()) == mapping


def test_point_sanity_checks() -> None:
    mapper = OutputMapper(SPEC, _task_labels())
    with pytest.raises(BadFunctionError, match=r"3 coordinates \(needs exactly 4\)"):
        mapper.map_frame([cvataa.rectangle(0, [1, 2, 3])], 0)
    with pytest.raises(BadFunctionError, match="non-finite"):
        mapper.map_frame([cvataa.rectangle(0, [0, 0, float("nan"), 4])], 0)

"""The CVAT writer's per-shape ``%`` templates (shapes that differ only in their coordinates share one) write
exactly the text of the general path, whatever the labels, flags and coordinates; and the exporter's fast path
for a plain run of frames moves objects as the general one does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app.formats.cvat_xml_write as cw
from app.domain.annotations import Annotations, Shape
from app.domain.enums import ShapeType, Source
from app.domain.labels import AttributeSpec, Label
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.dataset import Dataset, DatasetFrame
from app.formats.exporter import _Part
from app.formats.synthetic import sample_dataset

NAMES = ["car", "50% off", 'say "hi"', "a & b <c>", "%s%d", "100%%"]
TYPES = [ShapeType.RECTANGLE, ShapeType.POLYGON, ShapeType.POLYLINE, ShapeType.POINTS]
EXACT = st.integers(-100_000, 100_000).map(lambda v: v / 100)
ANY = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def shapes(draw: st.DrawFn, frames: int, exact: bool) -> Shape:
    kind = draw(st.sampled_from(TYPES))
    coordinate = EXACT if exact else draw(st.sampled_from([EXACT, ANY]))  # one inexact value: no template
    count = 4 if kind is ShapeType.RECTANGLE else 2 * draw(st.integers(1 if kind is ShapeType.POINTS else 3, 6))
    points = draw(st.lists(coordinate, min_size=count, max_size=count))
    if kind is ShapeType.RECTANGLE:
        points = [min(points[0], points[2]), min(points[1], points[3]), max(points[0], points[2]),
                  max(points[1], points[3])]
    label = draw(st.sampled_from([1, 1, 2, 3, 4, 5, 6]))
    return Shape(kind, draw(st.integers(0, frames - 1)), label, points,
                 rotation=draw(st.sampled_from([0.0, 0.0, 15.5])) if kind is ShapeType.RECTANGLE else 0.0,
                 occluded=draw(st.booleans()), z_order=draw(st.integers(-1, 1)), group=draw(st.integers(0, 2)),
                 source=draw(st.sampled_from([Source.MANUAL, Source.AUTO])),
                 attributes=draw(st.sampled_from([{}, {}, {1: "x"}])))


def _dataset(items: list[Shape], frames: int) -> Dataset:
    labels = [Label(name, id=k + 1) for k, name in enumerate(NAMES)]
    labels[0].attributes = [AttributeSpec("kind", id=1)]
    return Dataset(labels=labels, frames=[DatasetFrame(index=i, name=f"{i}.jpg", width=100, height=100)
                                          for i in range(frames)], annotations=Annotations(shapes=items))


def _both(dataset: Dataset, folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    write_cvat_xml(dataset, folder / "fast.xml")
    with monkeypatch.context() as patch:
        patch.setattr(cw, "_MAX_TEMPLATES", 0)  # no template is ever made: every shape goes the general way
        write_cvat_xml(dataset, folder / "general.xml")
    return (folder / "fast.xml").read_bytes(), (folder / "general.xml").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_templates_write_the_general_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: st.DataObject) -> None:
    frames = data.draw(st.integers(1, 4))
    items = data.draw(st.lists(shapes(frames, data.draw(st.booleans())), max_size=40))
    fast, general = _both(_dataset(items, frames), tmp_path, monkeypatch)
    assert fast == general


def test_templates_on_every_shape_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, general = _both(sample_dataset(), tmp_path, monkeypatch)
    assert fast == general and b"<skeleton" in fast and b"<mask" in fast


def test_plain_run_of_frames_moves_objects_like_the_general_path() -> None:
    def objects() -> list[Shape]:
        return [Shape(ShapeType.RECTANGLE, f, 1, [0, 0, 1, 1], elements=[Shape(ShapeType.POINTS, f, 2, [0, 0])])
                for f in (3, 4, 5, 6, 9)]

    part = _Part(offset=10, numbers=[4, 5, 6], jobs=[1], owner=None)
    mapping = part.mapping()
    assert mapping == {4: 10, 5: 11, 6: 12}
    fast = part.take(objects(), 1, mapping)
    general = part.take(objects(), 1, {**mapping, 99: 99})  # not a plain run: the general path
    assert [(s.frame, [e.frame for e in s.elements]) for s in fast] == [(10, [10]), (11, [11]), (12, [12])]
    assert [(s.frame, [e.frame for e in s.elements]) for s in general] == [(10, [10]), (11, [11]), (12, [12])]
    same = _Part(offset=0, numbers=[3, 4], jobs=[1], owner=None)
    assert [s.frame for s in same.take(objects(), 1, same.mapping())] == [0, 1]
    gap = _Part(offset=0, numbers=[3, 5], jobs=[1], owner=None)  # frames 3 and 5 only: not a run
    assert [s.frame for s in gap.take(objects(), 1, gap.mapping())] == [0, 1]

"""output_fields.fields gives the same answers as attribute access, for cvat-sdk models and others."""

from __future__ import annotations

from types import SimpleNamespace

import cvat_sdk.auto_annotation as cvataa

from app.models.output_fields import fields


def test_sdk_model_fields_match_attribute_access() -> None:
    shape = cvataa.rectangle(3, [1, 2, 3, 4], rotation=10.0)
    view = fields(shape)
    for name in ("label_id", "frame", "points", "rotation", "type"):
        assert name in view and view[name] == getattr(shape, name)
    for name in ("id", "source", "occluded", "group"):
        assert (name in view) == hasattr(shape, name)
        assert view.get(name, "unset") == getattr(shape, name, "unset")


def test_other_objects_are_read_through_getattr() -> None:
    obj = SimpleNamespace(frame=0, label_id=1)
    view = fields(obj)
    assert "frame" in view and "id" not in view and view["label_id"] == 1 and view.get("score", 1.0) == 1.0

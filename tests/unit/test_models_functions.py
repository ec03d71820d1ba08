"""Loading CVAT auto-annotation functions and cvat-cli style parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.functions import (
    FunctionLoadError,
    load_function_file,
    load_function_module,
    parse_param,
    parse_params,
    protocol_of,
    require_detection,
)
from tests.unit.models_fixtures import FUNCTIONS


def test_parse_params_like_cvat_cli() -> None:
    assert parse_param("model_id=str:facebook/sam2.1-hiera-tiny") == ("model_id", "facebook/sam2.1-hiera-tiny")
    assert parse_param("n=int:3") == ("n", 3)
    assert parse_param("t=float:0.5") == ("t", 0.5)
    assert parse_param("x=str:a=b:c") == ("x", "a=b:c")
    for text, value in [("on", True), ("No", False), ("1", True), ("false", False)]:
        assert parse_param(f"b=bool:{text}") == ("b", value)
    for bad in ["noequals", "x=int", "x=complex:1", "x=int:abc", "x=bool:maybe", "=int:1"]:
        with pytest.raises(ValueError):
            parse_param(bad)
    assert parse_params(["a=int:1", "b=str:x", "a=int:2"]) == {"a": 2, "b": "x"}  # the last one wins, as in cvat-cli


def test_load_file_module_and_factory() -> None:
    pose = load_function_file(FUNCTIONS / "pose_skeleton.py")
    assert protocol_of(pose) == "detection" and pose.spec.labels[0].name == "person"
    ocr = load_function_file(FUNCTIONS / "ocr_text.py", {"prefix": "XY", "digits": 2})
    assert ocr.prefix == "XY" and ocr.digits == 2
    with pytest.raises(FunctionLoadError, match="takes no parameters"):
        load_function_file(FUNCTIONS / "pose_skeleton.py", {"x": 1})
    with pytest.raises(FunctionLoadError, match="create\\(\\) rejected"):
        load_function_file(FUNCTIONS / "ocr_text.py", {"nope": 1})
    module = load_function_module("tests.data.functions.pose_skeleton")
    assert require_detection(module) is module


def test_load_errors_name_the_source(tmp_path: Path) -> None:
    with pytest.raises(FunctionLoadError, match="no such function file"):
        load_function_file(tmp_path / "missing.py")
    (tmp_path / "nospec.py").write_text("def detect(c, i):\n    return []\n")
    with pytest.raises(FunctionLoadError, match="no 'spec' attribute"):
        load_function_file(tmp_path / "nospec.py")
    (tmp_path / "boom.py").write_text("raise RuntimeError('kaput')\n")
    with pytest.raises(FunctionLoadError, match="boom.py.*kaput"):
        load_function_file(tmp_path / "boom.py")
    (tmp_path / "tracker.py").write_text(
        "import cvat_sdk.auto_annotation as cvataa\n"
        "spec = cvataa.TrackingFunctionSpec(supported_shape_types=['rectangle'])\n")
    tracker = load_function_file(tmp_path / "tracker.py")
    assert protocol_of(tracker) == "tracking"
    with pytest.raises(FunctionLoadError, match="tracking function"):
        require_detection(tracker)
    with pytest.raises(FunctionLoadError, match="import failed"):
        load_function_module("no_such_module_xyz")

"""CVAT interaction functions run unchanged as interactors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.models.functions import load_function_file
from app.models.interaction_functions import FunctionInteractor, InteractionFunctionError, load_interactor
from app.models.interactor import Prompts
from app.models.registry import Registration

FUNC = Path(__file__).resolve().parents[1] / "data" / "functions" / "threshold_interactor.py"


def _image() -> np.ndarray:
    img = np.zeros((60, 80, 3), np.uint8)
    img[10:40, 20:50] = 200
    img[45:55, 60:75] = 200
    return img


@pytest.fixture
def interactor() -> FunctionInteractor:
    return FunctionInteractor(load_function_file(FUNC), "threshold")


def test_positive_point_gives_the_region_as_mask_and_polygon(interactor: FunctionInteractor) -> None:
    result = interactor.predict(("a", 0), _image(), Prompts(positive=((30.0, 20.0),)))
    assert (result.left, result.top, result.mask.shape) == (20, 10, (30, 30))
    assert result.mask.all() and result.score == pytest.approx(0.75)
    poly = np.array(result.to_polygon(max_points=8)).reshape(-1, 2)
    assert poly[:, 0].min() == 20 and poly[:, 0].max() == 49 and len(poly) == 4
    points = result.to_mask_points()
    assert points[-4:] == [20.0, 10.0, 49.0, 39.0]


def test_box_and_negative_points_reach_the_function(interactor: FunctionInteractor) -> None:
    box = interactor.predict(("a", 0), _image(), Prompts(positive=((30.0, 20.0),), box=(25, 15, 35, 30)))
    assert box.mask.shape == (16, 11)
    neg = interactor.predict(("a", 0), _image(), Prompts(positive=((30.0, 20.0),), negative=((45.0, 35.0),)))
    assert neg.empty


def test_preprocessing_is_cached_per_image(interactor: FunctionInteractor) -> None:
    calls = []
    original = interactor.function.preprocess_image
    interactor.function.preprocess_image = lambda ctx, img: calls.append(1) or original(ctx, img)
    try:
        for _ in range(3):
            interactor.predict(("b", 1), _image(), Prompts(positive=((30.0, 20.0),)))
    finally:
        interactor.function.preprocess_image = original
    assert len(calls) == 1 and interactor.is_prepared(("b", 1))


def test_spec_minimums_are_enforced() -> None:
    import cvat_sdk.auto_annotation as cvataa

    fn = SimpleNamespace(spec=cvataa.InteractionFunctionSpec(min_pos_points=2), detect=lambda *a: [])
    inter = FunctionInteractor(fn, "strict")
    assert "at least 2 positive" in inter.requirement(Prompts(positive=((1.0, 1.0),)))
    assert "negative" in inter.requirement(Prompts(positive=((1.0, 1.0),) * 2, negative=((2.0, 2.0),)))
    assert "box" in inter.requirement(Prompts(positive=((1.0, 1.0),) * 2, box=(0, 0, 1, 1)))
    with pytest.raises(InteractionFunctionError, match="at least 2"):
        inter.predict(("c", 0), _image(), Prompts(positive=((1.0, 1.0),)))


def test_polygon_results_and_bad_results() -> None:
    import cvat_sdk.auto_annotation as cvataa

    spec = cvataa.InteractionFunctionSpec(min_pos_points=1)
    square = [10, 10, 30, 10, 30, 30, 10, 30]
    fn = SimpleNamespace(spec=spec, detect=lambda ctx, img, p: [
        cvataa.InteractionResultShape(type="polygon", points=[0, 0, 2, 0, 2, 2]),
        cvataa.InteractionResultShape(type="polygon", points=square)])
    result = FunctionInteractor(fn, "poly").predict(("d", 0), _image(), Prompts(positive=((5.0, 5.0),)))
    assert result.to_polygon() == [float(v) for v in square]
    assert result.to_mask_points()[-4:] == [10.0, 10.0, 30.0, 30.0]
    bad = SimpleNamespace(spec=spec, detect=lambda ctx, img, p: [
        cvataa.InteractionResultShape(type="rectangle", points=[0, 0, 1, 1])])
    with pytest.raises(InteractionFunctionError, match="'rectangle'"):
        FunctionInteractor(bad, "rect").predict(("d", 0), _image(), Prompts(positive=((5.0, 5.0),)))


def test_non_interaction_functions_are_refused(tmp_path: Path) -> None:
    import cvat_sdk.auto_annotation as cvataa

    det = SimpleNamespace(spec=cvataa.DetectionFunctionSpec(labels=[]), detect=lambda *a: [])
    with pytest.raises(InteractionFunctionError, match="InteractionFunctionSpec"):
        FunctionInteractor(det, "det")
    reg = Registration(name="thr", kind="function-file", target=str(FUNC), description="threshold demo")
    loaded = load_interactor(reg)
    assert loaded.name == "thr" and loaded.description == "threshold demo"
    missing = Registration(name="gone", kind="function-file", target=str(tmp_path / "none.py"))
    with pytest.raises(InteractionFunctionError, match="gone"):
        load_interactor(missing)


def test_lazy_interactor_loads_on_first_use_and_then_checks_the_spec() -> None:
    from app.models.interaction_functions import LazyFunctionInteractor

    lazy = LazyFunctionInteractor(Registration(name="thr", kind="function-file", target=str(FUNC)))
    assert lazy.requirement(Prompts(negative=((1.0, 1.0),))) is None  # unknown until loaded
    assert not lazy.is_prepared(("k", 0))
    lazy.prepare(("k", 0), _image())
    assert lazy.is_prepared(("k", 0))
    assert "positive" in lazy.requirement(Prompts(negative=((1.0, 1.0),)))
    result = lazy.predict(("k", 0), None, Prompts(positive=((30.0, 20.0),)))
    assert result.mask.shape == (30, 30)

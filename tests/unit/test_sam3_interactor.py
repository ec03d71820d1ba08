"""SAM 3 clicks/box interactor: Sam3TrackerModel from a checkpoint in the released video layout
(detector_model./tracker_model./tracker_neck.), reduced random-weight config; masks at frame size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from app.models.interactor import Prompts
from app.models.manager import ModelManager
from app.models.model_files import BrokenModelError
from app.models.sam3.checkpoint import import_checkpoint, load_model, load_tracker
from app.models.sam3.interactor import Sam3Interactor
from tests.support.sam3_tiny import save_tiny, save_tiny_full, tiny_model, tiny_tracker


@pytest.fixture(scope="module")
def full_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_full(tmp_path_factory.mktemp("sam3full") / "model.safetensors")


def test_video_layout_loads_both_models_with_the_saved_weights(full_file: Path, tmp_path: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    import_checkpoint(full_file, accept_licence=True, manager=manager)
    detector, tracker = tiny_model(), tiny_tracker(tiny_model())
    for loaded, original in ((load_model(full_file, manager), detector), (load_tracker(full_file, manager), tracker)):
        ours = loaded.state_dict()
        assert set(ours) == set(original.state_dict())
        assert all(torch.equal(ours[k], v) for k, v in original.state_dict().items())


def test_clicks_and_box_give_a_frame_sized_mask(full_file: Path, tmp_path: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    import_checkpoint(full_file, accept_licence=True, manager=manager)
    interactor = Sam3Interactor(manager=manager)
    assert interactor.check() is None
    assert interactor.requirement(Prompts(negative=((1, 1),))) == "click on the object (or drag a box)"
    image = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    image.setflags(write=False)  # decoded frames may be read-only
    interactor.prepare(("t", 0), image)
    assert interactor.is_prepared(("t", 0))
    one = interactor.predict(("t", 0), None, Prompts(positive=((10, 20),)))
    both = interactor.predict(("t", 0), None, Prompts(positive=((10, 20),), negative=((40, 30),), box=(60, 45, 5, 5)))
    for result in (one, both):
        assert result.mask.shape == (50, 70) and result.mask.dtype == bool and (result.width, result.height) == (70, 50)
    assert not np.array_equal(one.mask, both.mask) or one.score != both.score  # the prompts reach the decoder
    for frame in (1, 2):
        interactor.prepare(("t", frame), image)
    assert not interactor.is_prepared(("t", 0))  # bounded: the last two frames only
    with pytest.raises(ValueError, match="click on the object"):
        interactor.predict(("t", 1), image, Prompts())


def test_interactor_says_what_is_missing(tmp_path: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    assert "no SAM 3 checkpoint" in Sam3Interactor(manager=manager).check()
    image_only = save_tiny(tmp_path / "image_only.safetensors")
    import_checkpoint(image_only, accept_licence=True, manager=manager)
    assert "no tracker weights" in Sam3Interactor(manager=manager).check()
    with pytest.raises(BrokenModelError, match="no tracker weights"):
        load_tracker(manager.root / "sam3.safetensors", manager)

"""SAM 2 interactor with random weights from sam2's bundled config (image_size 256 keeps it fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.models.interactor import Prompts
from app.models.sam2_image import Sam2Error, Sam2Interactor, config_for, save_random_checkpoint

CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.set_num_threads(1)
    return save_random_checkpoint(CONFIG, tmp_path_factory.mktemp("sam2") / "sam2.1_hiera_tiny.pt", image_size=256)


@pytest.fixture(scope="module")
def interactor(checkpoint: Path) -> Sam2Interactor:
    sam = Sam2Interactor(checkpoint, image_size=256, device="cpu", threads=1, cache_mib=8)
    sam.load()
    return sam


def _image(seed: int = 0, h: int = 120, w: int = 160) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 40, np.uint8)
    img[30:90, 50:120] = 200
    return np.clip(img + rng.integers(0, 20, img.shape), 0, 255).astype(np.uint8)


def _reference(sam: Sam2Interactor, image: np.ndarray, prompts: Prompts) -> np.ndarray:
    """Meta's own predictor on the same model: the masks must agree with the fast path."""
    import torch

    pred = sam._predictor
    with torch.inference_mode():
        pred.set_image(image)
        pts = list(prompts.positive) + list(prompts.negative)
        lbl = [1] * len(prompts.positive) + [0] * len(prompts.negative)
        masks, _, _ = pred.predict(point_coords=np.array(pts, np.float32) if pts else None,
                                   point_labels=np.array(lbl) if pts else None,
                                   box=np.array(prompts.box, np.float32) if prompts.box else None,
                                   multimask_output=False)
        pred.reset_predictor()
    return masks[0] > 0


def _full(result) -> np.ndarray:
    full = np.zeros((result.height, result.width), bool)
    h, w = result.mask.shape
    full[result.top:result.top + h, result.left:result.left + w] = result.mask
    return full


@pytest.mark.parametrize("prompts", [
    Prompts(positive=((80.0, 60.0),)),
    Prompts(positive=((80.0, 60.0), (100.0, 40.0)), negative=((20.0, 20.0),)),
    Prompts(box=(45.0, 25.0, 125.0, 95.0)),
])
def test_fast_path_matches_meta_predictor(interactor: Sam2Interactor, prompts: Prompts) -> None:
    image = _image()
    result = interactor.predict(("t", 0), image, prompts)
    ours, ref = _full(result), _reference(interactor, image, prompts)
    assert ours.shape == ref.shape == image.shape[:2]
    disagree = np.count_nonzero(ours != ref)
    # bilinear weights are fixed-point in OpenCV: only boundary pixels may flip
    assert disagree <= max(5, 0.01 * ref.size), (disagree, ref.sum())


def test_embedding_is_cached_and_lru_bounded(interactor: Sam2Interactor) -> None:
    interactor.cache.clear()
    emb = interactor.prepare(("t", 1), _image(1))
    assert emb.arrays["keys0"].shape == (1, 256, 256) and emb.arrays["s0"].shape == (64, 64, 32)
    assert interactor.is_prepared(("t", 1))
    assert interactor.prepare(("t", 1), _image(1)) is emb
    for frame in range(2, 12):  # 8 MiB cache, ~1.4 MiB per 256-px embedding
        interactor.prepare(("t", frame), _image(frame))
    assert not interactor.is_prepared(("t", 1))
    assert interactor.cache.used_mib <= 8


def test_predict_without_prompts_or_image_is_refused(interactor: Sam2Interactor) -> None:
    with pytest.raises(Sam2Error, match="positive point"):
        interactor.predict(("t", 0), _image(), Prompts(negative=((1.0, 1.0),)))
    with pytest.raises(Sam2Error, match="no embedding"):
        interactor.predict(("never", 0), None, Prompts(positive=((1.0, 1.0),)))


def test_decoder_runs_in_onnxruntime(interactor: Sam2Interactor) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX decoder needs onnxruntime (requirements.txt)")
    assert interactor.decoder_backend == "onnxruntime"


def test_torch_fallback_decoder_agrees(checkpoint: Path) -> None:
    sam = Sam2Interactor(checkpoint, image_size=256, device="cpu", threads=1, prefer_onnx=False)
    assert sam.decoder_backend == "torch"
    image = _image(3)
    prompts = Prompts(positive=((80.0, 60.0),))
    ours = _full(sam.predict(("x", 0), image, prompts))
    assert np.count_nonzero(ours != _reference(sam, image, prompts)) <= max(5, 0.01 * ours.size)


def test_unknown_checkpoint_name_needs_a_config(tmp_path: Path) -> None:
    with pytest.raises(Sam2Error, match="which SAM 2 config"):
        config_for(tmp_path / "weights.pt", None)
    assert config_for(tmp_path / "sam2.1_hiera_large.pt", None).endswith("sam2.1_hiera_l.yaml")


def test_broken_checkpoint_gives_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "sam2.1_hiera_tiny.pt"
    bad.write_bytes(b"not a checkpoint")
    from app.models.manager import ModelError

    with pytest.raises((Sam2Error, ModelError), match="sam2.1_hiera_tiny.pt"):
        Sam2Interactor(bad, image_size=256, device="cpu").load()


def test_split_decoder_equals_sam2_mask_decoder(interactor: Sam2Interactor) -> None:
    """The per-image/per-click split gives the same logits as SAM 2's own decoder, box and points."""
    import torch

    from app.models.embedding_cache import Embedding
    from app.models.sam2_decoder import TorchDecoder, _plain_module, prompt_arrays

    model = interactor._predictor.model
    split = TorchDecoder(model)
    plain = _plain_module(model)
    gen = torch.Generator().manual_seed(0)
    embed = torch.randn(1, 256, 16, 16, generator=gen)
    s0, s1 = torch.randn(1, 32, 64, 64, generator=gen), torch.randn(1, 64, 32, 32, generator=gen)
    emb = Embedding(split.precompute(embed, [s0, s1]), (120, 160))
    coords, labels = prompt_arrays([(30, 40), (90, 20)], [(5, 5)], (10, 10, 100, 90), (120, 160), 256)
    ours, score = split(emb, coords, labels)
    with torch.inference_mode():
        ref, ref_score = plain(embed, s0, s1, torch.from_numpy(coords), torch.from_numpy(labels))
    assert np.allclose(ours, ref[0, 0].numpy(), atol=1e-3)
    assert score == pytest.approx(float(ref_score[0, 0]), abs=1e-4)


def test_check_reports_a_missing_checkpoint_without_loading(checkpoint: Path) -> None:
    assert Sam2Interactor(checkpoint).check() is None
    problem = Sam2Interactor("sam2.1-large").check()  # not installed in the test home
    assert problem and "sam2.1_hiera_large.pt" in problem


def test_concurrent_prepare_of_one_image_embeds_once(interactor: Sam2Interactor) -> None:
    import threading

    interactor.cache.clear()
    calls = []
    original = interactor._embed
    interactor._embed = lambda key, image: calls.append(key) or original(key, image)
    try:
        results = []
        threads = [threading.Thread(target=lambda: results.append(interactor.prepare(("c", 0), _image(5))))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        del interactor._embed
    assert calls == [("c", 0)] and len(results) == 3 and all(r is results[0] for r in results)

"""Display adjustments: equalization on luminance, CLAHE, brightness/contrast/gamma; input untouched."""

from __future__ import annotations

import numpy as np
import pytest

from app.media.adjust import Adjustment, apply, tone_table


def low_contrast(h: int = 40, w: int = 60) -> np.ndarray:
    rng = np.random.default_rng(0)
    grey = rng.integers(100, 140, (h, w)).astype(np.uint8)
    return np.stack([grey, grey // 2 + 20, grey], axis=-1)


def test_identity_returns_the_input() -> None:
    img = low_contrast()
    assert apply(img, Adjustment()) is img


def test_equalize_stretches_luminance_and_keeps_input() -> None:
    img = low_contrast()
    copy = img.copy()
    out = apply(img, Adjustment(equalize=True))
    assert np.array_equal(img, copy)
    luma = lambda a: (0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2])  # noqa: E731
    assert np.ptp(luma(out)) > 2 * np.ptp(luma(img))
    clahe = apply(img, Adjustment(equalize=True, clahe=True))
    assert clahe.shape == img.shape and not np.array_equal(clahe, img)


def test_grey_image_equalized() -> None:
    grey = low_contrast()[..., 0]
    out = apply(grey, Adjustment(equalize=True))
    assert out.shape == grey.shape and out.max() == 255


def test_tone_table_brightness_contrast_gamma() -> None:
    assert tone_table(10, 1, 1)[100] == 110
    assert tone_table(0, 2, 1)[200] == 255 and tone_table(0, 2, 1)[50] == 0
    assert tone_table(0, 1, 2)[64] == round(255 * (64 / 255) ** 0.5)
    img = low_contrast()
    assert apply(img, Adjustment(brightness=20))[0, 0, 0] == min(255, int(img[0, 0, 0]) + 20)


def test_invalid_values_rejected() -> None:
    with pytest.raises(ValueError, match="gamma"):
        apply(low_contrast(), Adjustment(gamma=0))

"""Display adjustments of a frame (Qt-free): histogram equalization on luminance (global or CLAHE),
brightness, contrast and gamma. Display only: stored media and model inputs are never changed unless
a tool asks the canvas for the adjusted image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Adjustment:
    equalize: bool = False
    clahe: bool = False  # with ``equalize``: contrast-limited adaptive equalization instead of global
    clahe_clip: float = 2.0
    clahe_grid: int = 8
    brightness: float = 0.0  # added, in [-255, 255]
    contrast: float = 1.0  # multiplied around mid-grey, > 0
    gamma: float = 1.0  # output = input ** (1 / gamma), > 0

    def is_identity(self) -> bool:
        return not self.equalize and self.brightness == 0 and self.contrast == 1 and self.gamma == 1

    def validate(self) -> None:
        if self.contrast <= 0 or self.gamma <= 0:
            raise ValueError(f"contrast and gamma must be > 0 (got contrast={self.contrast}, gamma={self.gamma})")
        if self.clahe_clip <= 0 or self.clahe_grid < 1:
            raise ValueError("CLAHE needs a clip limit > 0 and a grid of at least 1")


def equalize(image: np.ndarray, *, clahe: bool = False, clip: float = 2.0, grid: int = 8) -> np.ndarray:
    """Equalize the luminance (Y of YCrCb) of an RGB image, or a grey image directly."""
    op = cv2.createCLAHE(clipLimit=clip, tileGridSize=(grid, grid)).apply if clahe else cv2.equalizeHist
    if image.ndim == 2:
        return op(image)
    ycrcb = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 0] = op(np.ascontiguousarray(ycrcb[..., 0]))
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)


def tone_table(brightness: float, contrast: float, gamma: float) -> np.ndarray:
    """The 256-entry lookup table of contrast (around 127.5), then brightness, then gamma."""
    x = np.arange(256, dtype=np.float64)
    y = np.clip((x - 127.5) * contrast + 127.5 + brightness, 0, 255)
    y = 255.0 * (y / 255.0) ** (1.0 / gamma)
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


def apply(image: np.ndarray, adjustment: Adjustment) -> np.ndarray:
    """A new adjusted image (the input is never modified); the input itself when nothing is set."""
    adjustment.validate()
    if adjustment.is_identity():
        return image
    out = image
    if adjustment.equalize:
        out = equalize(out, clahe=adjustment.clahe, clip=adjustment.clahe_clip, grid=adjustment.clahe_grid)
    if adjustment.brightness != 0 or adjustment.contrast != 1 or adjustment.gamma != 1:
        out = cv2.LUT(out, tone_table(adjustment.brightness, adjustment.contrast, adjustment.gamma))
    return out

"""Decoding still images to 8-bit RGB arrays: EXIF orientation honoured, 16-bit and palette images handled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.media.errors import MediaError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
Image.MAX_IMAGE_PIXELS = 400_000_000  # 100-megapixel images are a supported use case

# ImportError: once ultralytics is imported it patches Image.open, and a file PIL cannot identify
# then fails while it tries an optional HEIF plugin (ModuleNotFoundError 'pi_heif').
_DECODE_ERRORS = (OSError, UnidentifiedImageError, SyntaxError, ValueError, ImportError)
_ORIENTATION_TAG = 0x0112
_SWAPS_AXES = {5, 6, 7, 8}


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def probe_image(path: Path) -> tuple[int, int]:
    """(width, height) as displayed, i.e. after EXIF rotation. Reads the header only."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS as exc:
        raise MediaError(f"{path}: not a readable image ({exc or type(exc).__name__})", [path]) from exc
    if orientation in _SWAPS_AXES:
        width, height = height, width
    return width, height


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16 or array.dtype.kind in "iu":
        hi = float(array.max()) if array.size else 0.0
        # Scale by the actual range when the data uses only the low bits (12-bit sensors in 16-bit TIFF).
        scale = 255.0 / (65535.0 if hi > 4095 else max(hi, 1.0))
        return np.clip(array.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    lo, hi = float(np.nanmin(array)), float(np.nanmax(array))
    span = hi - lo if hi > lo else 1.0
    return np.clip((array.astype(np.float32) - lo) * (255.0 / span), 0, 255).astype(np.uint8)


def load_image(path: Path) -> np.ndarray:
    """The image as an (H, W, 3) uint8 RGB array."""
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                array = _to_uint8(np.asarray(image))
            elif image.mode == "RGB":
                array = np.asarray(image)
            else:
                array = np.asarray(image.convert("RGB"))
    except _DECODE_ERRORS as exc:
        raise MediaError(f"{path}: not a readable image ({exc or type(exc).__name__})", [path]) from exc
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.shape[2] == 4:
        array = array[:, :, :3]
    elif array.shape[2] != 3:
        array = _to_uint8(array[:, :, :3])
    return np.ascontiguousarray(array)

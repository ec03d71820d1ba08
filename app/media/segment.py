"""Lossless video segments: a run of frames encoded with FFV1 in Matroska through OpenCV (a field package's
video job, docs/packages.md). FFV1 is lossless and intra-only: every frame is a keyframe, so a seek lands on
the exact frame (:class:`app.media.video.VideoReader` reads it frame-accurately) and the pixels are the
source's decoded pixels, bit for bit.

Writing is checked, not assumed: :func:`write_segment` returns a digest of every frame written and
:func:`verify_segment` decodes the file and compares; a build of OpenCV without the encoder (or one that
is not lossless) is told by :func:`can_write` / a failed verification, and the caller falls back.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

SUFFIX = ".mkv"
_FOURCC = cv2.VideoWriter_fourcc(*"FFV1")


def _digest(rgb: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(rgb).tobytes(), usedforsecurity=False).hexdigest()


@lru_cache(maxsize=1)
def can_write() -> bool:
    """Whether this OpenCV writes FFV1 losslessly (tried once on a few random frames)."""
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (16, 24, 3), dtype=np.uint8) for _ in range(3)]
    with tempfile.TemporaryDirectory(prefix="fm-ffv1-") as folder:
        path = Path(folder) / f"probe{SUFFIX}"
        try:
            digests = write_segment(frames, path)
        except OSError:
            return False
        return verify_segment(path, digests)


def write_segment(frames: Iterable[np.ndarray], path: Path, fps: float = 25.0) -> list[str]:
    """Encode RGB frames (all of one size) into ``path``; returns each frame's digest, for
    :func:`verify_segment`. Raises ``OSError`` when the encoder is not available or a frame's size differs."""
    writer = None
    digests: list[str] = []
    try:
        for rgb in frames:
            rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
            if writer is None:
                size = (rgb.shape[1], rgb.shape[0])
                writer = cv2.VideoWriter(str(path), _FOURCC, fps, size)
                if not writer.isOpened():
                    raise OSError("this OpenCV cannot write FFV1 video")
            elif (rgb.shape[1], rgb.shape[0]) != size:
                raise OSError(f"frame {len(digests)} is {rgb.shape[1]}x{rgb.shape[0]}, not {size[0]}x{size[1]}")
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            digests.append(_digest(rgb))
    finally:
        if writer is not None:
            writer.release()
    if not digests:
        raise OSError("no frames to write")
    return digests


def verify_segment(path: Path, digests: list[str]) -> bool:
    """Decode ``path`` and check it holds exactly the frames of ``digests``, in order."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            return False
        for expected in digests:
            ok, bgr = capture.read()
            if not ok or _digest(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)) != expected:
                return False
        return not capture.grab()  # and nothing more
    finally:
        capture.release()

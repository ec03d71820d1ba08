"""Frame-accurate random access to video files through OpenCV.

Sequential reads are the fast path. A random seek sets the position and, because some containers
land on the previous keyframe, the reader checks the position it reached and decodes forward to
the exact frame when needed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from app.media.errors import MediaError

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}


def is_video_file(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _open(path: Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f"{path}: not a readable video", [path])
    return capture


def probe_video(path: Path, *, count: bool = True) -> tuple[int, int, int]:
    """(frame_count, width, height). With ``count`` the frames are decoded and counted, because the
    container's declared count is often wrong; a mismatch is reported as an error only if nothing decodes."""
    capture = _open(path)
    try:
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if not count:
            return declared, width, height
        n = 0
        while capture.grab():
            n += 1
    finally:
        capture.release()
    if n == 0:
        raise MediaError(f"{path}: the video has no decodable frames", [path])
    return n, width, height


class VideoReader:
    """Thread-safe reader returning RGB frames by index."""

    def __init__(self, path: Path, frame_count: int | None = None) -> None:
        self.path = Path(path)
        self._capture = _open(self.path)
        self._next = 0  # index of the frame the next read() returns
        self._lock = threading.Lock()
        self.frame_count = frame_count if frame_count is not None else int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))

    def close(self) -> None:
        with self._lock:
            self._capture.release()

    def read(self, index: int) -> np.ndarray:
        if not 0 <= index < self.frame_count:
            raise MediaError(f"{self.path}: frame {index} is outside 0..{self.frame_count - 1}", [self.path])
        with self._lock:
            if index != self._next:
                if index < self._next or index - self._next > 30:
                    self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
                    reached = int(self._capture.get(cv2.CAP_PROP_POS_FRAMES))
                    if reached > index or reached < 0:
                        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        reached = 0
                    self._next = reached
                while self._next < index:
                    if not self._capture.grab():
                        break
                    self._next += 1
            ok, frame = self._capture.read()
            if not ok or frame is None:
                self._next = 1 << 62  # unknown position: the next read seeks
                raise MediaError(f"{self.path}: frame {index} cannot be decoded", [self.path])
            self._next = index + 1
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

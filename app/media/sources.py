"""Frame sources: one interface over a task's images or video, used by the canvas, models and trackers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.media.images import load_image
from app.media.video import VideoReader

if TYPE_CHECKING:
    from app.storage.store import Project


class FrameSource(Protocol):
    """Decodes frames by task frame index into (H, W, 3) uint8 RGB arrays. Thread-safe."""

    def __len__(self) -> int: ...

    def read(self, index: int) -> np.ndarray: ...

    def name(self, index: int) -> str: ...

    def close(self) -> None: ...


class ImageListSource:
    def __init__(self, paths: Sequence[Path], names: Sequence[str] | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.names = list(names) if names is not None else [p.name for p in self.paths]

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, index: int) -> np.ndarray:
        return load_image(self.paths[index])

    def name(self, index: int) -> str:
        return self.names[index]

    def close(self) -> None:
        pass


class VideoSource:
    def __init__(self, path: Path, frame_count: int, names: Sequence[str] | None = None) -> None:
        self.reader = VideoReader(path, frame_count)
        self.names = list(names) if names is not None else [f"frame_{i:06d}" for i in range(frame_count)]

    def __len__(self) -> int:
        return self.reader.frame_count

    def read(self, index: int) -> np.ndarray:
        return self.reader.read(index)

    def name(self, index: int) -> str:
        return self.names[index]

    def close(self) -> None:
        self.reader.close()


def open_task_source(project: Project, task_id: int) -> FrameSource:
    """The frame source of a task, with media paths resolved against the project file."""
    task = project.task(task_id)
    frames = project.frames(task_id)
    names = [f.name for f in frames]
    if task.media_type == "video":
        return VideoSource(project.resolve_media(task.video_path), len(frames), names)
    return ImageListSource([project.resolve_media(f.path or f.name) for f in frames], names)

"""Frame sources: one interface over a task's images or video, used by the canvas, models and trackers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.media.errors import MediaError
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


def missing_frame_message(name: str, path: Path, media_setting: str) -> str:
    """One message for a frame whose file is not there: the frame, the path looked at, the setting behind it."""
    return f"Frame {name!r} not found: {path} does not exist ({media_setting})."


class ImageListSource:
    def __init__(self, paths: Sequence[Path], names: Sequence[str] | None = None, *, media_setting: str = "") -> None:
        """``media_setting`` says which setting decided the paths (``Project.media_setting``): a missing file is
        then reported naming the path and that setting."""
        self.paths = [Path(p) for p in paths]
        self.names = list(names) if names is not None else [p.name for p in self.paths]
        self.media_setting = media_setting

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, index: int) -> np.ndarray:
        path = self.paths[index]
        if self.media_setting and not path.exists():
            raise MediaError(missing_frame_message(self.names[index], path, self.media_setting), [path])
        return load_image(path)

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
    """The frame source of a task, with media paths resolved against the project's media root (the project file's
    folder, or a team project's root as this workstation maps it). A missing file is reported naming its path
    and the setting that decided it."""
    task = project.task(task_id)
    frames = project.frames(task_id)
    names = [f.name for f in frames]
    root = project.media_root()
    setting = project.media_setting()
    if task.media_type == "video":
        video = project.resolve_media(task.video_path, root)
        if not video.exists():
            raise MediaError(f"The video of task {task.name!r} not found: {video} does not exist ({setting}).",
                             [video])
        return VideoSource(video, len(frames), names)
    return ImageListSource([project.resolve_media(f.path or f.name, root) for f in frames], names,
                           media_setting=setting)

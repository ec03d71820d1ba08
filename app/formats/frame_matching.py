"""Finding a dataset's frames: image files beside the dataset, and task frames of an existing task."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from app.domain.project import FrameInfo
from app.formats.dataset import Dataset, DatasetFrame
from app.media.images import IMAGE_SUFFIXES


def dataset_root(path: Path) -> Path:
    """The folder that a dataset's relative image names are looked up in."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def find_image(root: Path, frame: DatasetFrame) -> Path | None:
    """The image file of ``frame`` under ``root`` (CVAT, COCO and YOLO layouts), or None."""
    name = frame.name.replace("\\", "/")
    bases = [root / "images" / frame.subset, root / "images", root / frame.subset, root] if frame.subset else [
        root / "images", root]
    for base in bases:
        candidate = base / name
        if is_file(candidate):
            return candidate
        if not PurePosixPath(name).suffix:
            for suffix in IMAGE_SUFFIXES:
                with_suffix = base / f"{name}{suffix}"
                if is_file(with_suffix):
                    return with_suffix
    return None


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; a name the system refuses (too long, a NUL in it) is simply not one."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    """Whether ``path`` is a folder (see :func:`is_file`: a name from a file may be one the system refuses)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def image_files(dataset: Dataset, source: Path) -> list[Path | None]:
    """The image of each frame: as the reader found it (``meta['image_files']``) or looked up by name."""
    known: Sequence[str | None] = dataset.meta.get("image_files") or [None] * len(dataset.frames)
    root = dataset_root(source)
    out: list[Path | None] = []
    for frame, path in zip(dataset.frames, known):
        out.append(Path(path) if path else find_image(root, frame))
    return out


def relative_to(folder: Path, path: Path) -> str:
    path = path.resolve()
    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive on Windows
        return str(path)


class FrameMatcher:
    """Dataset frame → task frame: by name for images (exact, then path suffix, then stem), by number for video.

    Video frame numbers in CVAT files are absolute (``start_frame + k * step``): a task export's frame
    ``k`` is the dataset index (``use_index``); otherwise the number is ``start + frame * step`` (a task
    imported from CVAT video keeps its file's start_frame and step; 0 and 1 for tasks made here).
    """

    def __init__(self, task_frames: Sequence[FrameInfo], by_number: bool, use_index: bool = False, *,
                 start: int = 0, step: int = 1) -> None:
        self.size = len(task_frames)
        self.start, self.step = start, max(step, 1)
        self.by_number = by_number
        self.use_index = use_index
        self.exact: dict[str, int] = {}
        self.base: dict[str, list[int]] = {}
        self.stem: dict[str, list[int]] = {}
        for f in task_frames:
            name = f.name.replace("\\", "/")
            self.exact.setdefault(name, f.index)
            posix = PurePosixPath(name)
            self.base.setdefault(posix.name, []).append(f.index)
            self.stem.setdefault(str(posix.with_suffix("")), []).append(f.index)
            self.stem.setdefault(posix.stem, []).append(f.index)

    def match(self, frame: DatasetFrame) -> int | None:
        if self.by_number:
            if self.use_index or frame.number is None:
                number = frame.index
            else:
                offset = frame.number - self.start
                if offset % self.step:
                    return None
                number = offset // self.step
            return number if 0 <= number < self.size else None
        name = frame.name.replace("\\", "/")
        if name in self.exact:
            return self.exact[name]
        posix = PurePosixPath(name)
        for table, key in ((self.base, posix.name), (self.stem, str(posix.with_suffix(""))), (self.stem, posix.stem)):
            hits = sorted(set(table.get(key, [])))
            if len(hits) == 1:
                return hits[0]
        return None

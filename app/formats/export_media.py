"""Copying (or, for video tasks, decoding) the frames of an exported dataset into its ``images/`` folder."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from PIL import Image

from app.formats.dataset import Dataset, DatasetFrame, Progress
from app.formats.errors import FormatError
from app.media.errors import MediaError
from app.media.video import VideoReader


def default_image_path(dataset: Dataset, frame: DatasetFrame) -> str:
    """CVAT's layout: ``images/<name>``; project exports ``images/<subset>/<name>``; video ``frame_%06d.png``."""
    if dataset.meta.get("video"):
        number = frame.number if frame.number is not None else frame.index
        return f"images/frame_{number:06d}.png"
    name = frame.name.replace("\\", "/").lstrip("/")
    if dataset.meta.get("scope") == "project":
        return f"images/{frame.subset or 'default'}/{name}"
    return f"images/{name}"


def copy_frames(dataset: Dataset, folder: Path, fmt: str, *, progress: Progress | None = None) -> None:
    """Put every frame's image under ``folder``; writers may set ``meta['export_image_paths']``."""
    targets = dataset.meta.get("export_image_paths") or [default_image_path(dataset, f) for f in dataset.frames]
    files = dataset.meta.get("image_files") or [None] * len(dataset.frames)
    video = dataset.meta.get("video")
    reader = VideoReader(Path(video)) if video else None
    total = len(dataset.frames)
    try:
        for k, (frame, target, source) in enumerate(zip(dataset.frames, targets, files)):
            dest = folder / PurePosixPath(target)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if reader is not None:
                number = frame.number if frame.number is not None else frame.index
                Image.fromarray(reader.read(number)).save(dest)
            elif source and Path(source).is_file():
                shutil.copyfile(source, dest)
            else:
                raise FormatError(source or frame.name, "", f"the image of frame {frame.name!r} is missing; "
                                  "export without images or restore the file")
            if progress is not None and k % 64 == 0:
                progress(k, total)
    except MediaError as exc:
        raise FormatError(video or "", "", str(exc)) from exc
    finally:
        if reader is not None:
            reader.close()

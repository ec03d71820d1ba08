"""Turning media on disk into task frames: validate every file first, then create the task in one go."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.domain.project import FrameInfo, TaskInfo
from app.media.errors import MediaError
from app.media.images import is_image_file, load_image, probe_image
from app.media.video import is_video_file, probe_video

if TYPE_CHECKING:
    from app.storage.store import Project


def collect_images(inputs: Sequence[Path]) -> list[Path]:
    """Image files from files and folders (folders are walked recursively, sorted naturally by path)."""
    found: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            found += sorted(p for p in item.rglob("*") if p.is_file() and is_image_file(p))
        elif item.is_file():
            found.append(item)
        else:
            raise MediaError(f"{item}: no such file or folder", [item])
    return found


def validate_images(files: Sequence[Path], *, decode: bool = True) -> list[tuple[int, int]]:
    """Sizes of all files. Every unreadable file is collected and reported in one error."""
    sizes: list[tuple[int, int]] = []
    bad: list[tuple[Path, str]] = []
    for path in files:
        try:
            if not is_image_file(path):
                raise MediaError(f"{path}: not a supported image type ({path.suffix or 'no extension'})", [path])
            size = probe_image(path)
            if decode:
                load_image(path)  # truncated files pass the header check and fail here
            sizes.append(size)
        except MediaError as exc:
            bad.append((path, str(exc)))
    if bad:
        listing = "\n".join(f"  {reason}" for _, reason in bad)
        raise MediaError(f"{len(bad)} of {len(files)} files cannot be read:\n{listing}", [p for p, _ in bad])
    return sizes


def _relative_to_project(project: Project, path: Path) -> str:
    path = path.resolve()
    try:
        return os.path.relpath(path, project.media_root())
    except ValueError:  # another drive on Windows
        return str(path)


def _common_root(files: Sequence[Path]) -> Path:
    if len(files) == 1:
        return files[0].parent.resolve()
    return Path(os.path.commonpath([str(f.resolve().parent) for f in files]))


def create_image_task(
    project: Project,
    name: str,
    inputs: Sequence[Path],
    *,
    copy_media: bool = False,
    segment_size: int = 0,
    overlap: int = 0,
    consensus_replicas: int = 0,
) -> TaskInfo:
    """Create a task from image files/folders. Nothing is written if any file is unreadable."""
    files = collect_images(inputs)
    if not files:
        raise MediaError("No images found in " + ", ".join(str(i) for i in inputs))
    sizes = validate_images(files)
    root = _common_root(files)
    names = [f.resolve().relative_to(root).as_posix() for f in files]
    if copy_media:
        target = project.media_root() / f"{project.path.stem}_media" / name
        copied = []
        for file, rel in zip(files, names, strict=True):
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)
            copied.append(dest)
        files = copied
    frames = [
        FrameInfo(index=i, name=n, width=w, height=h, path=_relative_to_project(project, f))
        for i, (f, n, (w, h)) in enumerate(zip(files, names, sizes, strict=True))
    ]
    return project.create_task(name, frames, media_type="images", segment_size=segment_size, overlap=overlap,
                               consensus_replicas=consensus_replicas)


def create_video_task(
    project: Project,
    name: str,
    video: Path,
    *,
    copy_media: bool = False,
    segment_size: int = 0,
    overlap: int = 0,
    consensus_replicas: int = 0,
) -> TaskInfo:
    """Create a task from a video file; the frame count is checked by decoding every frame."""
    video = Path(video)
    if not video.is_file():
        raise MediaError(f"{video}: no such file", [video])
    if not is_video_file(video):
        raise MediaError(f"{video}: not a supported video type ({video.suffix})", [video])
    count, width, height = probe_video(video)
    if copy_media:
        target = project.media_root() / f"{project.path.stem}_media" / name / video.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(video, target)
        video = target
    frames = [FrameInfo(index=i, name=f"frame_{i:06d}", width=width, height=height) for i in range(count)]
    return project.create_task(name, frames, media_type="video", video_path=_relative_to_project(project, video),
                               segment_size=segment_size, overlap=overlap, consensus_replicas=consensus_replicas)


def create_task_from_media(project: Project, name: str, inputs: Sequence[Path], **options: object) -> TaskInfo:
    """Images or a single video, decided by the inputs."""
    if len(inputs) == 1 and Path(inputs[0]).is_file() and is_video_file(Path(inputs[0])):
        return create_video_task(project, name, Path(inputs[0]), **options)  # type: ignore[arg-type]
    return create_image_task(project, name, inputs, **options)  # type: ignore[arg-type]

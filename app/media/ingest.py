"""Turning media on disk into task frames: validate every file first, then create the task in one go."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def stored_media_path(project: Project, path: Path, root: Path | None = None) -> str:
    """How a media file is recorded: relative to the project's media root (``root``, ``media_root()`` by default).

    A project file keeps a relative path even above its folder (``../photos/a.jpg``: the project and its media
    move together). A team project keeps paths under its media root relative (POSIX form, so that every
    workstation maps the root to its own mount point) and anything else absolute.
    """
    return stored_media_paths(project, [path], root)[0]


def stored_media_paths(project: Project, paths: Sequence[Path], root: Path | None = None) -> list[str]:
    """:func:`stored_media_path` of many files: each folder is resolved once (a task of 10,000 images resolved
    file by file spent half a second in ``realpath``); a file that is itself a link is resolved in full."""
    root = root or project.media_root()
    team = project.location.is_postgres
    team_root = root.resolve() if team and project.has_media_root() else None
    folders: dict[str, str] = {}  # a folder as given -> its stored form
    out = []
    for given in map(os.fspath, paths):
        if os.path.islink(given):
            real = Path(given).resolve()
            out.append(_team_path(real, team_root) if team else _file_path(real, root))
            continue
        parent, name = os.path.split(given)
        stored = folders.get(parent)
        if stored is None:
            real = Path(parent or ".").resolve()
            stored = folders[parent] = _team_path(real, team_root) if team else _file_path(real, root)
        out.append(_join(stored, name, posix=team and team_root is not None and not os.path.isabs(stored)))
    return out


def _join(folder: str, name: str, *, posix: bool) -> str:
    """``name`` in the stored form of its folder (``.``: the root itself)."""
    if folder == ".":
        return name
    return f"{folder}/{name}" if posix else os.path.join(folder, name)


def _team_path(path: Path, root: Path | None) -> str:
    if root is None:
        return str(path)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _file_path(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return str(path)


def _common_root(files: Sequence[Path]) -> Path:
    if len(files) == 1:
        return files[0].parent.resolve()
    return Path(os.path.commonpath([str(f.resolve().parent) for f in files]))


@dataclass
class PreparedMedia:
    """Validated media, ready to become a task (no database access needed to build it)."""

    media_type: str  # "images" | "video"
    files: list[Path]
    names: list[str]
    sizes: list[tuple[int, int]]
    frame_count: int = 0


def prepare_images(inputs: Sequence[Path]) -> PreparedMedia:
    """Collect and validate images (slow for big folders: call it off the GUI thread)."""
    files = collect_images(inputs)
    if not files:
        raise MediaError("No images found in " + ", ".join(str(i) for i in inputs))
    sizes = validate_images(files)
    root = _common_root(files)
    names = [f.resolve().relative_to(root).as_posix() for f in files]
    return PreparedMedia("images", files, names, sizes, len(files))


def prepare_video(video: Path) -> PreparedMedia:
    """Validate a video and count its frames by decoding them."""
    video = Path(video)
    if not video.is_file():
        raise MediaError(f"{video}: no such file", [video])
    if not is_video_file(video):
        raise MediaError(f"{video}: not a supported video type ({video.suffix})", [video])
    count, width, height = probe_video(video)
    return PreparedMedia("video", [video], [f"frame_{i:06d}" for i in range(count)], [(width, height)] * count, count)


def prepare_media(inputs: Sequence[Path]) -> PreparedMedia:
    """Images or a single video, decided by the inputs."""
    if len(inputs) == 1 and Path(inputs[0]).is_file() and is_video_file(Path(inputs[0])):
        return prepare_video(Path(inputs[0]))
    return prepare_images(inputs)


def media_folder(project: Project) -> Path:
    """Where copied media go: ``<stem>_media`` beside a project file, or a team project's media root."""
    if project.location.path is not None:
        # a project file still being built (``.<name>.part-<pid>``, renamed at the end) copies for its final name
        building = re.fullmatch(r"\.(.+)\.part-\d+", project.location.path.name)
        stem = Path(building.group(1)).stem if building else project.location.stem
        return project.media_root() / f"{stem}_media"
    if not project.has_media_root():
        raise MediaError(
            f"{project.location.display} has no media root to copy the media into: create the team project with "
            f"--media-root PATH, or map its media root on this workstation "
            f"(fieldmark team map-media {project.location.display} LOCAL_PATH)")
    return project.media_root()


def copy_media_atomically(folder: Path, name: str, files: Sequence[Path], names: Sequence[str]) -> Path:
    """Copy ``files`` to ``folder/<name>/<names[i]>`` and return that new folder (``name_2``… when taken).

    The files go to a hidden temporary folder renamed into place at the end, so a failure (disk full, an
    unreadable file, a cancel) leaves nothing half-copied: the temporary folder is removed and it raises.
    """
    safe = re.sub(r"[^\w.-]+", "_", name).strip("._") or "task"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target, n = folder / safe, 2
        while target.exists():
            target, n = folder / f"{safe}_{n}", n + 1
        temporary = Path(tempfile.mkdtemp(dir=folder, prefix=f".{safe}.partial-"))
    except OSError as exc:
        raise MediaError(f"cannot copy the media into {folder}: {exc.strerror or exc}", [folder]) from exc
    try:
        for file, rel in zip(files, names, strict=True):
            dest = temporary / rel
            if temporary.resolve() not in dest.resolve().parents:
                raise MediaError(f"{rel}: a media name must stay inside the copy's folder", [Path(file)])
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)
        os.rename(temporary, target)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        where = f" ({exc.filename})" if exc.filename else ""
        raise MediaError(f"cannot copy the media into {folder}: {exc.strerror or exc}{where}; nothing was copied",
                         [folder]) from exc
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def create_task_from_prepared(
    project: Project,
    name: str,
    media: PreparedMedia,
    *,
    copy_media: bool = False,
    segment_size: int = 0,
    overlap: int = 0,
    consensus_replicas: int = 0,
) -> TaskInfo:
    """Write the task for already validated media (fast: safe on the GUI thread)."""
    options = dict(segment_size=segment_size, overlap=overlap, consensus_replicas=consensus_replicas)
    if not copy_media:
        return _write_task(project, name, media, media.files, options)
    names = [media.files[0].name] if media.media_type == "video" else media.names
    copy = copy_media_atomically(media_folder(project), name, media.files, names)
    try:
        return _write_task(project, name, media, [copy / rel for rel in names], options)
    except BaseException:
        shutil.rmtree(copy, ignore_errors=True)  # the task was not written: its copied media go too
        raise


def _write_task(project: Project, name: str, media: PreparedMedia, files: list[Path],
                options: dict[str, int]) -> TaskInfo:
    root = project.media_root()
    if media.media_type == "video":
        width, height = media.sizes[0]
        frames = [FrameInfo(index=i, name=n, width=width, height=height) for i, n in enumerate(media.names)]
        return project.create_task(name, frames, media_type="video",
                                   video_path=stored_media_path(project, files[0], root), **options)
    frames = [
        FrameInfo(index=i, name=n, width=w, height=h, path=stored)
        for i, (stored, n, (w, h)) in enumerate(zip(stored_media_paths(project, files, root), media.names,
                                                     media.sizes, strict=True))
    ]
    return project.create_task(name, frames, media_type="images", **options)


def create_image_task(project: Project, name: str, inputs: Sequence[Path], **options: Any) -> TaskInfo:
    """Create a task from image files/folders. Nothing is written if any file is unreadable."""
    return create_task_from_prepared(project, name, prepare_images(inputs), **options)


def create_video_task(project: Project, name: str, video: Path, **options: Any) -> TaskInfo:
    """Create a task from a video file; the frame count is checked by decoding every frame."""
    return create_task_from_prepared(project, name, prepare_video(video), **options)


def create_task_from_media(project: Project, name: str, inputs: Sequence[Path], **options: Any) -> TaskInfo:
    """Images or a single video, decided by the inputs."""
    return create_task_from_prepared(project, name, prepare_media(inputs), **options)

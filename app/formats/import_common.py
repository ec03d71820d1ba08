"""Pieces both ways of importing share (into existing tasks, and into tasks an import creates): the frames of
a new task (sizes probed, media copied), the label-type check, and writing annotations in batches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations
from app.domain.enums import LabelType
from app.domain.project import FrameInfo
from app.formats import archive
from app.formats.dataset import Dataset
from app.formats.errors import FormatError
from app.formats.frame_matching import image_files
from app.media.errors import MediaError
from app.media.images import probe_image
from app.media.ingest import copy_media_atomically, media_folder, stored_media_paths
from app.storage.store import Project

#: Shapes written per insert. A dataset with more shapes than this has each batch dropped from it once written
#: (an import consumes its dataset: its ``annotations.shapes`` is empty afterwards), so a 500k-shape import
#: does not hold every shape and every row at once; a smaller one keeps its shapes for the caller.
IMPORT_BATCH = 20_000


def copy_images(project: Project, files: list[Path | None], name: str, copies: list[Path]) -> list[Path | None]:
    """The dataset's images copied (atomically) under the project's media folder; ``copies`` gets the new folder."""
    present = [f.resolve() for f in files if f is not None]
    if not present:
        return files
    common = present[0].parent if len(present) == 1 else Path(os.path.commonpath([str(f.parent) for f in present]))
    names = [f.relative_to(common).as_posix() for f in present]
    copy = copy_media_atomically(media_folder(project), name, present, names)
    copies.append(copy)
    copied = iter(copy / n for n in names)
    return [next(copied) if f is not None else None for f in files]


def task_frames(project: Project, dataset: Dataset, source: Path, name: str,
                copies: list[Path] | None, copy_media: bool | None = None) -> list[FrameInfo]:
    """The frames of a new task: each with its size (probed from the image where the file gives none) and its
    image's stored path. ``copy_media`` (default: ``copies`` is given) copies every image under the project's
    media folder; images extracted from an archive (:func:`app.formats.archive.is_extracted`) are copied in
    any case, since their folder is removed after the import. ``copies`` gets each copy made."""
    files = image_files(dataset, source)
    copy_all = copies is not None if copy_media is None else copy_media
    wanted = files if copy_all else [f if f is not None and archive.is_extracted(f) else None for f in files]
    if any(f is not None for f in wanted):
        copied = copy_images(project, wanted, name or source.stem, copies if copies is not None else [])
        files = [new if new is not None else old for new, old in zip(copied, files, strict=True)]
    root = project.media_root()
    present = [image for image in files if image is not None]
    stored = iter(stored_media_paths(project, present, root))
    frames = []
    for frame, image in zip(dataset.frames, files):
        width, height = frame.width, frame.height
        if image is not None and (width <= 0 or height <= 0):
            try:
                width, height = probe_image(image)
            except MediaError as exc:
                raise FormatError(image, "", str(exc)) from exc
        if width <= 0 or height <= 0:
            raise FormatError(source, f"frame {frame.name!r}",
                              "the frame size is unknown: the file gives none and the image is not beside it")
        frames.append(FrameInfo(index=frame.index, name=frame.name, width=width, height=height,
                                path=next(stored) if image is not None else ""))
    return frames


def check_types(project: Project, ann: Annotations, source: Path) -> None:
    labels = project.labels()
    untyped = {label.id for label in labels if label.type is LabelType.ANY}  # any shape may use them
    for kind, items in (("shape", ann.shapes), ("track", ann.tracks)):
        for item in items:
            if item.label_id in untyped:
                continue
            label = labels.by_id(item.label_id)
            shape_type = item.type if kind == "shape" else (item.shapes[0].type if item.shapes else None)
            if shape_type is not None and label.type is not LabelType.ANY and label.type.value != shape_type.value:
                raise FormatError(source, f"frame {item.frame}",
                                  f"a {shape_type.value} uses label {label.name!r} of type {label.type.value}")
    for tag in ann.tags:
        label = labels.by_id(tag.label_id)
        if label.type not in (LabelType.TAG, LabelType.ANY):
            raise FormatError(source, f"frame {tag.frame}",
                              f"a tag uses label {label.name!r} of type {label.type.value}")


def write_consuming(project: Project, job_id: int, ann: Annotations) -> None:
    """Insert ``ann`` (inside the caller's transaction) in batches of shapes; past :data:`IMPORT_BATCH` shapes
    each batch is released once written and the list is emptied at the end (the dataset is consumed)."""
    shapes: list[Any] = ann.shapes
    if len(shapes) <= IMPORT_BATCH:
        project.add_annotations(job_id, ann)
        return
    for start in range(0, len(shapes), IMPORT_BATCH):
        project.add_annotations(job_id, Annotations(shapes=shapes[start:start + IMPORT_BATCH]))
        shapes[start:start + IMPORT_BATCH] = [None] * len(shapes[start:start + IMPORT_BATCH])
    shapes.clear()
    if ann.tracks or ann.tags:
        project.add_annotations(job_id, Annotations(tracks=ann.tracks, tags=ann.tags))

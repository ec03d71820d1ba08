"""Commands over a project's annotations. Every edit is one of these, pushed on the :class:`UndoStack`.

The general command is :class:`ReplaceAnnotations`: it removes some objects and adds others in one
transaction, and its undo does the exact opposite with the objects' original ids. Adding, deleting
and editing shapes, tracks and tags are all special cases of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.annotations import Annotations, Shape, Tag, Track

if TYPE_CHECKING:
    from app.storage.store import Project


class Command:
    """Base class: ``redo`` applies the change (also the first time), ``undo`` reverts it."""

    text = ""

    def redo(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def undo(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _copy(annotations: Annotations) -> Annotations:
    return Annotations(
        shapes=[s.copy() for s in annotations.shapes],
        tracks=[t.copy() for t in annotations.tracks],
        tags=[t.copy() for t in annotations.tags],
    )


def _ids(annotations: Annotations) -> tuple[list[int], list[int], list[int]]:
    return (
        [s.id for s in annotations.shapes if s.id is not None],
        [t.id for t in annotations.tracks if t.id is not None],
        [t.id for t in annotations.tags if t.id is not None],
    )


def as_new_objects(annotations: Annotations) -> Annotations:
    """Copies with every id (and uid) cleared: inserted, they become new objects (e.g. a change kept as a
    copy after someone else changed the same job)."""
    def shape(s: Shape) -> Shape:
        return s.copy(id=None, uid=None, elements=[shape(e) for e in s.elements])

    def track(t: Track) -> Track:
        return t.copy(id=None, uid=None, shapes=[ts.copy(id=None) for ts in t.shapes],
                      elements=[track(e) for e in t.elements])

    return Annotations(shapes=[shape(s) for s in annotations.shapes], tracks=[track(t) for t in annotations.tracks],
                       tags=[t.copy(id=None, uid=None) for t in annotations.tags])


@dataclass
class ReplaceAnnotations(Command):
    """Replace ``before`` (objects as stored now, with ids) by ``after`` in one step.

    Objects in ``after`` that have the id of an object in ``before`` keep that id (an edit);
    objects without an id are new and get one on the first ``redo``, which they keep on later redos.
    """

    project: Project
    job_id: int
    before: Annotations = field(default_factory=Annotations)
    after: Annotations = field(default_factory=Annotations)
    text: str = "Edit"

    def __post_init__(self) -> None:
        self.before = _copy(self.before)
        self.after = _copy(self.after)

    def redo(self) -> None:
        shapes, tracks, tags = _ids(self.before)
        added = self.project.replace_annotations(
            self.job_id, remove_shapes=shapes, remove_tracks=tracks, remove_tags=tags, add=_copy(self.after)
        )
        # Remember the ids given to new objects so that undo/redo cycles keep them stable.
        self.after = _copy(added)

    def undo(self) -> None:
        shapes, tracks, tags = _ids(self.after)
        self.project.replace_annotations(
            self.job_id, remove_shapes=shapes, remove_tracks=tracks, remove_tags=tags, add=_copy(self.before)
        )


def add_shapes(project: Project, job_id: int, shapes: list[Shape], text: str = "Add shape") -> ReplaceAnnotations:
    return ReplaceAnnotations(project, job_id, after=Annotations(shapes=shapes), text=text)


def remove_shapes(project: Project, job_id: int, shapes: list[Shape], text: str = "Delete shape") -> ReplaceAnnotations:
    return ReplaceAnnotations(project, job_id, before=Annotations(shapes=shapes), text=text)


def edit_shapes(
    project: Project, job_id: int, before: list[Shape], after: list[Shape], text: str = "Edit shape"
) -> ReplaceAnnotations:
    return ReplaceAnnotations(project, job_id, before=Annotations(shapes=before), after=Annotations(shapes=after),
                              text=text)


def add_tracks(project: Project, job_id: int, tracks: list[Track], text: str = "Add track") -> ReplaceAnnotations:
    return ReplaceAnnotations(project, job_id, after=Annotations(tracks=tracks), text=text)


def edit_tracks(
    project: Project, job_id: int, before: list[Track], after: list[Track], text: str = "Edit track"
) -> ReplaceAnnotations:
    return ReplaceAnnotations(project, job_id, before=Annotations(tracks=before), after=Annotations(tracks=after),
                              text=text)


def add_tags(project: Project, job_id: int, tags: list[Tag], text: str = "Add tag") -> ReplaceAnnotations:
    return ReplaceAnnotations(project, job_id, after=Annotations(tags=tags), text=text)

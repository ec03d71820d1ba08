"""Identities a merge checks: the project's uid, the label schema's hash, and a digest of each annotation
object's content (what a three-way merge compares against the export base)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import numpy as np
from sqlalchemy import text

from app.domain.annotations import Shape, Tag, Track, TrackedShape
from app.storage.fastsql import uid_text
from app.storage.store import Project

PROJECT_UID_KEY = "project_uid"


def project_uid(project: Project, *, create: bool = False) -> str | None:
    """The project's stable id (kept in its settings); made on first use when ``create``."""
    settings = project.settings()
    uid = settings.get(PROJECT_UID_KEY)
    if uid or not create:
        return uid
    settings[PROJECT_UID_KEY] = uid = str(uuid.uuid4())
    project.set_settings(settings)
    return uid


def label_schema_hash(project: Project) -> str:
    """SHA-256 of what annotations refer to: label ids, names, types, parents, skeleton edges and attribute
    specs (ids, names, input types, values). Colours and order are not part of it."""
    conn = project.conn
    labels = [list(r) for r in conn.execute(text(
        "SELECT id, name, type, parent_id, edges FROM label ORDER BY id"))]
    specs = [[r[0], r[1], r[2], r[3], bool(r[4]), r[5]] for r in conn.execute(text(
        'SELECT id, label_id, name, input_type, mutable, "values" FROM attribute_spec ORDER BY id'))]
    blob = json.dumps({"labels": labels, "attributes": specs}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _attrs(attributes: dict[int, str]) -> tuple:
    return tuple(sorted((int(k), str(v)) for k, v in attributes.items()))


def _feed(h: Any, fields: tuple, points: list[float]) -> None:
    h.update(repr(fields).encode())
    h.update(np.asarray(points, dtype="<f8").tobytes())  # the exact values, as the store keeps them
    h.update(b";")


def _shape(h: Any, s: Shape) -> None:
    _feed(h, ("s", s.type.value, s.frame, s.label_id, float(s.rotation), bool(s.occluded), bool(s.outside),
              int(s.z_order), int(s.group), s.source.value, float(s.score), _attrs(s.attributes), len(s.elements)),
          s.points)
    for element in s.elements:
        _shape(h, element)


def _tracked(h: Any, t: TrackedShape) -> None:
    _feed(h, ("k", t.type.value, t.frame, float(t.rotation), bool(t.occluded), bool(t.outside), bool(t.keyframe),
              int(t.z_order), _attrs(t.attributes)), t.points)


def _track(h: Any, t: Track) -> None:
    _feed(h, ("t", t.label_id, t.frame, int(t.group), t.source.value, _attrs(t.attributes), len(t.shapes),
              len(t.elements)), [])
    for shape in sorted(t.shapes, key=lambda s: s.frame):
        _tracked(h, shape)
    for element in t.elements:
        _track(h, element)


def digest(obj: Shape | Track | Tag) -> str:
    """A digest of an object's content (ids and uids excluded): equal digests mean an unchanged object.
    Part of the package format: a package's export base holds these (changing them needs a new format)."""
    h = hashlib.sha1(usedforsecurity=False)
    if isinstance(obj, Shape):
        _shape(h, obj)
    elif isinstance(obj, Track):
        _track(h, obj)
    else:
        _feed(h, ("g", obj.frame, obj.label_id, int(obj.group), obj.source.value, _attrs(obj.attributes),
                  float(obj.score)), [])
    return h.hexdigest()


def row_uid(project: Project, table: str, row_id: int) -> str:
    """The uid of a job or a task by its local id."""
    assert table in ("job", "task")
    value = project.conn.execute(text(f"SELECT uid FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
    return str(uid_text(value))


def job_by_uid(project: Project, uid: str) -> int | None:
    value = project.conn.execute(text("SELECT id FROM job WHERE uid = :uid"), {"uid": uid}).scalar()
    return None if value is None else int(value)

"""Identities a merge checks: the project's uid, the label schema's hash, and a digest of each annotation
object's content (what a three-way merge compares against the export base)."""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from typing import Any

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


def _floats(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}d", *values)


def _attrs(attributes: dict[int, str]) -> str:
    return json.dumps(sorted((int(k), str(v)) for k, v in attributes.items()), separators=(",", ":"))


def _shape_key(s: Shape) -> list[Any]:
    return [s.type.value, s.frame, s.label_id, _floats(s.points).hex(), float(s.rotation), bool(s.occluded),
            bool(s.outside), int(s.z_order), int(s.group), s.source.value, float(s.score), _attrs(s.attributes),
            [_shape_key(e) for e in s.elements]]


def _tracked_key(t: TrackedShape) -> list[Any]:
    return [t.type.value, t.frame, _floats(t.points).hex(), float(t.rotation), bool(t.occluded), bool(t.outside),
            bool(t.keyframe), int(t.z_order), _attrs(t.attributes)]


def _track_key(t: Track) -> list[Any]:
    return [t.label_id, t.frame, int(t.group), t.source.value, _attrs(t.attributes),
            [_tracked_key(s) for s in sorted(t.shapes, key=lambda s: s.frame)], [_track_key(e) for e in t.elements]]


def _tag_key(t: Tag) -> list[Any]:
    return [t.frame, t.label_id, int(t.group), t.source.value, _attrs(t.attributes), float(t.score)]


def digest(obj: Shape | Track | Tag) -> str:
    """A digest of an object's content (ids and uids excluded): equal digests mean an unchanged object."""
    if isinstance(obj, Shape):
        key: list[Any] = ["shape", *_shape_key(obj)]
    elif isinstance(obj, Track):
        key = ["track", *_track_key(obj)]
    else:
        key = ["tag", *_tag_key(obj)]
    return hashlib.sha1(json.dumps(key, separators=(",", ":")).encode(), usedforsecurity=False).hexdigest()


def row_uid(project: Project, table: str, row_id: int) -> str:
    """The uid of a job or a task by its local id."""
    assert table in ("job", "task")
    value = project.conn.execute(text(f"SELECT uid FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
    return str(uid_text(value))


def job_by_uid(project: Project, uid: str) -> int | None:
    value = project.conn.execute(text("SELECT id FROM job WHERE uid = :uid"), {"uid": uid}).scalar()
    return None if value is None else int(value)

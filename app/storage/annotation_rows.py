"""Reading and writing annotations (shapes, tracks, tags) on an open connection.

Kept apart from :mod:`app.storage.store` because it is the hot path: bulk writes go through the
driver (:mod:`app.storage.fastsql`: executemany, COPY on PostgreSQL) with ids allocated up front, and
reads build domain objects straight from tuples. An object that gets a new id gets a new ``uid`` too;
one re-inserted under its id (an edit, an undo) keeps its uid.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter

import numpy as np
from sqlalchemy import Connection

from app.core.gc_pause import paused_gc
from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import ShapeType, Source
from app.storage.codec import pack_attributes, pack_points, unpack_attributes, unpack_points
from app.storage.fastsql import (
    Same,
    allocate_ids,
    bulk_insert,
    execute_many,
    insert_columns,
    iter_rows,
    raw_rows,
    same_or_each,
    uid_text,
)

SHAPE_COLUMNS = (
    "id, job_id, frame, label_id, type, points, rotation, occluded, outside, z_order, group_id, "
    "source, score, attributes, parent_id, uid"
)
# The same row layout with NULL for the job and the uid: a 36-character string per row is a sixth of a big read.
_SHAPE_COLUMNS_NO_UID = SHAPE_COLUMNS.replace("job_id", "NULL").replace("uid", "NULL")
TRACK_COLUMNS = "id, job_id, frame, label_id, group_id, source, attributes, parent_id, uid"
TRACK_SHAPE_COLUMNS = "id, track_id, frame, type, points, rotation, occluded, outside, z_order, attributes"
TAG_COLUMNS = "id, job_id, frame, label_id, group_id, source, attributes, score, uid"
INSERT_BATCH = 20_000  # rows built and inserted at a time by the bulk inserts


_UID_POOL: list[str] = []


def new_uid() -> str:
    """A random (version 4) UUID string. Made 4096 at a time from one ``os.urandom`` call: bulk inserts make
    one per object, and ``uuid.uuid4()`` each (a system call and a UUID object) was a tenth of an import."""
    if not _UID_POOL:
        _UID_POOL.extend(new_uids(4096))
    return _UID_POOL.pop()


def new_uids(count: int) -> list[str]:
    """``count`` random (version 4) UUID strings at once (see :func:`new_uid`): the random bytes get their
    version and variant bits and their hex digits a whole batch at a time in numpy (half the time of a
    formatted string per uid; an import makes one per object)."""
    raw = np.frombuffer(os.urandom(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant bits 10xx
    digits = _HEX_PAIRS[raw].view(np.uint8)  # (count, 32) ASCII hex digits
    text = np.full((count, 36), ord("-"), dtype=np.uint8)
    for (a, b), at in zip(_UUID_GROUPS, (0, 9, 14, 19, 24)):
        text[:, at:at + b - a] = digits[:, a:b]
    joined = text.tobytes().decode("ascii")
    return [joined[k:k + 36] for k in range(0, 36 * count, 36)]


_HEX_PAIRS = np.frombuffer("".join(f"{b:02x}" for b in range(256)).encode("ascii"), dtype=np.uint16)
_UUID_GROUPS = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))  # hex digits of the 8-4-4-4-12 groups


# A forked child must not hand out uids its parent also has in its pool.
os.register_at_fork(after_in_child=_UID_POOL.clear)



def _ids_for(conn: Connection, table: str, ids: list[int | None], keep_ids: bool) -> Iterator[int]:
    """New ids for the objects whose current ids are ``ids`` (all of them, or those without one when keeping)."""
    needed = sum(1 for i in ids if not (keep_ids and i is not None))
    return iter(allocate_ids(conn, table, needed, ids if keep_ids else ()))


def _shape_ids(shapes: Sequence[Shape]) -> Iterator[int | None]:
    for shape in shapes:
        yield shape.id
        yield from _shape_ids(shape.elements)


def _track_ids(tracks: Sequence[Track]) -> Iterator[int | None]:
    for track in tracks:
        yield track.id
        yield from _track_ids(track.elements)


def _track_shape_ids(tracks: Sequence[Track]) -> Iterator[int | None]:
    for track in tracks:
        for ts in track.shapes:
            yield ts.id
        yield from _track_shape_ids(track.elements)


# ---------------------------------------------------------------- writes


def insert_shapes(
    conn: Connection, job_id: int, shapes: Sequence[Shape], *, keep_ids: bool = False, keep_uids: bool = False
) -> list[int]:
    """Insert shapes (and skeleton elements); sets and returns their ids.

    With ``keep_ids`` an object that already has an id is inserted under it (undo, edits); with
    ``keep_uids`` an object that gets a new id keeps the uid it carries (a field package merged back)."""
    if not keep_ids and not keep_uids and not any(map(_ELEMENTS, shapes)):
        return _insert_plain_shapes(conn, job_id, shapes)
    new_ids = _ids_for(conn, "shape", list(_shape_ids(shapes)), keep_ids)
    rows: list[tuple] = []
    append, points, attributes, uid = rows.append, pack_points, pack_attributes, new_uid  # the hot loop's names

    def add(shape: Shape, parent_id: int | None) -> int:
        if not (keep_ids and shape.id is not None):
            shape.id = next(new_ids)
            shape.uid = shape.uid if keep_uids and shape.uid else uid()
        elif shape.uid is None:
            shape.uid = uid()
        # str() of a StrEnum is its value, without the enum's slower ``.value`` property.
        append((shape.id, job_id, shape.frame, shape.label_id, str(shape.type), points(shape.points),
                float(shape.rotation), 1 if shape.occluded else 0, 1 if shape.outside else 0, int(shape.z_order),
                int(shape.group), str(shape.source), float(shape.score), attributes(shape.attributes),
                parent_id, shape.uid))
        for element in shape.elements:
            element.frame = shape.frame
            add(element, shape.id)
        return shape.id

    ids = []
    for shape in shapes:  # rows go in batches: a 500k-shape import never holds all its rows at once
        ids.append(add(shape, None))
        if len(rows) >= INSERT_BATCH:
            bulk_insert(conn, "shape", SHAPE_COLUMNS, rows)
            rows.clear()
    bulk_insert(conn, "shape", SHAPE_COLUMNS, rows)
    return ids


def _insert_plain_shapes(conn: Connection, job_id: int, shapes: Sequence[Shape]) -> list[int]:
    """:func:`insert_shapes` of new shapes without elements (every bulk import): ids and uids made a batch at
    a time, and the rows given column by column (:func:`~app.storage.fastsql.insert_columns`): a column with one
    value in the whole batch (the job, and in most imports the source, z order, group, rotation, score…) is
    converted once and, on SQLite, not bound on every row."""
    first = next(iter(allocate_ids(conn, "shape", len(shapes))), 0)
    for start in range(0, len(shapes), INSERT_BATCH):
        batch = shapes[start:start + INSERT_BATCH]
        ids = range(first + start, first + start + len(batch))
        uids = new_uids(len(batch))
        for shape, sid, uid in zip(batch, ids, uids):
            shape.id, shape.uid = sid, uid
        frame, label, kind, points, rotation, occluded, outside, z_order, group, source, score, attributes = \
            zip(*map(_PLAIN_FIELDS, batch))
        insert_columns(conn, "shape", {
            "id": ids, "job_id": Same(job_id), "frame": frame, "label_id": label, "type": same_or_each(kind, str),
            "points": list(map(pack_points, points)), "rotation": same_or_each(rotation, float),
            "occluded": same_or_each(occluded, _bit), "outside": same_or_each(outside, _bit),
            "z_order": same_or_each(z_order, int), "group_id": same_or_each(group, int),
            # str() of a StrEnum is its value, without the enum's slower ``.value`` property.
            "source": same_or_each(source, str), "score": same_or_each(score, float),
            "attributes": same_or_each(attributes, pack_attributes), "parent_id": Same(None), "uid": uids,
        }, len(batch))
    return list(range(first, first + len(shapes)))


_ELEMENTS = attrgetter("elements")
_PLAIN_FIELDS = attrgetter("frame", "label_id", "type", "points", "rotation", "occluded", "outside", "z_order",
                           "group", "source", "score", "attributes")


def _bit(value: object) -> int:
    """A flag as SQLite stores it (binding an int is cheaper than binding a bool)."""
    return 1 if value else 0


def insert_tracks(
    conn: Connection, job_id: int, tracks: Sequence[Track], *, keep_ids: bool = False, keep_uids: bool = False
) -> list[int]:
    new_tracks = _ids_for(conn, "track", list(_track_ids(tracks)), keep_ids)
    new_shapes = _ids_for(conn, "track_shape", list(_track_shape_ids(tracks)), keep_ids)
    track_rows: list[tuple] = []
    shape_rows: list[tuple] = []

    def add(track: Track, parent_id: int | None) -> int:
        if not (keep_ids and track.id is not None):
            track.id = next(new_tracks)
            track.uid = track.uid if keep_uids and track.uid else new_uid()
        elif track.uid is None:
            track.uid = new_uid()
        track_rows.append(
            (track.id, job_id, track.frame, track.label_id, int(track.group), track.source.value,
             pack_attributes(track.attributes), parent_id, track.uid)
        )
        for ts in track.shapes:
            if not (keep_ids and ts.id is not None):
                ts.id = next(new_shapes)
            shape_rows.append(
                (ts.id, track.id, ts.frame, ts.type.value, pack_points(ts.points), float(ts.rotation),
                 1 if ts.occluded else 0, 1 if ts.outside else 0, int(ts.z_order), pack_attributes(ts.attributes))
            )
        for element in track.elements:
            add(element, track.id)
        return track.id

    ids = [add(t, None) for t in tracks]
    bulk_insert(conn, "track", TRACK_COLUMNS, track_rows)
    bulk_insert(conn, "track_shape", TRACK_SHAPE_COLUMNS, shape_rows)
    return ids


def insert_tags(
    conn: Connection, job_id: int, tags: Sequence[Tag], *, keep_ids: bool = False, keep_uids: bool = False
) -> list[int]:
    new_ids = _ids_for(conn, "tag", [t.id for t in tags], keep_ids)
    rows = []
    for tag in tags:
        if not (keep_ids and tag.id is not None):
            tag.id = next(new_ids)
            tag.uid = tag.uid if keep_uids and tag.uid else new_uid()
        elif tag.uid is None:
            tag.uid = new_uid()
        rows.append((tag.id, job_id, tag.frame, tag.label_id, int(tag.group), tag.source.value,
                     pack_attributes(tag.attributes), float(tag.score), tag.uid))
    bulk_insert(conn, "tag", TAG_COLUMNS, rows)
    return [t.id for t in tags]  # type: ignore[misc]


def delete_rows(conn: Connection, table: str, ids: Iterable[int]) -> None:
    """Delete by id; children (skeleton elements, track shapes) go by ON DELETE CASCADE."""
    execute_many(conn, f"DELETE FROM {table} WHERE id = ?", [(int(i),) for i in ids])


def clear_job(conn: Connection, job_id: int, frames: Sequence[int] | None = None) -> None:
    if frames is None:
        for table in ("shape", "track", "tag"):
            execute_many(conn, f"DELETE FROM {table} WHERE job_id = ?", [(job_id,)])
        return
    params = [(job_id, int(f)) for f in frames]
    for table in ("shape", "tag"):
        execute_many(conn, f"DELETE FROM {table} WHERE job_id = ? AND frame = ?", params)


# ---------------------------------------------------------------- reads


_SHAPE_TYPES = {t.value: t for t in ShapeType}
_SOURCES = {s.value: s for s in Source}


#: Shape's fields in declaration order: :func:`_shape_from_row` passes them positionally (a third faster than by
#: keyword on a 500k-shape read); a test checks this against the dataclass.
SHAPE_FIELD_ORDER = ("type", "frame", "label_id", "points", "rotation", "occluded", "outside", "z_order", "group",
                     "source", "score", "attributes", "elements", "id", "uid")


def _shape_from_row(row: Sequence) -> Shape:
    sid, _job, frame, label_id, kind, points, rotation, occluded, outside, z_order, group, source, score, \
        attributes, _parent, uid = row
    return Shape(
        _SHAPE_TYPES.get(kind, kind), frame, label_id, unpack_points(points), rotation, bool(occluded),
        bool(outside), z_order, group, _SOURCES.get(source, source), score,
        unpack_attributes(attributes) if attributes else {}, [], sid,
        uid if uid is None or type(uid) is str else str(uid),  # uid_text, inlined (hot path)
    )


def _tag_from_row(r: Sequence) -> Tag:
    return Tag(id=r[0], frame=r[2], label_id=r[3], group=r[4], source=r[5], attributes=unpack_attributes(r[6]),
               score=r[7], uid=uid_text(r[8]))


def _assemble_shapes(rows: Iterable[Sequence]) -> list[Shape]:
    with paused_gc():
        return _assemble(rows)


def _assemble(rows: Iterable[Sequence]) -> list[Shape]:
    """Shapes from rows, with skeleton elements in their parents (the lookup by id is built only when there are
    elements: most reads have none)."""
    tops: list[Shape] = []
    elements: list[tuple[int, Shape]] = []
    keep, make = tops.append, _shape_from_row
    for row in rows:
        if row[14] is None:
            keep(make(row))
        else:
            elements.append((row[14], make(row)))
    if elements:
        by_id: dict[int | None, Shape] = {shape.id: shape for shape in tops}
        by_id.update((element.id, element) for _parent, element in elements)
        for parent_id, element in elements:
            parent = by_id.get(parent_id)
            if parent is not None:
                parent.elements.append(element)
    return tops


def select_shapes(conn: Connection, job_id: int, frame: int | None = None) -> list[Shape]:
    rows: Iterable[Sequence]
    if frame is None:
        rows = iter_rows(conn, f"SELECT {SHAPE_COLUMNS} FROM shape WHERE job_id = ? ORDER BY id", (job_id,))
    else:
        rows = raw_rows(conn, f"SELECT {SHAPE_COLUMNS} FROM shape WHERE job_id = ? AND frame = ? ORDER BY id",
                         (job_id, frame))
    return _assemble_shapes(rows)


def select_tags(conn: Connection, job_id: int, frame: int | None = None) -> list[Tag]:
    query = f"SELECT {TAG_COLUMNS} FROM tag WHERE job_id = ?"
    params: tuple = (job_id,)
    if frame is not None:
        query += " AND frame = ?"
        params = (job_id, frame)
    return [_tag_from_row(r) for r in raw_rows(conn, query + " ORDER BY id", params)]


def select_tracks(conn: Connection, job_id: int, track_ids: Sequence[int] | None = None) -> list[Track]:
    query = f"SELECT {TRACK_COLUMNS} FROM track WHERE job_id = ?"
    params: list = [job_id]
    if track_ids is not None:
        # Skeleton tracks: their elements are selected through the parent id.
        marks = ", ".join("?" for _ in track_ids)
        query += f" AND (id IN ({marks}) OR parent_id IN ({marks}))"
        params += list(track_ids) * 2
    tracks: dict[int, Track] = {}
    parents: dict[int, int] = {}
    for r in raw_rows(conn, query + " ORDER BY id", tuple(params)):
        tracks[r[0]] = Track(id=r[0], frame=r[2], label_id=r[3], group=r[4], source=r[5],
                             attributes=unpack_attributes(r[6]), uid=uid_text(r[8]))
        if r[7] is not None:
            parents[r[0]] = r[7]
    if not tracks:
        return []
    shapes_by_track: dict[int, list[TrackedShape]] = defaultdict(list)
    rows = raw_rows(
        conn,
        f"SELECT {TRACK_SHAPE_COLUMNS} FROM track_shape WHERE track_id IN "
        "(SELECT id FROM track WHERE job_id = ?) ORDER BY track_id, frame",
        (job_id,),
    )
    for r in rows:
        if r[1] in tracks:
            shapes_by_track[r[1]].append(
                TrackedShape(id=r[0], frame=r[2], type=r[3], points=unpack_points(r[4]), rotation=r[5],
                             occluded=bool(r[6]), outside=bool(r[7]), z_order=r[8],
                             attributes=unpack_attributes(r[9]))
            )
    tops = []
    for track_id, track in tracks.items():
        track.shapes = shapes_by_track.get(track_id, [])
        parent_id = parents.get(track_id)
        if parent_id is None:
            tops.append(track)
        elif parent_id in tracks:
            tracks[parent_id].elements.append(track)
    return tops


def select_frame_range(conn: Connection, job_id: int, first: int | None, stop: int | None, *,
                       by_frame: bool = False, uids: bool = True) -> Annotations:
    """The shapes (with their skeleton elements: same frame) and tags of frames ``first <= frame < stop``
    (``None``: unbounded on that side), in id order, or with ``by_frame`` in (frame, id) order (the order of
    the (job, frame) index: no sort). No tracks: they span frames, see :func:`select_tracks`. Without ``uids``
    the shapes' ``uid`` is None (an export, which has no use for them, reads a sixth faster)."""
    where, params = "job_id = ?", [job_id]
    if first is not None:
        where += " AND frame >= ?"
        params.append(int(first))
    if stop is not None:
        where += " AND frame < ?"
        params.append(int(stop))
    order = "frame, id" if by_frame else "id"
    with paused_gc():  # the fetch too: it makes a tuple per row
        columns = SHAPE_COLUMNS if uids else _SHAPE_COLUMNS_NO_UID
        shapes = _assemble(raw_rows(conn, f"SELECT {columns} FROM shape WHERE {where} ORDER BY {order}",
                                    tuple(params)))
        tags = [_tag_from_row(r) for r in raw_rows(
            conn, f"SELECT {TAG_COLUMNS} FROM tag WHERE {where} ORDER BY {order}", tuple(params))]
    return Annotations(shapes=shapes, tags=tags)


def select_annotations(conn: Connection, job_id: int) -> Annotations:
    return Annotations(
        shapes=select_shapes(conn, job_id), tracks=select_tracks(conn, job_id), tags=select_tags(conn, job_id)
    )


def iter_shape_batches(conn: Connection, job_id: int, size: int = 5000) -> Iterator[list[Shape]]:
    """A job's shapes in id order (as :func:`select_shapes` lists them), ``size`` top-level shapes at a time with
    their skeleton elements: a 500k-shape job read in order without holding it whole."""
    query = f"SELECT {SHAPE_COLUMNS} FROM shape WHERE job_id = ? AND parent_id IS NULL ORDER BY id"
    batch: list[tuple] = []
    for row in iter_rows(conn, query, (job_id,), size):
        batch.append(row)
        if len(batch) >= size:
            yield _with_elements(conn, job_id, batch)
            batch = []
    if batch:
        yield _with_elements(conn, job_id, batch)


def _with_elements(conn: Connection, job_id: int, tops: list[tuple]) -> list[Shape]:
    parents = [row[0] for row in tops if row[4] == ShapeType.SKELETON.value]
    rows = list(tops)
    for k in range(0, len(parents), 500):  # well under every driver's limit on query parameters
        part = parents[k:k + 500]
        marks = ", ".join("?" for _ in part)
        rows += raw_rows(conn, f"SELECT {SHAPE_COLUMNS} FROM shape WHERE job_id = ? AND parent_id IN ({marks}) "
                               "ORDER BY id", (job_id, *part))
    return _assemble_shapes(rows)


def iter_tag_batches(conn: Connection, job_id: int, size: int = 5000) -> Iterator[list[Tag]]:
    """A job's tags in id order, ``size`` at a time."""
    batch: list[Tag] = []
    for row in iter_rows(conn, f"SELECT {TAG_COLUMNS} FROM tag WHERE job_id = ? ORDER BY id", (job_id,), size):
        batch.append(_tag_from_row(row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch

"""Project store, annotations of a job: shapes, tracks and tags, reads per job or per frame, atomic
replace (edits and undo), counts. Part of :class:`~app.storage.store.Project`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, text

from app.domain.annotations import Annotations, Shape, Tag, Track
from app.storage import annotation_rows as rows
from app.storage.errors import StaleJobError
from app.storage.store_base import StoreBase
from app.storage.timeutil import now_iso

_TOUCH = text(
    "UPDATE job SET revision = revision + 1, updated = :updated, "
    "state = CASE WHEN state = 'new' THEN 'in progress' ELSE state END WHERE id = :job_id RETURNING revision"
)
# The version check: the bump only happens when the job is still at the version this handle last saw.
_TOUCH_CHECKED = text(
    "UPDATE job SET revision = revision + 1, updated = :updated, "
    "state = CASE WHEN state = 'new' THEN 'in progress' ELSE state END "
    "WHERE id = :job_id AND revision = :expected RETURNING revision"
)


class AnnotationsMixin(StoreBase):

    def track_job(self, job_id: int) -> int:
        """Start (or restart, after a reload) checking writes of ``job_id`` against its current version.

        From now on a write of this job's annotations through this handle is refused with
        :class:`StaleJobError` when another handle (another workstation) wrote the job in between.
        Returns the version (the job's ``revision``)."""
        revision = self.job(job_id).revision
        self._job_versions[job_id] = revision
        return revision

    def untrack_job(self, job_id: int) -> None:
        self._job_versions.pop(job_id, None)

    def _touch(self, conn: Connection, job_id: int) -> None:
        """Bump the job's version in the write's own transaction; for a tracked job, only from the version
        this handle saw (else the whole write is rolled back: never a silent overwrite)."""
        self._check_lease(conn, job_id)
        expected = self._job_versions.get(job_id)
        if expected is None:
            revision = conn.execute(_TOUCH, {"updated": now_iso(), "job_id": job_id}).scalar()
        else:
            revision = conn.execute(
                _TOUCH_CHECKED, {"updated": now_iso(), "job_id": job_id, "expected": expected}).scalar()
            if revision is None:
                current = conn.execute(text("SELECT revision FROM job WHERE id = :id"), {"id": job_id}).scalar()
                raise StaleJobError(job_id, expected, current)
            self._job_versions[job_id] = int(revision)
        if revision is not None:
            self._job_written[job_id] = int(revision)  # live updates skip the echo of this process's own writes
        self._tell_others("annotations", job_id, None if revision is None else int(revision))

    def annotations(self, job_id: int) -> Annotations:
        """Every shape, track and tag of a job."""
        return rows.select_annotations(self.conn, job_id)

    def frame_range_annotations(self, job_id: int, first: int | None, stop: int | None, *,
                                by_frame: bool = False, uids: bool = True) -> Annotations:
        """Shapes and tags of frames ``first <= frame < stop`` (``None``: unbounded); no tracks. For reading
        a large job in bounded memory, chunk by chunk. In id order (as :meth:`annotations`), or with ``by_frame``
        in frame order then id order (faster: no sort). Without ``uids`` the shapes come without their uid
        (faster; for exports)."""
        return rows.select_frame_range(self.conn, job_id, first, stop, by_frame=by_frame, uids=uids)

    def shape_batches(self, job_id: int, size: int = 5000) -> Iterator[list[Shape]]:
        """A job's shapes in the order :meth:`annotations` lists them, ``size`` (with their skeleton elements)
        at a time: for reading a large job in order in bounded memory."""
        return rows.iter_shape_batches(self.conn, job_id, size)

    def tag_batches(self, job_id: int, size: int = 5000) -> Iterator[list[Tag]]:
        """A job's tags in the order :meth:`annotations` lists them, ``size`` at a time."""
        return rows.iter_tag_batches(self.conn, job_id, size)

    def frame_shapes(self, job_id: int, frame: int) -> list[Shape]:
        """The plain shapes of one frame (tracks are per job: see :meth:`tracks`)."""
        return rows.select_shapes(self.conn, job_id, frame)

    def frame_tags(self, job_id: int, frame: int) -> list[Tag]:
        return rows.select_tags(self.conn, job_id, frame)

    def tracks(self, job_id: int, track_ids: Sequence[int] | None = None) -> list[Track]:
        return rows.select_tracks(self.conn, job_id, track_ids)

    def add_annotations(self, job_id: int, annotations: Annotations, *, keep_uids: bool = False) -> Annotations:
        """Insert shapes, tracks and tags (ids are set on the objects) in one transaction. With ``keep_uids``
        objects keep the uids they carry (a field package's job, built with the source's objects)."""
        with self.transaction() as conn:
            rows.insert_shapes(conn, job_id, annotations.shapes, keep_uids=keep_uids)
            rows.insert_tracks(conn, job_id, annotations.tracks, keep_uids=keep_uids)
            rows.insert_tags(conn, job_id, annotations.tags, keep_uids=keep_uids)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return annotations

    def add_shapes(self, job_id: int, shapes: Sequence[Shape]) -> list[int]:
        with self.transaction() as conn:
            ids = rows.insert_shapes(conn, job_id, shapes)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return ids

    def add_tracks(self, job_id: int, tracks: Sequence[Track]) -> list[int]:
        with self.transaction() as conn:
            ids = rows.insert_tracks(conn, job_id, tracks)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return ids

    def add_tags(self, job_id: int, tags: Sequence[Tag]) -> list[int]:
        with self.transaction() as conn:
            ids = rows.insert_tags(conn, job_id, tags)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return ids

    def delete_annotations(
        self, job_id: int, *, shape_ids: Sequence[int] = (), track_ids: Sequence[int] = (), tag_ids: Sequence[int] = ()
    ) -> None:
        with self.transaction() as conn:
            rows.delete_rows(conn, "shape", shape_ids)
            rows.delete_rows(conn, "track", track_ids)
            rows.delete_rows(conn, "tag", tag_ids)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)

    def replace_annotations(
        self,
        job_id: int,
        *,
        remove_shapes: Sequence[int] = (),
        remove_tracks: Sequence[int] = (),
        remove_tags: Sequence[int] = (),
        add: Annotations | None = None,
        keep_ids: bool = True,
        keep_uids: bool = False,
    ) -> Annotations:
        """Remove the given rows and insert ``add``, atomically. With ``keep_ids`` objects that carry an
        id are re-inserted under that same id (this is how an edit or an undo restores an object); with
        ``keep_uids`` new rows keep the uids their objects carry (a merged field package)."""
        add = add or Annotations()
        with self.transaction() as conn:
            rows.delete_rows(conn, "shape", remove_shapes)
            rows.delete_rows(conn, "track", remove_tracks)
            rows.delete_rows(conn, "tag", remove_tags)
            rows.insert_shapes(conn, job_id, add.shapes, keep_ids=keep_ids, keep_uids=keep_uids)
            rows.insert_tracks(conn, job_id, add.tracks, keep_ids=keep_ids, keep_uids=keep_uids)
            rows.insert_tags(conn, job_id, add.tags, keep_ids=keep_ids, keep_uids=keep_uids)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return add

    def clear_annotations(self, job_id: int, frames: Sequence[int] | None = None) -> None:
        """Delete all annotations of a job, or the shapes and tags of some frames."""
        with self.transaction() as conn:
            rows.clear_job(conn, job_id, frames)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)

    def counts(self, job_id: int | None = None, task_id: int | None = None) -> dict[str, Any]:
        """Annotation counts per kind, per shape type and per label name, for a job, a task or the project."""
        where, params = "", {}
        if job_id is not None:
            where, params = "WHERE job_id = :job_id", {"job_id": job_id}
        elif task_id is not None:
            where, params = "WHERE job_id IN (SELECT id FROM job WHERE task_id = :task_id)", {"task_id": task_id}
        labels = self.labels()

        def name(label_id: int) -> str:
            label = labels.get(label_id)
            return label.name if label is not None else f"#{label_id}"

        conn = self.conn
        by_type: dict[str, int] = {}
        by_label: dict[str, int] = {}
        top = f"{where} {'AND' if where else 'WHERE'} parent_id IS NULL"
        for shape_type, label_id, n in conn.execute(
            text(f"SELECT type, label_id, COUNT(*) FROM shape {top} GROUP BY type, label_id"), params
        ):
            by_type[shape_type] = by_type.get(shape_type, 0) + n
            by_label[name(label_id)] = by_label.get(name(label_id), 0) + n
        shapes = sum(by_type.values())
        tracks = 0
        track_types: dict[str, int] = {}
        for label_id, first_type, n in conn.execute(text(
            "SELECT label_id, first_type, COUNT(*) FROM (SELECT label_id, (SELECT type FROM track_shape "
            f"WHERE track_id = track.id ORDER BY frame LIMIT 1) AS first_type FROM track {top}) AS t "
            "GROUP BY label_id, first_type"), params
        ):
            tracks += n
            track_types[first_type or "unknown"] = track_types.get(first_type or "unknown", 0) + n
            by_label[name(label_id)] = by_label.get(name(label_id), 0) + n
        tags = 0
        for label_id, n in conn.execute(
            text(f"SELECT label_id, COUNT(*) FROM tag {where} GROUP BY label_id"), params
        ):
            tags += n
            by_label[name(label_id)] = by_label.get(name(label_id), 0) + n
        if tags:
            by_type["tag"] = tags
        return {"shapes": shapes, "tracks": tracks, "tags": tags, "by_type": by_type, "track_types": track_types,
                "by_label": by_label}


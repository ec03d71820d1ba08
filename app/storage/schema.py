"""The current (head) schema as SQLAlchemy Core tables. Migrations in ``migrations/versions`` build it.

The same tables on SQLite and PostgreSQL: dialect-neutral types only (points are float64 arrays in a
``LargeBinary``: BLOB / BYTEA; JSON is kept as text, written by :mod:`json` and read back exactly on both;
timestamps are UTC ISO 8601 text). Shapes, tracks, tags, jobs and tasks carry ``uid``, a UUID made by
the client that wrote the row, so objects made away from the server (field packages, copies) keep a
stable identity; the integer ``id`` stays the local row id every other part of the app uses.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql

# Named constraints, so migrations can drop or alter them on both dialects (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
UID_LENGTH = 36  # str(uuid.uuid4()), dashed: the text SQLite stores and the store hands out on both engines
# Native ``uuid`` on PostgreSQL: 16 bytes and fast comparisons (a text key made bulk inserts 2x slower).
UID_TYPE = String(UID_LENGTH).with_variant(postgresql.UUID(as_uuid=False), "postgresql")

metadata = MetaData(naming_convention=NAMING_CONVENTION)

project = Table(
    "project",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("created", String, nullable=False),
    Column("settings", Text, nullable=False, default="{}"),
    Column("quality_settings", Text, nullable=False, default="{}"),
)

label = Table(
    "label",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("color", String, nullable=False, default=""),
    Column("type", String, nullable=False, default="any"),
    Column("parent_id", Integer, ForeignKey("label.id", ondelete="CASCADE")),
    Column("position", Integer, nullable=False, default=0),
    Column("edges", Text, nullable=False, default="[]"),
)

attribute_spec = Table(
    "attribute_spec",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label_id", Integer, ForeignKey("label.id", ondelete="CASCADE"), nullable=False),
    Column("name", String, nullable=False),
    Column("input_type", String, nullable=False),
    Column("mutable", Boolean, nullable=False, default=False),
    Column("values", Text, nullable=False, default="[]"),
    Column("default_value", String, nullable=False, default=""),
    Column("position", Integer, nullable=False, default=0),
)

task = Table(
    "task",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", UID_TYPE, nullable=False),
    Column("name", String, nullable=False),
    Column("mode", String, nullable=False, default="annotation"),
    Column("media_type", String, nullable=False, default="images"),
    Column("video_path", String, nullable=False, default=""),
    Column("segment_size", Integer, nullable=False, default=0),
    Column("overlap", Integer, nullable=False, default=0),
    Column("consensus_replicas", Integer, nullable=False, default=0),
    Column("subset", String, nullable=False, default=""),
    Column("created", String, nullable=False),
    Column("options", Text, nullable=False, default="{}"),
    Column("quality_settings", Text),  # NULL: inherit the project's
    Index("uq_task_uid", "uid", unique=True),
)

frame = Table(
    "frame",
    metadata,
    Column("task_id", Integer, ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("path", String, nullable=False, default=""),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
)

job = Table(
    "job",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", UID_TYPE, nullable=False),
    Column("task_id", Integer, ForeignKey("task.id", ondelete="CASCADE"), nullable=False),
    Column("type", String, nullable=False, default="annotation"),
    Column("stage", String, nullable=False, default="annotation"),
    Column("state", String, nullable=False, default="new"),
    Column("start_frame", Integer, nullable=False),
    Column("stop_frame", Integer, nullable=False),
    Column("frames", Text),  # JSON list when the job has an explicit frame set
    Column("parent_id", Integer, ForeignKey("job.id", ondelete="CASCADE")),
    Column("assignee", String, nullable=False, default=""),
    Column("revision", Integer, nullable=False, default=0),
    Column("created", String, nullable=False),
    Column("updated", String, nullable=False),
    Column("options", Text, nullable=False, default="{}"),
    Index("uq_job_uid", "uid", unique=True),
)

shape = Table(
    "shape",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", UID_TYPE, nullable=False),
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
    Column("frame", Integer, nullable=False),
    Column("label_id", Integer, nullable=False),
    Column("type", String, nullable=False),
    Column("points", LargeBinary, nullable=False),
    Column("rotation", Float, nullable=False, default=0.0),
    Column("occluded", Boolean, nullable=False, default=False),
    Column("outside", Boolean, nullable=False, default=False),
    Column("z_order", Integer, nullable=False, default=0),
    Column("group_id", Integer, nullable=False, default=0),
    Column("source", String, nullable=False, default="manual"),
    Column("score", Float, nullable=False, default=1.0),
    Column("attributes", Text),
    Column("parent_id", Integer, ForeignKey("shape.id", ondelete="CASCADE")),
    Index("ix_shape_job_frame", "job_id", "frame"),
    Index("ix_shape_parent", "parent_id"),
    Index("uq_shape_uid", "uid", unique=True),
)

track = Table(
    "track",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", UID_TYPE, nullable=False),
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
    Column("frame", Integer, nullable=False),
    Column("label_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=False, default=0),
    Column("source", String, nullable=False, default="manual"),
    Column("attributes", Text),
    Column("parent_id", Integer, ForeignKey("track.id", ondelete="CASCADE")),
    Index("ix_track_job", "job_id"),
    Index("ix_track_parent", "parent_id"),
    Index("uq_track_uid", "uid", unique=True),
)

track_shape = Table(
    "track_shape",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("track_id", Integer, ForeignKey("track.id", ondelete="CASCADE"), nullable=False),
    Column("frame", Integer, nullable=False),
    Column("type", String, nullable=False),
    Column("points", LargeBinary, nullable=False),
    Column("rotation", Float, nullable=False, default=0.0),
    Column("occluded", Boolean, nullable=False, default=False),
    Column("outside", Boolean, nullable=False, default=False),
    Column("z_order", Integer, nullable=False, default=0),
    Column("attributes", Text),
    Index("ix_track_shape_track", "track_id", "frame"),
)

tag = Table(
    "tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", UID_TYPE, nullable=False),
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
    Column("frame", Integer, nullable=False),
    Column("label_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=False, default=0),
    Column("source", String, nullable=False, default="manual"),
    Column("attributes", Text),
    Column("score", Float, nullable=False, default=1.0),
    Index("ix_tag_job_frame", "job_id", "frame"),
    Index("uq_tag_uid", "uid", unique=True),
)

quality_report = Table(
    "quality_report",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String, nullable=False),  # "job" | "task" | "project"
    Column("target_id", Integer, nullable=False),
    Column("parent_id", Integer, ForeignKey("quality_report.id", ondelete="CASCADE")),
    Column("created", String, nullable=False),
    Column("settings", Text, nullable=False),
    Column("revisions", Text, nullable=False, default="{}"),  # job id -> revision at compute time
    Column("summary", Text, nullable=False, default="{}"),
    Column("data", Text, nullable=False, default="{}"),
    Index("ix_quality_report_target", "scope", "target_id"),
)

annotation_run = Table(
    "annotation_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("task.id", ondelete="CASCADE"), nullable=False),
    Column("run_key", Text, nullable=False),  # the function and options, as JSON: what --resume matches
    Column("description", Text, nullable=False, default=""),
    Column("options", Text, nullable=False, default="{}"),  # how to continue it (clear_existing, ...)
    Column("state", String, nullable=False, default="running"),  # running | cancelled | done | undone | superseded
    Column("frames_total", Integer, nullable=False, default=0),
    Column("created", String, nullable=False),
    Column("updated", String, nullable=False),
    Index("ix_annotation_run_task", "task_id", "state"),
)

annotation_run_frame = Table(
    "annotation_run_frame",
    metadata,
    Column("run_id", Integer, ForeignKey("annotation_run.id", ondelete="CASCADE"), primary_key=True),
    Column("frame", Integer, primary_key=True),  # task frame index
)

# Who edits which job (app/storage/store_leases.py); times are seconds since the epoch by the server's clock.
job_lease = Table(
    "job_lease",
    metadata,
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("token", String(36), nullable=False),
    Column("user_name", String, nullable=False),
    Column("host", String, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("since", Float, nullable=False),
    Column("heartbeat", Float, nullable=False),
    Column("expires", Float, nullable=False),
)

"""Initial schema: project, labels, attributes, tasks, frames, jobs, shapes, tracks, tags.

Written with dialect-neutral types so that the same revision builds the schema on SQLite and on
PostgreSQL (``Integer`` primary keys: SQLite's rowid, PostgreSQL's SERIAL; ``LargeBinary``: BLOB / BYTEA).

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ["tag", "track_shape", "track", "shape", "job", "frame", "task", "attribute_spec", "label", "project"]


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{target}.id", ondelete="CASCADE"), nullable=nullable)


def _str(name: str, default: str | None = None) -> sa.Column:
    return sa.Column(name, sa.String, nullable=False, server_default=default)


def _int(name: str, default: str | None = "0") -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default=default)


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())


def _annotation_columns() -> list[sa.Column]:
    return [_int("frame", None), _int("label_id", None)]


def upgrade() -> None:
    op.create_table("project", _id(), _str("name"), _str("created"),
                    sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
                    sa.Column("quality_settings", sa.Text, nullable=False, server_default="{}"))
    op.create_table("label", _id(), _str("name"), _str("color", ""), _str("type", "any"), _ref("parent_id", "label"),
                    _int("position"), sa.Column("edges", sa.Text, nullable=False, server_default="[]"))
    op.create_table("attribute_spec", _id(), _ref("label_id", "label", nullable=False), _str("name"),
                    _str("input_type"), _flag("mutable"),
                    sa.Column("values", sa.Text, nullable=False, server_default="[]"),
                    _str("default_value", ""), _int("position"))
    op.create_table("task", _id(), _str("name"), _str("mode", "annotation"), _str("media_type", "images"),
                    _str("video_path", ""), _int("segment_size"), _int("overlap"), _int("consensus_replicas"),
                    _str("subset", ""), _str("created"))
    op.create_table("frame", sa.Column("task_id", sa.Integer, sa.ForeignKey("task.id", ondelete="CASCADE"),
                                       primary_key=True),
                    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False), _str("name"),
                    _str("path", ""), _int("width", None), _int("height", None))
    op.create_table("job", _id(), _ref("task_id", "task", nullable=False), _str("type", "annotation"),
                    _str("stage", "annotation"), _str("state", "new"), _int("start_frame", None),
                    _int("stop_frame", None), sa.Column("frames", sa.Text), _ref("parent_id", "job"),
                    _str("assignee", ""), _str("created"), _str("updated"))
    op.create_table("shape", _id(), _ref("job_id", "job", nullable=False), *_annotation_columns(), _str("type"),
                    sa.Column("points", sa.LargeBinary, nullable=False),
                    sa.Column("rotation", sa.Float, nullable=False, server_default="0"), _flag("occluded"),
                    _flag("outside"), _int("z_order"), _int("group_id"), _str("source", "manual"),
                    sa.Column("score", sa.Float, nullable=False, server_default="1.0"),
                    sa.Column("attributes", sa.Text), _ref("parent_id", "shape"))
    op.create_index("ix_shape_job_frame", "shape", ["job_id", "frame"])
    op.create_index("ix_shape_parent", "shape", ["parent_id"])
    op.create_table("track", _id(), _ref("job_id", "job", nullable=False), *_annotation_columns(),
                    _int("group_id"), _str("source", "manual"), sa.Column("attributes", sa.Text),
                    _ref("parent_id", "track"))
    op.create_index("ix_track_job", "track", ["job_id"])
    op.create_index("ix_track_parent", "track", ["parent_id"])
    op.create_table("track_shape", _id(), _ref("track_id", "track", nullable=False), _int("frame", None),
                    _str("type"), sa.Column("points", sa.LargeBinary, nullable=False),
                    sa.Column("rotation", sa.Float, nullable=False, server_default="0"), _flag("occluded"),
                    _flag("outside"), _int("z_order"), sa.Column("attributes", sa.Text))
    op.create_index("ix_track_shape_track", "track_shape", ["track_id", "frame"])
    op.create_table("tag", _id(), _ref("job_id", "job", nullable=False), *_annotation_columns(),
                    _int("group_id"), _str("source", "manual"), sa.Column("attributes", sa.Text))
    op.create_index("ix_tag_job_frame", "tag", ["job_id", "frame"])


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)

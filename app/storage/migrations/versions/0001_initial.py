"""Initial schema: project, labels, attributes, tasks, frames, jobs, shapes, tracks, tags.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DDL = [
    """CREATE TABLE project (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, created VARCHAR NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}', quality_settings TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE label (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, color VARCHAR NOT NULL DEFAULT '',
        type VARCHAR NOT NULL DEFAULT 'any', parent_id INTEGER REFERENCES label(id) ON DELETE CASCADE,
        position INTEGER NOT NULL DEFAULT 0, edges TEXT NOT NULL DEFAULT '[]')""",
    """CREATE TABLE attribute_spec (id INTEGER PRIMARY KEY,
        label_id INTEGER NOT NULL REFERENCES label(id) ON DELETE CASCADE, name VARCHAR NOT NULL,
        input_type VARCHAR NOT NULL, mutable BOOLEAN NOT NULL DEFAULT 0, "values" TEXT NOT NULL DEFAULT '[]',
        default_value VARCHAR NOT NULL DEFAULT '', position INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE task (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, mode VARCHAR NOT NULL DEFAULT 'annotation',
        media_type VARCHAR NOT NULL DEFAULT 'images', video_path VARCHAR NOT NULL DEFAULT '',
        segment_size INTEGER NOT NULL DEFAULT 0, overlap INTEGER NOT NULL DEFAULT 0,
        consensus_replicas INTEGER NOT NULL DEFAULT 0, subset VARCHAR NOT NULL DEFAULT '',
        created VARCHAR NOT NULL)""",
    """CREATE TABLE frame (task_id INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
        name VARCHAR NOT NULL, path VARCHAR NOT NULL DEFAULT '', width INTEGER NOT NULL, height INTEGER NOT NULL,
        PRIMARY KEY (task_id, idx))""",
    """CREATE TABLE job (id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
        type VARCHAR NOT NULL DEFAULT 'annotation', stage VARCHAR NOT NULL DEFAULT 'annotation',
        state VARCHAR NOT NULL DEFAULT 'new', start_frame INTEGER NOT NULL, stop_frame INTEGER NOT NULL,
        frames TEXT, parent_id INTEGER REFERENCES job(id) ON DELETE CASCADE, assignee VARCHAR NOT NULL DEFAULT '',
        created VARCHAR NOT NULL, updated VARCHAR NOT NULL)""",
    """CREATE TABLE shape (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
        frame INTEGER NOT NULL, label_id INTEGER NOT NULL, type VARCHAR NOT NULL, points BLOB NOT NULL,
        rotation FLOAT NOT NULL DEFAULT 0, occluded BOOLEAN NOT NULL DEFAULT 0, outside BOOLEAN NOT NULL DEFAULT 0,
        z_order INTEGER NOT NULL DEFAULT 0, group_id INTEGER NOT NULL DEFAULT 0,
        source VARCHAR NOT NULL DEFAULT 'manual', score FLOAT NOT NULL DEFAULT 1.0, attributes TEXT,
        parent_id INTEGER REFERENCES shape(id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_shape_job_frame ON shape (job_id, frame)",
    "CREATE INDEX ix_shape_parent ON shape (parent_id)",
    """CREATE TABLE track (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
        frame INTEGER NOT NULL, label_id INTEGER NOT NULL, group_id INTEGER NOT NULL DEFAULT 0,
        source VARCHAR NOT NULL DEFAULT 'manual', attributes TEXT,
        parent_id INTEGER REFERENCES track(id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_track_job ON track (job_id)",
    "CREATE INDEX ix_track_parent ON track (parent_id)",
    """CREATE TABLE track_shape (id INTEGER PRIMARY KEY,
        track_id INTEGER NOT NULL REFERENCES track(id) ON DELETE CASCADE, frame INTEGER NOT NULL,
        type VARCHAR NOT NULL, points BLOB NOT NULL, rotation FLOAT NOT NULL DEFAULT 0,
        occluded BOOLEAN NOT NULL DEFAULT 0, outside BOOLEAN NOT NULL DEFAULT 0,
        z_order INTEGER NOT NULL DEFAULT 0, attributes TEXT)""",
    "CREATE INDEX ix_track_shape_track ON track_shape (track_id, frame)",
    """CREATE TABLE tag (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
        frame INTEGER NOT NULL, label_id INTEGER NOT NULL, group_id INTEGER NOT NULL DEFAULT 0,
        source VARCHAR NOT NULL DEFAULT 'manual', attributes TEXT)""",
    "CREATE INDEX ix_tag_job_frame ON tag (job_id, frame)",
]

TABLES = ["tag", "track_shape", "track", "shape", "job", "frame", "task", "attribute_spec", "label", "project"]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)

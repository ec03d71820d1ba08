"""Client-generated UUIDs (``uid``) on tasks, jobs, shapes, tracks and tags: a stable identity for
objects made away from the server (field packages, copies between projects). Existing rows get a
fresh UUID each; new rows get theirs from the client that inserts them.

Revision ID: 0005
Revises: 0003  (re-point ``down_revision`` to "0004" when the task-subset revision is merged)
Create Date: 2026-12-03
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("task", "job", "shape", "track", "tag")
BATCH = 20_000


def _fill(table: str) -> None:
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table} WHERE uid IS NULL"))]
    update = sa.text(f"UPDATE {table} SET uid = :uid WHERE id = :id")
    for start in range(0, len(ids), BATCH):
        conn.execute(update, [{"uid": str(uuid.uuid4()), "id": i} for i in ids[start:start + BATCH]])


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("uid", sa.String(36), nullable=True))
        _fill(table)
        with op.batch_alter_table(table) as batch:
            batch.alter_column("uid", existing_type=sa.String(36), nullable=False)
        op.create_index(f"uq_{table}_uid", table, ["uid"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"uq_{table}_uid", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("uid")

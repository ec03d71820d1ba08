"""Client-generated UUIDs (``uid``) on tasks, jobs, shapes, tracks and tags: a stable identity for
objects made away from the server (field packages, copies between projects). Existing rows get a
fresh UUID each; new rows get theirs from the client that inserts them. On PostgreSQL also the
function that hands out blocks of row ids to the many writers of a team project.

Revision ID: 0005
Revises: 0003  (re-point ``down_revision`` to "0004" when the task-subset revision is merged)
Create Date: 2026-12-03
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("task", "job", "shape", "track", "tag")
# Text on SQLite, native uuid on PostgreSQL (as app/storage/schema.py; spelled out: revisions are frozen).
UID_TYPE = sa.String(36).with_variant(postgresql.UUID(as_uuid=False), "postgresql")
BATCH = 20_000


def _fill(table: str) -> None:
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table} WHERE uid IS NULL"))]
    update = sa.text(f"UPDATE {table} SET uid = :uid WHERE id = :id")
    for start in range(0, len(ids), BATCH):
        conn.execute(update, [{"uid": str(uuid.uuid4()), "id": i} for i in ids[start:start + BATCH]])


# PostgreSQL: a block of row ids in one round trip. nextval + setval under a short advisory lock (held
# only inside the call, not for the transaction), so concurrent allocators never hand out the same ids.
ALLOCATE_IDS = """
CREATE OR REPLACE FUNCTION fieldmark_allocate_ids(seq regclass, n integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE first_id bigint;
BEGIN
    PERFORM pg_advisory_lock(seq::oid::bigint);
    first_id := nextval(seq);
    IF n > 1 THEN
        PERFORM setval(seq, first_id + n - 1);
    END IF;
    PERFORM pg_advisory_unlock(seq::oid::bigint);
    RETURN first_id;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ALLOCATE_IDS)
    for table in TABLES:
        op.add_column(table, sa.Column("uid", UID_TYPE, nullable=True))
        _fill(table)
        with op.batch_alter_table(table) as batch:
            batch.alter_column("uid", existing_type=UID_TYPE, nullable=False)
        op.create_index(f"uq_{table}_uid", table, ["uid"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"uq_{table}_uid", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("uid")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION fieldmark_allocate_ids(regclass, integer)")

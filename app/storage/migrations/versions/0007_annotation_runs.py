"""Auto-annotation runs and the frames each finished, so that a killed or cancelled run can be resumed.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=False),
        sa.Column("run_key", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("options", sa.Text, nullable=False, server_default="{}"),
        sa.Column("state", sa.String, nullable=False, server_default="running"),
        sa.Column("frames_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", sa.String, nullable=False),
        sa.Column("updated", sa.String, nullable=False),
    )
    op.create_index("ix_annotation_run_task", "annotation_run", ["task_id", "state"])
    op.create_table(
        "annotation_run_frame",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("annotation_run.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("frame", sa.Integer, primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("annotation_run_frame")
    op.drop_index("ix_annotation_run_task", table_name="annotation_run")
    op.drop_table("annotation_run")

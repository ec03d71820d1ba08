"""Quality reports, per-task quality settings, job revisions and free-form options on tasks and jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("options", sa.Text, nullable=False, server_default="{}"))
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("options", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("quality_settings", sa.Text, nullable=True))
    op.create_table(
        "quality_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String, nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("quality_report.id", ondelete="CASCADE")),
        sa.Column("created", sa.String, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("revisions", sa.Text, nullable=False, server_default="{}"),
        sa.Column("summary", sa.Text, nullable=False, server_default="{}"),
        sa.Column("data", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_quality_report_target", "quality_report", ["scope", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_quality_report_target", "quality_report")
    op.drop_table("quality_report")
    with op.batch_alter_table("task") as batch:
        batch.drop_column("quality_settings")
        batch.drop_column("options")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("options")
        batch.drop_column("revision")

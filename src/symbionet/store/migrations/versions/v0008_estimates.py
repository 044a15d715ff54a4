"""Stream estimates: where a stream's quantity comes from (provenance) and its range on
streams; the size of each site (employees, production, floor area) and its own activity.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("streams", sa.Column("provenance", sa.Text(), nullable=True))
    op.add_column("streams", sa.Column("quantity_low", sa.Double(), nullable=True))
    op.add_column("streams", sa.Column("quantity_high", sa.Double(), nullable=True))
    op.add_column("sites", sa.Column("nace", sa.Text(), nullable=True))
    op.add_column("sites", sa.Column("employees", sa.BigInteger(), nullable=True))
    op.add_column("sites", sa.Column("production", sa.Double(), nullable=True))
    op.add_column("sites", sa.Column("production_unit", sa.Text(), nullable=True))
    op.add_column("sites", sa.Column("floor_area_m2", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as sites:
        for column in ("floor_area_m2", "production_unit", "production", "employees", "nace"):
            sites.drop_column(column)
    with op.batch_alter_table("streams") as streams:
        for column in ("quantity_high", "quantity_low", "provenance"):
            streams.drop_column(column)

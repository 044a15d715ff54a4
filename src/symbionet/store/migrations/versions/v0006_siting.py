"""Land prices, adjacency and quays of free plots, and rail sidings of sites.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plots", sa.Column("price", sa.Double(), nullable=True))
    op.add_column("plots", sa.Column("adjacent", sa.Text(), nullable=True))
    op.add_column("plots", sa.Column("port", sa.Boolean(), nullable=True))
    op.add_column("sites", sa.Column("rail", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as sites:
        sites.drop_column("rail")
    with op.batch_alter_table("plots") as plots:
        for column in ("port", "adjacent", "price"):
            plots.drop_column(column)

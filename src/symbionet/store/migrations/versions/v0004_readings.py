"""Metered readings: one row per park, meter and time, deleted with their park by a
trigger (a foreign key would check every row of a load on its own); on PostgreSQL
partitioned by park, each park's partition made by its first load.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readings",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("meter", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("flag", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("park_id", "meter", "at"),
        postgresql_partition_by="LIST (park_id)",
    )
    if _postgresql():
        op.execute(
            "CREATE FUNCTION readings_of_deleted_park() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN DELETE FROM readings WHERE park_id = OLD.id; RETURN OLD; END $$"
        )
        op.execute(
            "CREATE TRIGGER readings_of_deleted_park AFTER DELETE ON parks "
            "FOR EACH ROW EXECUTE FUNCTION readings_of_deleted_park()"
        )
    else:
        op.execute(
            "CREATE TRIGGER readings_of_deleted_park AFTER DELETE ON parks FOR EACH ROW "
            "BEGIN DELETE FROM readings WHERE park_id = OLD.id; END"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER readings_of_deleted_park" + (" ON parks" if _postgresql() else ""))
    if _postgresql():
        op.execute("DROP FUNCTION readings_of_deleted_park()")
    op.drop_table("readings")


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")

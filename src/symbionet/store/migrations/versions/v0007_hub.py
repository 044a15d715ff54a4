"""The knowledge hub: organisations' profiles on actors, and the tables of contacts,
facilities and bookings, projects and their partners, funding calls and their rules,
education programmes and by-product solutions.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("actors", sa.Column("size", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("employees", sa.BigInteger(), nullable=True))
    op.add_column("actors", sa.Column("country", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("town", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("language", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("offers", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("needs", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("tags", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("skills_needed", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("trl", sa.BigInteger(), nullable=True))
    op.add_column("actors", sa.Column("reference", sa.Text(), nullable=True))
    op.create_table(
        "contacts",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "facilities",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Double(), nullable=True),
        sa.Column("capacity_unit", sa.Text(), nullable=True),
        sa.Column("price", sa.Double(), nullable=True),
        sa.Column("available_from", sa.Text(), nullable=True),
        sa.Column("available_to", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "bookings",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("facility", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("start", sa.Text(), nullable=False),
        sa.Column("end", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "projects",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=True),
        sa.Column("funder", sa.Text(), nullable=True),
        sa.Column("programme", sa.Text(), nullable=True),
        sa.Column("call", sa.Text(), nullable=True),
        sa.Column("budget", sa.Double(), nullable=True),
        sa.Column("start", sa.Text(), nullable=True),
        sa.Column("end", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("pilots", sa.BigInteger(), nullable=True),
        sa.Column("patents", sa.BigInteger(), nullable=True),
        sa.Column("jobs", sa.BigInteger(), nullable=True),
        sa.Column("publications", sa.BigInteger(), nullable=True),
        sa.Column("synergies", sa.Text(), nullable=True),
        sa.Column("facilities", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "project_partners",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "calls",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("funder", sa.Text(), nullable=True),
        sa.Column("programme", sa.Text(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Text(), nullable=True),
        sa.Column("budget_min", sa.Double(), nullable=True),
        sa.Column("budget_max", sa.Double(), nullable=True),
        sa.Column("cofinancing", sa.Double(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "call_rules",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("call", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("countries", sa.Text(), nullable=True),
        sa.Column("kinds", sa.Text(), nullable=True),
        sa.Column("min", sa.Double(), nullable=True),
        sa.Column("max", sa.Double(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "programmes",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("skills", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("places", sa.BigInteger(), nullable=True),
        sa.Column("town", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )
    op.create_table(
        "solutions",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("takes", sa.Text(), nullable=False),
        sa.Column("gives", sa.Text(), nullable=True),
        sa.Column("yield", sa.Double(), nullable=True),
        sa.Column("capacity", sa.Double(), nullable=True),
        sa.Column("trl", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("park_id", "id"),
    )


def downgrade() -> None:
    op.drop_table("solutions")
    op.drop_table("programmes")
    op.drop_table("call_rules")
    op.drop_table("calls")
    op.drop_table("project_partners")
    op.drop_table("projects")
    op.drop_table("bookings")
    op.drop_table("facilities")
    op.drop_table("contacts")
    with op.batch_alter_table("actors") as actors:
        for column in (
            "reference",
            "trl",
            "skills_needed",
            "tags",
            "needs",
            "offers",
            "language",
            "town",
            "country",
            "employees",
            "size",
        ):
            actors.drop_column(column)

"""The knowledge base and saved plans, as `create_all` made them before migrations.

A database that `create_all` made keeps its tables and data (only what is missing is created),
then gets its first revision.

Revision ID: knowledge_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "knowledge_0001"
down_revision = None
branch_labels = ("knowledge",)
depends_on = None


def _table(name: str, *columns) -> None:
    if not sa.inspect(op.get_bind()).has_table(name):
        op.create_table(name, *columns)


def upgrade() -> None:
    _table("kb_section",
           sa.Column("id", sa.String(16), primary_key=True),
           sa.Column("aspect", sa.String(64), nullable=False),
           sa.Column("position", sa.Integer, nullable=False))
    _table("kb_section_title",
           sa.Column("section_id", sa.String(16), sa.ForeignKey("kb_section.id"), primary_key=True),
           sa.Column("lang", sa.String(2), primary_key=True),
           sa.Column("title", sa.String(200), nullable=False))
    _table("kb_entry",
           sa.Column("id", sa.String(80), primary_key=True),
           sa.Column("kind", sa.String(8), nullable=False),
           sa.Column("aspect", sa.String(32)),
           sa.Column("plan", sa.String(16)),
           sa.Column("section_id", sa.String(16), sa.ForeignKey("kb_section.id"), nullable=False))
    _table("kb_entry_text",
           sa.Column("entry_id", sa.String(80), sa.ForeignKey("kb_entry.id"), primary_key=True),
           sa.Column("lang", sa.String(2), primary_key=True),
           sa.Column("question", sa.Text),
           sa.Column("text", sa.Text, nullable=False))
    _table("kb_plan_name",
           sa.Column("plan_id", sa.String(16), primary_key=True),
           sa.Column("lang", sa.String(2), primary_key=True),
           sa.Column("name", sa.String(120), nullable=False))
    _table("kb_plan_fact",
           sa.Column("plan_id", sa.String(16), primary_key=True),
           sa.Column("key", sa.String(32), primary_key=True),
           sa.Column("lang", sa.String(2), primary_key=True),
           sa.Column("value", sa.String(64), nullable=False),
           sa.Column("section_id", sa.String(16), sa.ForeignKey("kb_section.id"), nullable=False),
           sa.Column("text", sa.Text, nullable=False))
    _table("kb_plan_item",
           sa.Column("plan_id", sa.String(16), primary_key=True),
           sa.Column("list_name", sa.String(32), primary_key=True),
           sa.Column("item_id", sa.String(64), primary_key=True),
           sa.Column("lang", sa.String(2), primary_key=True),
           sa.Column("position", sa.Integer, nullable=False),
           sa.Column("section_id", sa.String(16), sa.ForeignKey("kb_section.id"), nullable=False),
           sa.Column("label", sa.Text, nullable=False))
    _table("kb_term",
           sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
           sa.Column("kind", sa.String(16), nullable=False),
           sa.Column("target", sa.String(32), nullable=False),
           sa.Column("lang", sa.String(2), nullable=False),
           sa.Column("phrase", sa.String(200), nullable=False),
           sa.UniqueConstraint("kind", "target", "lang", "phrase"))
    _table("kb_document",
           sa.Column("name", sa.String(64), primary_key=True),
           sa.Column("body", sa.JSON, nullable=False))
    _table("kb_meta",
           sa.Column("key", sa.String(64), primary_key=True),
           sa.Column("value", sa.Text, nullable=False))
    if not sa.inspect(op.get_bind()).has_table("user_plan"):
        op.create_table("user_plan",
                        sa.Column("id", sa.String(36), primary_key=True),
                        sa.Column("user_id", sa.String(255), nullable=False),
                        sa.Column("language", sa.String(2), nullable=False),
                        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                        sa.Column("body", sa.JSON, nullable=False))
        op.create_index("ix_user_plan_user_id", "user_plan", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_user_plan_user_id", table_name="user_plan")
    for name in ("user_plan", "kb_meta", "kb_document", "kb_term", "kb_plan_item", "kb_plan_fact", "kb_plan_name",
                 "kb_entry_text", "kb_entry", "kb_section_title", "kb_section"):
        op.drop_table(name)

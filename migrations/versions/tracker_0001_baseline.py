"""The windowed tracker store's checkpoints, and the indexes it reads Rasa's `events` by.

Rasa's `events` table is Rasa's: it is created here from Rasa's own definition only when
missing, so that the indexes can be built before the first server starts (Rasa's store would
create the same table). A database the store's constructor prepared before migrations keeps
its tables, data and indexes. On a large PostgreSQL `events` table, create the two indexes
beforehand with `CREATE INDEX CONCURRENTLY` to avoid locking it during the upgrade.

Revision ID: tracker_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "tracker_0001"
down_revision = None
branch_labels = ("tracker",)
depends_on = None

EVENTS_INDEXES = {
    "ix_events_sender_id_id": ["sender_id", "id"],
    "ix_events_sender_id_type_name_id": ["sender_id", "type_name", "id"],
}


def upgrade() -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    bind = op.get_bind()
    SQLTrackerStore.SQLEvent.__table__.create(bind, checkfirst=True)
    existing = {index["name"] for index in sa.inspect(bind).get_indexes("events")}
    for name, columns in EVENTS_INDEXES.items():
        if name not in existing:
            op.create_index(name, "events", columns)
    if not sa.inspect(bind).has_table("tracker_checkpoints"):
        op.create_table("tracker_checkpoints",
                        sa.Column("sender_id", sa.String(255), primary_key=True),
                        sa.Column("event_id", sa.Integer, nullable=False),
                        sa.Column("timestamp", sa.Float),
                        sa.Column("state", sa.Text, nullable=False))


def downgrade() -> None:
    op.drop_table("tracker_checkpoints")
    for name in EVENTS_INDEXES:
        op.drop_index(name, table_name="events")

"""Schema migrations (Alembic) for the tables this project owns, in its two databases.

- `knowledge` (KNOWLEDGE_DB_URL): the knowledge base (`kb_*`, whose rows `advisor kb load`
  replaces) and the saved plans (`user_plan`, user data).
- `tracker` (TRACKER_STORE_URL): `tracker_checkpoints` and the indexes on Rasa's `events` table
  that `bot.stores.AdvisorTrackerStore` reads by.

One script folder with one branch per database (`knowledge@head`, `tracker@head`) and one
version table, so the two may live in one database or in two. `advisor db upgrade` brings both
to their latest revision; `advisor kb load` upgrades the knowledge database first. A new
revision: `.venv/bin/alembic -c migrations/alembic.ini revision --head knowledge@head -m "..."`
(or `tracker@head`), then write its upgrade by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from sqlalchemy.engine import Connection, Engine

DATABASES = ("knowledge", "tracker")
VERSION_TABLE = "advisor_schema_version"
_SCRIPTS = Path(__file__).resolve().parent


class SchemaOutdated(RuntimeError):
    """The database is not at the latest revision of its branch."""


def _config(connection: Optional[Connection] = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head(database: str) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_revision(f"{database}@head").revision


def current(database: str, engine: Engine) -> Optional[str]:
    """The revision of `database`'s branch the database at `engine` is at (None: never upgraded)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads()
    ours = {revision.revision for revision in script.iterate_revisions(f"{database}@head", "base")}
    return next((revision for revision in heads if revision in ours), None)


def upgrade(database: str, engine: Engine, revision: str = "head") -> None:
    """Bring `database`'s tables at `engine` to `revision` of its branch, in one transaction."""
    from alembic import command

    if database not in DATABASES:
        raise ValueError(f"unknown database {database!r} (expected one of {', '.join(DATABASES)})")
    target = f"{database}@{revision}" if revision == "head" else revision
    with engine.begin() as connection:
        command.upgrade(_config(connection), target)


def require_current(database: str, engine: Engine) -> None:
    """Raise SchemaOutdated, saying what to run, unless the database is at its latest revision."""
    if current(database, engine) != head(database):
        raise SchemaOutdated(
            f"the {database} database ({engine.url.render_as_string(hide_password=True)}) is not at the latest "
            "schema revision: run `advisor db upgrade`"
        )

"""Knowledge-base operations the CLI and the servers share: validate, load, export."""

from __future__ import annotations

from pathlib import Path

from knowledge.db import sessions, upgrade_schema
from knowledge.loader import Content, load_content, read_content


def validate(content_dir: Path) -> Content:
    """Read and check the content; raises loader.ContentError with every problem."""
    return read_content(content_dir)


def load(content_dir: Path, db_url: str) -> Content:
    """Validate the content, then replace the knowledge base in one transaction.

    The database is first migrated to the latest schema. Nothing is written unless the whole content is valid, and a failure while writing rolls
    the transaction back, leaving the previous content in place.
    """
    content = read_content(content_dir)
    upgrade_schema("knowledge", db_url)
    with sessions(db_url).begin() as session:
        load_content(content, session)
    return content

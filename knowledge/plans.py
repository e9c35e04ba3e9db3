"""Saved plans: the only module that reads and writes the `user_plan` table.

A plan is saved whole, in one unit of work, when the user finishes building it; nothing is
written while it is being built. Plans are user data: `advisor kb load` never touches them.
Callers get plain frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge import PLAN_ID_PATTERN
from knowledge.models import MAX_USER_ID_CHARS, SavedPlan

_PLAN_ID = re.compile(rf"^{PLAN_ID_PATTERN}$")


class InvalidPlanId(ValueError):
    """The text is not a plan id (plan ids are UUIDs such as 3f2b…-…)."""


@dataclass(frozen=True)
class StoredPlan:
    id: str
    user_id: str
    language: str
    created_at: datetime
    body: Dict[str, Any]


def is_plan_id(text: Any) -> bool:
    return isinstance(text, str) and bool(_PLAN_ID.match(text))


def _stored(row: SavedPlan) -> StoredPlan:
    created = row.created_at
    if created is not None and created.tzinfo is None:  # SQLite drops the time zone
        created = created.replace(tzinfo=timezone.utc)
    return StoredPlan(id=row.id, user_id=row.user_id, language=row.language, created_at=created, body=row.body)


class SavedPlans:
    """Saved plans on the sessionmaker it was given; each call is one short unit of work."""

    def __init__(self, session_factory: "sessionmaker[Session]") -> None:
        self._sessions = session_factory

    def save(self, user_id: str, language: str, body: Dict[str, Any], now: Optional[datetime] = None) -> StoredPlan:
        """Store a finished plan in one transaction and return it with its new id."""
        if not isinstance(user_id, str) or not user_id or len(user_id) > MAX_USER_ID_CHARS:
            raise ValueError(f"a plan needs a user id of 1 to {MAX_USER_ID_CHARS} characters")
        plan = SavedPlan(
            id=str(uuid.uuid4()),
            user_id=user_id,
            language=language,
            created_at=now or datetime.now(timezone.utc),
            body=body,
        )
        with self._sessions.begin() as session:
            session.add(plan)
        return _stored(plan)

    def latest(self, user_id: str) -> Optional[StoredPlan]:
        """The user's most recently saved plan, or None."""
        stmt = (
            select(SavedPlan)
            .where(SavedPlan.user_id == user_id)
            .order_by(SavedPlan.created_at.desc(), SavedPlan.id.desc())
            .limit(1)
        )
        with self._sessions() as session:
            row = session.execute(stmt).scalars().first()
            return _stored(row) if row is not None else None

    def get(self, plan_id: str) -> Optional[StoredPlan]:
        """The plan with this id, or None; raises InvalidPlanId when `plan_id` is not a plan id."""
        if not is_plan_id(plan_id):
            raise InvalidPlanId(plan_id)
        with self._sessions() as session:
            row = session.get(SavedPlan, plan_id)
            return _stored(row) if row is not None else None

    def delete_for_user(self, user_id: str) -> int:
        """Delete every plan saved by `user_id` (a conversation id) in one transaction; the count."""
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValueError("a user id must not be empty")
        bind = self._sessions.kw["bind"]
        if not inspect(bind).has_table(SavedPlan.__tablename__):
            return 0  # nothing was ever saved here; do not create the table just to empty it
        with self._sessions.begin() as session:
            return session.execute(delete(SavedPlan).where(SavedPlan.user_id == user_id)).rowcount


def plans_for(url: str) -> SavedPlans:
    """The saved plans in the database at `url`, on the process's sessionmaker for it."""
    from knowledge.db import sessions

    return SavedPlans(sessions(url))

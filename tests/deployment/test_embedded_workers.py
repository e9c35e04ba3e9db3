"""The embedded deployment (SQLite tracker store and knowledge base) with two Sanic workers.

The workers share one port, the SQLite tracker file and the SQLite lock file
(`LOCK_STORE_URL=sqlite:///...`, bot.locks.SQLiteLockStore). Messages of one conversation sent
at the same moment reach either worker: each must be answered, and handled one at a time. The
intranet channel's rate limit counts in the same file, so the workers enforce one limit together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.tokens import issue_token
from tests.deployment.support import assert_a_burst_is_answered_once_in_order, at_once, new_sender
from tests.support import Assistant, start_assistant, stop_assistant

pytestmark = pytest.mark.servers

RATE_LIMIT = 6


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, model_copy: Path) -> Iterator[Assistant]:
    work = tmp_path_factory.mktemp("embedded-w2")
    assistant = start_assistant(
        work, {"SANIC_WORKERS": "2", "LOCK_STORE_URL": f"sqlite:///{work / 'locks.db'}",
               "ADVISOR_RATE_LIMIT": str(RATE_LIMIT)}, model=model_copy)
    try:
        yield assistant
    finally:
        stop_assistant(assistant)


def test_twenty_messages_at_once_through_two_workers_are_all_answered_once_in_order(two_workers):
    import subprocess

    workers = subprocess.run(["pgrep", "-P", str(two_workers.server_pid)], capture_output=True, text=True).stdout.split()
    assert len(workers) >= 2, "SANIC_WORKERS=2 did not start two worker processes"
    assert_a_burst_is_answered_once_in_order([two_workers])


def test_the_rate_limit_holds_across_both_workers(two_workers):
    """Twenty messages of one employee at once: the workers share one count, so exactly the limit
    passes (a count per worker would let up to twice as many through)."""
    user = new_sender("burst")
    headers = {"Authorization": f"Bearer {issue_token(two_workers.jwt_secret, user)}"}
    sends = 20
    statuses = at_once(sends, lambda _: two_workers.post("/webhooks/intranet/webhook", {"message": "hello"}, headers)[0])
    assert sorted(statuses) == [200] * RATE_LIMIT + [429] * (sends - RATE_LIMIT), statuses

"""The embedded deployment (SQLite tracker store and knowledge base) with two Sanic workers.

The workers share one port, the SQLite tracker file and the SQLite lock file
(`LOCK_STORE_URL=sqlite:///...`, bot.locks.SQLiteLockStore). Messages of one conversation sent
at the same moment reach either worker: each must be answered, and handled one at a time. The
intranet channel's rate limit counts in the same file, so the workers enforce one limit together.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
from rasa.shared.core.events import UserUttered

from bot.channels.rest import conversation_id as rest_conversation_id
from bot.tokens import issue_token
from tests.deployment.test_two_servers import QUESTIONS, assert_turns_do_not_interleave, source_id, text_of
from tests.support import Assistant, start_assistant, stop_assistant, tracker_store_for

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
    import asyncio
    import subprocess

    workers = subprocess.run(["pgrep", "-P", str(two_workers.server_pid)], capture_output=True, text=True).stdout.split()
    assert len(workers) >= 2, "SANIC_WORKERS=2 did not start two worker processes"

    sender = f"burst-{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(len(QUESTIONS))

    def send(index: int) -> Tuple[int, Any]:
        start.wait(timeout=60)
        return two_workers.post("/webhooks/rest/webhook", {"sender": sender, "message": QUESTIONS[index][0]})

    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        replies = list(pool.map(send, range(len(QUESTIONS))))

    for (text, expected), (status, messages) in zip(QUESTIONS, replies):
        assert status == 200, (text, status, messages)
        assert text_of(messages).strip(), (text, messages)
        assert source_id(messages) == expected, (text, messages)

    store = tracker_store_for(two_workers.env)
    try:
        tracker = asyncio.run(store.retrieve_full_tracker(rest_conversation_id(sender)))
    finally:
        store.engine.dispose()
    events = list(tracker.events)
    user_texts = [event.text for event in events if isinstance(event, UserUttered)]
    assert sorted(user_texts) == sorted(text for text, _ in QUESTIONS), "a message was lost or stored twice"
    assert_turns_do_not_interleave(events, dict(QUESTIONS))


def test_the_rate_limit_holds_across_both_workers(two_workers):
    """Twenty messages of one employee at once: the workers share one count, so exactly the limit
    passes (a count per worker would let up to twice as many through)."""
    user = f"burst-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {issue_token(two_workers.jwt_secret, user)}"}
    sends = 20
    start = threading.Barrier(sends)

    def send(_: int) -> int:
        start.wait(timeout=60)
        return two_workers.post("/webhooks/intranet/webhook", {"message": "hello"}, headers)[0]

    with ThreadPoolExecutor(max_workers=sends) as pool:
        statuses = list(pool.map(send, range(sends)))
    assert sorted(statuses) == [200] * RATE_LIMIT + [429] * (sends - RATE_LIMIT), statuses

"""Faults a company deployment meets: each gets a polite answer, and the conversation goes on.

- the action server stopped: the user gets "temporarily unavailable" in their language
  (bot.policies.action_failure.ActionFailurePolicy), not silence and not a 500, and the next
  message after the action server is back continues the conversation where it was;
- the knowledge-base database unreachable: the actions answer the same way (they catch
  SQLAlchemyError), and answer again once it is back;
- a Rasa server killed (SIGKILL) and started again: the conversation continues from the tracker
  store, on PostgreSQL (two servers) and on the embedded SQLite default.

Every fault is undone by the test that makes it, so the shared `company` deployment is whole
again for the next test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.deployment.support import new_sender, source_id, text_of, verdicts_of
from tests.support import kill_rasa_server, restart_action_server, restart_rasa_server, stop_action_server

pytestmark = pytest.mark.servers

UNAVAILABLE = {
    "pl": "chwilowo nie mam dostępu",
    "en": "can't reach my knowledge base right now",
}


def assert_unavailable(status: int, messages: Any, language: str) -> None:
    assert status == 200, (status, messages)
    assert UNAVAILABLE[language] in text_of(messages), messages
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    assert {"source": None, "fallback": True, "language": language} in customs, messages


@pytest.mark.postgres
@pytest.mark.redis
def test_action_server_down_gets_a_polite_reply_and_the_conversation_resumes(company):
    a, b = company.servers
    pl, en = new_sender("actions-down-pl"), new_sender("actions-down-en")
    assert source_id(a.say(pl, "Kto odpowiada za plan marketingowy?")) == "team/marketing"
    assert source_id(b.say(en, "Who carries out the sales plan?")) == "team/sales"

    stop_action_server(a)
    try:
        assert_unavailable(*a.post("/webhooks/rest/webhook", {"sender": pl, "message": "a budżet?"}), "pl")
        assert_unavailable(*b.post("/webhooks/rest/webhook", {"sender": en, "message": "and the budget?"}), "en")
        # a message that needs no action server is still answered normally ...
        assert "Dzień dobry" in text_of(b.say(pl, "dzień dobry"))
        # ... and a new conversation, whose session start is a custom action, is not left in silence
        assert_unavailable(*a.post("/webhooks/rest/webhook", {"sender": new_sender("actions-down-new"),
                                                              "message": "Who carries out the sales plan?"}), "en")
    finally:
        restart_action_server(a)

    # the context from before the outage is still there
    assert source_id(b.say(pl, "a budżet?")) == "budget/marketing"
    assert source_id(a.say(en, "and the budget?")) == "budget/sales"


@pytest.mark.postgres
@pytest.mark.redis
def test_action_server_down_in_the_middle_of_a_plan_keeps_the_plan(company):
    a, b = company.servers
    user = new_sender("actions-down-plan")
    a.say(user, "pomóż mi ułożyć plan")
    b.say(user, "sprzedajemy meble biurowe dla firm")
    stop_action_server(a)
    try:
        assert_unavailable(*a.post("/webhooks/rest/webhook",
                                   {"sender": user, "message": "zwiększyć sprzedaż o 15% w tym kwartale"}), "pl")
    finally:
        restart_action_server(a)
    reply = b.say(user, "zwiększyć sprzedaż o 15% w tym kwartale")
    assert verdicts_of(reply) == ["sales"], reply


@pytest.mark.postgres
@pytest.mark.redis
def test_knowledge_base_unreachable_gets_a_polite_reply_and_answers_when_back(company):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    a, b = company.servers
    pl, en = new_sender("kb-down-pl"), new_sender("kb-down-en")
    assert source_id(a.say(pl, "Jaki budżet ma plan sprzedaży?")) == "budget/sales"

    database = make_url(company.knowledge_db_url).database
    admin = create_engine(make_url(company.knowledge_db_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT", future=True)

    def allow_connections(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:  # drop the connections the action server's pool holds
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database})

    allow_connections(False)
    try:
        assert_unavailable(*b.post("/webhooks/rest/webhook", {"sender": pl, "message": "a dla marketingu?"}), "pl")
        assert_unavailable(*a.post("/webhooks/rest/webhook",
                                   {"sender": en, "message": "What budget does a marketing plan need?"}), "en")
    finally:
        allow_connections(True)
        admin.dispose()

    assert source_id(b.say(pl, "a dla marketingu?")) == "budget/marketing"
    assert source_id(a.say(en, "What budget does a marketing plan need?")) == "budget/marketing"


@pytest.mark.postgres
@pytest.mark.redis
def test_a_killed_rasa_server_restarts_where_the_conversation_was(company):
    a, b = company.servers
    user = new_sender("killed-pg")
    assert source_id(a.say(user, "Kto odpowiada za plan marketingowy?")) == "team/marketing"
    a.say(user, "pomóż mi ułożyć plan")
    a.say(user, "sprzedajemy meble biurowe dla firm")
    kill_rasa_server(a)
    try:
        # the other server carries on meanwhile
        assert verdicts_of(b.say(user, "zwiększyć sprzedaż o 15% w tym kwartale")) == ["sales"]
    finally:
        restart_rasa_server(a)
    assert verdicts_of(a.say(user, "budowa rozpoznawalności marki w ciągu 3 lat")) == ["marketing"]
    a.say(user, "to wszystko")
    a.say(user, "3 lata")
    [plan] = [m["custom"]["plan"] for m in a.say(user, "50 tys. zł") if "plan" in (m.get("custom") or {})]
    assert [goal["plan"] for goal in plan["goals"]] == ["sales", "marketing"]


def test_a_killed_rasa_server_restarts_where_the_conversation_was_on_the_embedded_stores(assistant):
    user = new_sender("killed-sqlite")
    assert source_id(assistant.say(user, "Who carries out the marketing plan?")) == "team/marketing"
    assistant.say(user, "help me build a plan")
    assistant.say(user, "we sell office furniture to companies")
    kill_rasa_server(assistant)
    restart_rasa_server(assistant)
    reply = assistant.say(user, "increase sales by 15% this quarter")
    assert verdicts_of(reply) == ["sales"], reply
    # the language and the earlier answer's context survived too
    assert source_id(assistant.say(user, "what budget does the marketing plan need?")) == "budget/marketing"

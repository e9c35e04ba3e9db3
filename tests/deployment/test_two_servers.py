"""Two Rasa servers, one action server, shared PostgreSQL tracker store and Redis lock store.

The `company` fixture (tests/deployment/conftest.py) runs the deployment a company runs, on
this machine's PostgreSQL and Redis. A load balancer may send any message of a conversation to
either server: the conversation must go on as if there were one server, and messages sent at
the same moment must be handled one at a time, each answered, none lost or stored twice.
"""

from __future__ import annotations

import pytest

from tests.deployment.support import assert_a_burst_is_answered_once_in_order, new_sender, source_id, text_of, verdicts_of

pytestmark = [pytest.mark.servers, pytest.mark.postgres, pytest.mark.redis]


def test_a_conversation_alternating_between_servers_keeps_its_context(company):
    a, b = company.servers
    pl = new_sender("alternate-pl")
    assert source_id(a.say(pl, "Kto odpowiada za plan marketingowy?")) == "team/marketing"
    assert source_id(b.say(pl, "a budżet?")) == "budget/marketing"  # plan from the turn on server A
    assert source_id(a.say(pl, "a dla planu sprzedaży?")) == "budget/sales"  # aspect from server B's turn
    assert source_id(b.say(pl, "a zespół?")) == "team/sales"

    en = new_sender("alternate-en")
    assert source_id(b.say(en, "Who carries out the sales plan?")) == "team/sales"
    reply = a.say(en, "and for marketing?")
    assert source_id(reply) == "team/marketing"
    assert all((m.get("custom") or {}).get("language", "en") == "en" for m in reply)

    # the language chosen on one server holds on the other
    switch = new_sender("alternate-switch")
    a.say(switch, "Cześć")
    assert "English" in text_of(b.say(switch, "in English please"))
    reply = a.say(switch, "and the budget of a marketing plan?")
    assert source_id(reply) == "budget/marketing"


def test_twenty_messages_at_once_through_both_servers_are_all_answered_once_in_order(company):
    assert_a_burst_is_answered_once_in_order(company.servers)


def test_a_plan_started_on_one_server_is_finished_on_the_other(company):
    a, b = company.servers
    user = new_sender("plan-two-servers")
    first = a.say(user, "pomóż mi ułożyć plan")
    if not text_of(first).strip():
        pytest.fail(f"the plan builder did not start: {first}")
    b.say(user, "sprzedajemy meble biurowe dla firm")
    verdicts = []
    for server, goal in ((a, "zwiększyć sprzedaż o 15% w tym kwartale"),
                         (b, "budowa rozpoznawalności marki w ciągu 3 lat")):
        verdicts += verdicts_of(server.say(user, goal))
    assert verdicts == ["sales", "marketing"]
    a.say(user, "to wszystko")
    b.say(user, "3 lata")
    draft = a.say(user, "50 tys. zł")
    [plan] = [m["custom"]["plan"] for m in draft if "plan" in (m.get("custom") or {})]
    assert [goal["plan"] for goal in plan["goals"]] == ["sales", "marketing"]
    assert plan["budget"]["amount"] == 50000

    shown = b.say(user, "pokaż mój plan")
    [again] = [m["custom"]["plan"] for m in shown if "plan" in (m.get("custom") or {})]
    assert again["id"] == plan["id"]

"""The REST channel and the intranet channel have separate id spaces (issue 11, item 11).

What is defended:
- REST trusts the `sender` in its body, so its conversations are kept as `rest:<sender>`: a REST
  request naming an employee's id reaches neither that employee's conversation, nor their
  history, nor their saved plans (the plan actions key plans by the conversation id);
- an intranet token cannot name a REST conversation (`sub` starting with `rest:` is refused);
- the company deployment's credentials enable the intranet channel only.
"""

from __future__ import annotations

import json
import uuid
import urllib.request
from typing import Any, Dict, List

import pytest
import yaml

from bot.tokens import issue_token
from tests.channels.test_intranet import request
from tests.security.support import SECRET, bearer, channels_for, serving, settings
from tests.support import PROJECT_DIR, Assistant

REST = "/webhooks/rest/webhook"
INTRANET = "/webhooks/intranet/webhook"


async def test_a_rest_sender_never_reaches_the_intranet_user_of_that_id(agent: Any) -> None:
    alice = f"alice-{uuid.uuid4().hex[:6]}"
    async with serving(channels_for(settings()), agent) as url:
        mine = await request("POST", url + INTRANET, body={"message": "hello"}, headers=bearer(issue_token(SECRET, alice)))
        rest = await request("POST", url + REST, body={"sender": alice, "message": "budget"})
        history = await request("GET", f"{url}/webhooks/intranet/history", headers=bearer(issue_token(SECRET, alice)))
        claimed = await request("POST", url + INTRANET, body={"message": "hello"},
                                headers=bearer(issue_token(SECRET, f"rest:{alice}")))
    assert mine[0] == 200 and rest[0] == 200
    assert {m["recipient_id"] for m in rest[1]} == {f"rest:{alice}"}
    intranet_texts = [e.text for e in (await agent.tracker_store.retrieve(alice)).events if e.type_name == "user"]
    rest_texts = [e.text for e in (await agent.tracker_store.retrieve(f"rest:{alice}")).events if e.type_name == "user"]
    assert intranet_texts == ["hello"] and rest_texts == ["budget"]
    assert [m.get("text") for m in history[1]["messages"] if m["role"] == "user"] == ["hello"]
    assert (claimed[0], claimed[1]["error"]) == (401, "invalid_subject")


def test_the_company_credentials_enable_the_intranet_channel_only() -> None:
    company = yaml.safe_load((PROJECT_DIR / "bot" / "credentials.company.yml").read_text())
    assert list(company) == ["bot.channels.intranet.IntranetInput"]
    helm = yaml.safe_load((PROJECT_DIR / "deploy" / "helm" / "rasa-values.yml").read_text())
    channels = helm["applicationSettings"]["credentials"]["additionalChannelCredentials"]
    assert list(channels) == ["bot.channels.intranet.IntranetInput"]


# --- the running assistant: a saved plan ------------------------------------------------------------

def _intranet(assistant: Assistant, user: str, text: str) -> List[Dict[str, Any]]:
    token = issue_token(assistant.jwt_secret, user, lang="pl")
    status, reply = assistant.post(INTRANET, {"message": text}, headers={"Authorization": f"Bearer {token}"})
    assert status == 200, (status, reply)
    return reply


def _custom(messages: List[Dict[str, Any]], key: str) -> List[Any]:
    return [m["custom"][key] for m in messages if key in (m.get("custom") or {})]


@pytest.mark.servers
def test_a_rest_sender_cannot_export_an_employees_saved_plan(assistant: Assistant) -> None:
    employee = f"employee-{uuid.uuid4().hex[:8]}"
    for text in ("pomóż mi ułożyć plan", "sprzedajemy meble biurowe dla firm",
                 "zwiększyć sprzedaż o 15% w tym kwartale", "to wszystko", "3 lata"):
        _intranet(assistant, employee, text)
    [plan] = _custom(_intranet(assistant, employee, "50 tys. zł"), "plan")
    [mine] = _custom(_intranet(assistant, employee, "eksportuj plan"), "export")
    assert plan["id"] in mine["filename"]

    stolen = assistant.say(employee, "eksportuj plan")  # REST, naming the employee's id
    assert _custom(stolen, "export") == [] and _custom(stolen, "plan") == []
    assert plan["id"] not in json.dumps(stolen, ensure_ascii=False)
    assert any((m.get("text") or "").strip() for m in stolen)  # a polite "no saved plan"

    token = issue_token(assistant.jwt_secret, employee)
    history = urllib.request.Request(f"{assistant.url}/webhooks/intranet/history",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(history, timeout=60) as reply:
        said = [m.get("text") for m in json.loads(reply.read())["messages"] if m["role"] == "user"]
    assert "eksportuj plan" in said and said.count("eksportuj plan") == 1  # the REST one is not there

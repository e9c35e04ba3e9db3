"""The intranet channel of the running plan advisor (`rasa run` with bot/credentials.yml).

Uses the `assistant` fixture (tests/conftest.py): a Rasa server and action server started with
the trained model, `.url` and the `.jwt_secret` it was started with.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Tuple

import jwt
import pytest

from bot.tokens import issue_token

pytestmark = pytest.mark.servers

PL_QUESTION = "Czym się różni plan sprzedaży od planu marketingowego?"
EN_QUESTION = "Who carries out the marketing plan?"


def call(
    assistant: Any, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, Any, Dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        assistant.url + path,
        data=data,
        method=method,
        headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            status, raw, reply_headers = reply.status, reply.read().decode(), _lower(reply.headers.items())
    except urllib.error.HTTPError as error:
        status, raw, reply_headers = error.code, error.read().decode(), _lower(error.headers.items())
    try:
        return status, json.loads(raw), reply_headers
    except ValueError:
        return status, raw, reply_headers


def _lower(items: Any) -> Dict[str, str]:
    return {key.lower(): value for key, value in items}


def auth(assistant: Any, user: str, **claims: Any) -> Dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(assistant.jwt_secret, user, **claims)}"}


def say(assistant: Any, user: str, text: str, **body: Any) -> List[Dict[str, Any]]:
    status, reply, _ = call(assistant, "POST", "/webhooks/intranet/webhook", {"message": text, **body}, auth(assistant, user))
    assert status == 200, reply
    return reply


def history(assistant: Any, user: str) -> List[Dict[str, Any]]:
    status, reply, _ = call(assistant, "GET", "/webhooks/intranet/history", headers=auth(assistant, user))
    assert status == 200, reply
    assert reply["user"] == user
    return reply["messages"]


def new_user() -> str:
    return f"employee-{uuid.uuid4().hex[:10]}"


def test_answers_come_back_in_the_rest_channels_shape_with_a_source(assistant: Any) -> None:
    user = new_user()
    reply = say(assistant, user, EN_QUESTION)
    assert all(message["recipient_id"] == user for message in reply)
    assert any(message.get("text") for message in reply)
    sources = [message["custom"] for message in reply if "custom" in message and "source" in message["custom"]]
    assert sources and sources[-1]["source"]["section"] and sources[-1]["language"] == "en"


def test_two_employees_cannot_see_or_write_each_others_conversation(assistant: Any) -> None:
    alice, bob = new_user(), new_user()
    say(assistant, alice, PL_QUESTION)
    # Bob names Alice as the sender in the body: the channel ignores it and uses his token.
    reply = say(assistant, bob, EN_QUESTION, sender=alice)
    assert {message["recipient_id"] for message in reply} == {bob}

    alices = [message["text"] for message in history(assistant, alice) if message["role"] == "user"]
    bobs = [message["text"] for message in history(assistant, bob) if message["role"] == "user"]
    assert alices == [PL_QUESTION]
    assert bobs == [EN_QUESTION]


def test_history_restores_questions_answers_and_sources(assistant: Any) -> None:
    user = new_user()
    say(assistant, user, PL_QUESTION)
    say(assistant, user, EN_QUESTION)
    messages = history(assistant, user)
    assert [m["text"] for m in messages if m["role"] == "user"] == [PL_QUESTION, EN_QUESTION]
    sources = [m["custom"] for m in messages if m["role"] == "bot" and isinstance(m.get("custom"), dict)]
    assert [source["language"] for source in sources if source.get("source")] == ["pl", "en"]
    assert history(assistant, new_user()) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer " + jwt.encode({"sub": "alice"}, "forged-secret-" + "f" * 32, algorithm="HS256")},
        {"Authorization": "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSJ9."},
    ],
    ids=["no-token", "forged", "alg-none"],
)
def test_the_running_server_refuses_missing_and_forged_tokens(assistant: Any, headers: Dict[str, str]) -> None:
    status, reply, _ = call(assistant, "POST", "/webhooks/intranet/webhook", {"message": PL_QUESTION}, headers)
    assert status == 401 and reply["reason"]
    status, _, _ = call(assistant, "GET", "/webhooks/intranet/history", headers=headers)
    assert status == 401


def test_preflight_from_the_configured_intranet_origin(assistant: Any) -> None:
    env = getattr(assistant, "env", {})
    origins = [o.strip() for o in env.get("ADVISOR_ALLOWED_ORIGINS", "").split(",") if o.strip() and o != "*"]
    if not origins:
        pytest.skip("the assistant was started without ADVISOR_ALLOWED_ORIGINS")
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    status, _, headers = call(assistant, "OPTIONS", "/webhooks/intranet/webhook", headers={"Origin": origins[0], **preflight})
    assert status == 204 and headers["access-control-allow-origin"] == origins[0]
    status, _, headers = call(
        assistant, "OPTIONS", "/webhooks/intranet/webhook", headers={"Origin": "https://not-the-intranet.example", **preflight}
    )
    assert status == 403 and "access-control-allow-origin" not in headers


def test_widget_is_served_and_the_demo_page_is_not_outside_development(assistant: Any) -> None:
    for path, content_type in (
        ("/webhooks/intranet/widget.js", "application/javascript"),
        ("/webhooks/intranet/widget.css", "text/css"),
    ):
        status, _, headers = call(assistant, "GET", path)
        assert status == 200 and headers["content-type"].startswith(content_type), path
    status, body, _ = call(assistant, "GET", "/webhooks/intranet/demo")
    assert (status, body["error"]) == (404, "not_in_dev_mode")  # the demo page is for development only

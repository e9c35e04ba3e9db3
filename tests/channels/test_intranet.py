"""The intranet channel inside a real Rasa server app, with a tiny trained assistant.

Each test starts the Sanic app that `rasa run` builds (`rasa.core.run.configure_app`, so
Rasa's own CORS handling is there too) with the intranet channel and a small Rasa model
trained once per session (keyword intents + rules), listening on a free local port.
Nothing here needs the plan advisor's model; tests that do are in test_intranet_live.py.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Optional, Tuple

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.cli import main as advisor
from bot.settings import Settings
from bot.tokens import DEVELOPMENT_SECRET, TokenError, issue_token, verify_token

SECRET = "unit-test-secret-" + "x" * 32
EXP = int(time.time()) + 3600  # tokens must expire (bot.tokens); the ones below expire in an hour
INTRANET = "https://intranet.example.com"
ELSEWHERE = "https://evil.example.net"

TINY_DOMAIN = """
version: "3.1"
intents: [greet, ask]
responses:
  utter_greet:
  - text: "Hello **there**"
    buttons:
    - title: "Ask a question"
      payload: "/ask"
  utter_answer:
  - text: "Budgets differ."
    custom: {"source": {"id": "budget/both", "section": "6"}, "language": "en"}
"""
TINY_CONFIG = """
recipe: default.v1
language: en
assistant_id: intranet_channel_tests
pipeline:
- name: WhitespaceTokenizer
- name: KeywordIntentClassifier
policies:
- name: RulePolicy
"""
TINY_NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
- intent: ask
  examples: |
    - budget
"""
TINY_RULES = """
version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: ask
  steps:
  - intent: ask
  - action: utter_answer
"""


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rasa.api import train

    folder = tmp_path_factory.mktemp("tiny_bot")
    (folder / "data").mkdir()
    (folder / "domain.yml").write_text(TINY_DOMAIN)
    (folder / "config.yml").write_text(TINY_CONFIG)
    (folder / "data" / "nlu.yml").write_text(TINY_NLU)
    (folder / "data" / "rules.yml").write_text(TINY_RULES)
    result = train(
        str(folder / "domain.yml"),
        str(folder / "config.yml"),
        [str(folder / "data")],
        output=str(folder / "models"),
    )
    assert result.code == 0 and result.model, "the tiny test model did not train"
    return Path(result.model)


@pytest.fixture
def agent(tiny_model: Path) -> Any:
    from rasa.core.agent import Agent

    return Agent.load(str(tiny_model))  # in-memory tracker store, fresh for every test


def settings(**env: str) -> Settings:
    return Settings.from_env({"ADVISOR_JWT_SECRET": SECRET, "ADVISOR_ALLOWED_ORIGINS": INTRANET, **env})


@asynccontextmanager
async def running(channel_settings: Settings, agent: Any, rasa_cors: Optional[str] = None) -> AsyncIterator[str]:
    """The Rasa server app with the intranet channel and Rasa's HTTP API, on a free port; yields its URL."""
    from bot.channels.intranet import IntranetInput
    from tests.security.support import serving

    async with serving([IntranetInput(channel_settings)], agent, cors=rasa_cors, enable_api=True) as url:
        yield url


async def request(
    method: str, url: str, *, body: Any = None, raw: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, Any, Dict[str, str]]:
    """(status, parsed JSON or text, headers with lower-case names) of one HTTP request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    send_headers = {"Content-Type": "application/json"} if data is not None else {}
    send_headers.update(headers or {})
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, data=data, headers=send_headers) as reply:
            text = await reply.text()
            try:
                payload: Any = json.loads(text)
            except ValueError:
                payload = text
            return reply.status, payload, {key.lower(): value for key, value in reply.headers.items()}


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_id() -> str:
    return f"employee-{uuid.uuid4().hex[:8]}"


def unsigned_token(claims: Dict[str, Any]) -> str:
    def part(value: Dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def rsa_private_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


async def tracker_events(agent: Any, sender: str) -> Optional[list]:
    tracker = await agent.tracker_store.retrieve(sender)
    return None if tracker is None else list(tracker.events)


# ------------------------------------------------------------------------------- tokens


def test_issued_token_round_trips() -> None:
    identity = verify_token(issue_token(SECRET, "alice", lang="pl-PL", name="Alice"), SECRET)
    assert (identity.user_id, identity.lang, identity.name) == ("alice", "pl", "Alice")
    assert identity.expires_at is not None and identity.expires_at > time.time()


def test_token_language_outside_pl_en_is_ignored_not_fatal() -> None:
    token = jwt.encode({"sub": "alice", "lang": "de", "exp": EXP}, SECRET, algorithm="HS256")
    assert verify_token(token, SECRET).lang is None


@pytest.mark.parametrize(
    "token, code",
    [
        ("not-a-jwt", "malformed_token"),
        (jwt.encode({"sub": "alice", "exp": EXP}, "another-secret-" + "y" * 32, algorithm="HS256"), "bad_signature"),
        (jwt.encode({"sub": "alice", "exp": int(time.time()) - 120}, SECRET, algorithm="HS256"), "token_expired"),
        (jwt.encode({"sub": "alice", "nbf": int(time.time()) + 600, "exp": EXP}, SECRET, algorithm="HS256"), "token_not_yet_valid"),
        (jwt.encode({"name": "nobody", "exp": EXP}, SECRET, algorithm="HS256"), "invalid_subject"),
        (jwt.encode({"sub": "", "exp": EXP}, SECRET, algorithm="HS256"), "invalid_subject"),
        (jwt.encode({"sub": "a" * 256, "exp": EXP}, SECRET, algorithm="HS256"), "invalid_subject"),
        (unsigned_token({"sub": "alice", "exp": EXP}), "algorithm_not_allowed"),
        (jwt.encode({"sub": "alice", "exp": EXP}, SECRET, algorithm="HS512"), "algorithm_not_allowed"),
    ],
    ids=["garbage", "wrong-secret", "expired", "not-yet-valid", "no-sub", "empty-sub", "long-sub", "alg-none", "hs512"],
)
def test_verify_refuses(token: str, code: str) -> None:
    with pytest.raises(TokenError) as refused:
        verify_token(token, SECRET)
    assert refused.value.code == code


def test_verify_refuses_rs256() -> None:
    token = jwt.encode({"sub": "alice", "exp": EXP}, rsa_private_key(), algorithm="RS256")
    with pytest.raises(TokenError) as refused:
        verify_token(token, SECRET)
    assert refused.value.code == "algorithm_not_allowed"


def test_advisor_token_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ADVISOR_JWT_SECRET", SECRET)
    monkeypatch.delenv("ADVISOR_DEV_MODE", raising=False)
    assert advisor(["token", "--user", "alice", "--lang", "pl", "--ttl", "60"]) == 0
    identity = verify_token(capsys.readouterr().out.strip(), SECRET)
    assert (identity.user_id, identity.lang) == ("alice", "pl")
    assert identity.expires_at is not None and identity.expires_at <= time.time() + 60


def test_advisor_token_command_needs_no_database_library() -> None:
    """Issuing a token imports no SQLAlchemy (half of the command's start-up)."""
    import subprocess
    import sys

    code = ("import os, sys\nos.environ['ADVISOR_DEV_MODE'] = '1'\nos.environ.pop('ADVISOR_JWT_SECRET', None)\n"
            "from bot.cli import main\ncode = main(['token', '--user', 'alice'])\n"
            "print(code, 'sqlalchemy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.split()[-2:] == ["0", "False"], result.stderr


def test_advisor_token_command_without_secret(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ADVISOR_JWT_SECRET", raising=False)
    monkeypatch.delenv("ADVISOR_DEV_MODE", raising=False)
    assert advisor(["token", "--user", "alice"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "ADVISOR_JWT_SECRET" in captured.err

    monkeypatch.setenv("ADVISOR_DEV_MODE", "1")
    assert advisor(["token", "--user", "alice"]) == 0
    assert verify_token(capsys.readouterr().out.strip(), DEVELOPMENT_SECRET).user_id == "alice"


# ------------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "missing_token"),
        ({"Authorization": "Basic YWxpY2U6cGFzcw=="}, "malformed_token"),
        ({"Authorization": "Bearer"}, "malformed_token"),
        (bearer("not.a.jwt"), "malformed_token"),
        (bearer(jwt.encode({"sub": "intruder", "exp": EXP}, "forged-" + "z" * 32, algorithm="HS256")), "bad_signature"),
        (bearer(jwt.encode({"sub": "intruder", "exp": int(time.time()) - 120}, SECRET, algorithm="HS256")), "token_expired"),
        (bearer(unsigned_token({"sub": "intruder", "exp": EXP})), "algorithm_not_allowed"),
        (bearer(jwt.encode({"sub": "intruder", "exp": EXP}, SECRET, algorithm="HS512")), "algorithm_not_allowed"),
        (bearer(jwt.encode({"sub": "intruder", "exp": EXP}, rsa_private_key(), algorithm="RS256")), "algorithm_not_allowed"),
        (bearer(jwt.encode({"sub": 42, "exp": EXP}, SECRET, algorithm="HS256")), "invalid_subject"),
    ],
    ids=["missing", "basic", "empty-bearer", "malformed", "forged", "expired", "alg-none", "hs512", "rs256", "int-sub"],
)
async def test_refused_tokens_get_401_and_reach_no_tracker(agent: Any, headers: Dict[str, str], code: str) -> None:
    async with running(settings(), agent) as url:
        status, body, reply_headers = await request(
            "POST", f"{url}/webhooks/intranet/webhook", body={"message": "hello", "sender": "intruder"}, headers=headers
        )
        history_status, history_body, _ = await request("GET", f"{url}/webhooks/intranet/history", headers=headers)
    assert status == 401
    assert body["error"] == code and body["reason"]
    assert reply_headers["www-authenticate"].startswith("Bearer")
    assert (history_status, history_body["error"]) == (401, code)
    assert list(await agent.tracker_store.keys()) == []


async def test_valid_token_is_the_conversation_id_and_body_sender_is_ignored(agent: Any) -> None:
    alice, bob = user_id(), user_id()
    async with running(settings(), agent) as url:
        status, body, _ = await request(
            "POST",
            f"{url}/webhooks/intranet/webhook",
            body={"message": "hello", "sender": bob},
            headers=bearer(issue_token(SECRET, alice)),
        )
    assert status == 200
    assert body == [
        {"recipient_id": alice, "text": "Hello **there**", "buttons": [{"title": "Ask a question", "payload": "/ask"}]}
    ]
    assert await tracker_events(agent, bob) is None
    events = await tracker_events(agent, alice)
    assert events is not None
    user_turns = [event for event in events if event.type_name == "user"]
    assert [event.text for event in user_turns] == ["hello"]
    assert user_turns[0].input_channel == "intranet"


async def test_answers_carry_custom_json_like_the_rest_channel(agent: Any) -> None:
    async with running(settings(), agent) as url:
        status, body, _ = await request(
            "POST", f"{url}/webhooks/intranet/webhook", body={"message": "budget"}, headers=bearer(issue_token(SECRET, user_id()))
        )
    assert status == 200
    assert [message.get("text") for message in body] == ["Budgets differ.", None]
    assert body[1]["custom"] == {"source": {"id": "budget/both", "section": "6"}, "language": "en"}


@pytest.mark.parametrize(
    "token_lang, body_lang, expected",
    [("en", None, "en"), ("en", "pl", "pl"), (None, "pl-PL", "pl"), (None, None, None), ("pl", "de", "pl")],
)
async def test_language_reaches_the_conversation_as_metadata(
    agent: Any, token_lang: Optional[str], body_lang: Optional[str], expected: Optional[str]
) -> None:
    alice = user_id()
    body: Dict[str, Any] = {"message": "hello"}
    if body_lang is not None:
        body["lang"] = body_lang
    async with running(settings(), agent) as url:
        status, _, _ = await request(
            "POST", f"{url}/webhooks/intranet/webhook", body=body, headers=bearer(issue_token(SECRET, alice, lang=token_lang))
        )
    assert status == 200
    events = await tracker_events(agent, alice)
    assert events is not None
    user_turn = next(event for event in events if event.type_name == "user")
    assert (user_turn.metadata or {}).get("lang") == expected


# ------------------------------------------------------------------------------- body checks


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"", "bad_json"),
        (b"[\"hello\"]", "bad_request"),
        (b"{}", "bad_request"),
        (b"{\"message\": 42}", "bad_request"),
        (b"{\"message\": \"   \"}", "bad_request"),
        (b"{\"message\": \"hi\", \"lang\": 1}", "bad_request"),
        (b"{\"message\": \"hi\", \"display_text\": [\"x\"]}", "bad_request"),
    ],
    ids=["broken", "not-utf8", "empty", "array", "no-message", "int-message", "blank", "int-lang", "list-display"],
)
async def test_malformed_bodies_get_400(agent: Any, raw: bytes, code: str) -> None:
    alice = user_id()
    async with running(settings(), agent) as url:
        status, body, _ = await request(
            "POST", f"{url}/webhooks/intranet/webhook", raw=raw, headers=bearer(issue_token(SECRET, alice))
        )
    assert (status, body["error"]) == (400, code)
    assert await tracker_events(agent, alice) is None


async def test_message_size_limit(agent: Any) -> None:
    alice = user_id()
    token = bearer(issue_token(SECRET, alice))
    async with running(settings(ADVISOR_MAX_MESSAGE_CHARS="50"), agent) as url:
        webhook = f"{url}/webhooks/intranet/webhook"
        too_long = await request("POST", webhook, body={"message": "ż" * 51}, headers=token)
        huge_body = await request("POST", webhook, raw=b'{"message": "' + b"a" * 100_000 + b'"}', headers=token)
        long_title = await request("POST", webhook, body={"message": "/ask", "display_text": "t" * 201}, headers=token)
        at_limit = await request("POST", webhook, body={"message": "hello " + "ż" * 44}, headers=token)
    for status, body, _ in (too_long, long_title):
        assert (status, body["error"]) == (413, "message_too_long")
    assert (huge_body[0], huge_body[1]["error"]) == (413, "body_too_large")
    assert "50" in too_long[1]["reason"]
    assert at_limit[0] == 200


# ------------------------------------------------------------------------------- CORS


@pytest.mark.parametrize("rasa_cors", [None, "*"], ids=["rasa-cors-off", "rasa-cors-any"])
async def test_cors_allows_listed_origins_only(agent: Any, rasa_cors: Optional[str]) -> None:
    alice = user_id()
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    async with running(settings(), agent, rasa_cors=rasa_cors) as url:
        webhook = f"{url}/webhooks/intranet/webhook"
        allowed = await request("OPTIONS", webhook, headers={"Origin": INTRANET, **preflight})
        denied = await request("OPTIONS", webhook, headers={"Origin": ELSEWHERE, **preflight})
        history_allowed = await request("OPTIONS", f"{url}/webhooks/intranet/history", headers={"Origin": INTRANET, **preflight})
        post_allowed = await request(
            "POST", webhook, body={"message": "hello"}, headers={"Origin": INTRANET, **bearer(issue_token(SECRET, alice))}
        )
        post_denied = await request(
            "POST", webhook, body={"message": "hello"}, headers={"Origin": ELSEWHERE, **bearer(issue_token(SECRET, "mallory"))}
        )
        same_origin = await request(
            "POST", webhook, body={"message": "hello"}, headers={"Origin": url, **bearer(issue_token(SECRET, alice))}
        )

    status, _, headers = allowed
    assert status == 204
    assert headers["access-control-allow-origin"] == INTRANET
    assert "POST" in headers["access-control-allow-methods"]
    assert "authorization" in headers["access-control-allow-headers"].lower()
    assert history_allowed[2]["access-control-allow-origin"] == INTRANET

    status, body, headers = denied
    assert (status, body["error"]) == (403, "origin_not_allowed")
    assert "access-control-allow-origin" not in headers

    assert post_allowed[0] == 200
    assert post_allowed[2]["access-control-allow-origin"] == INTRANET
    assert (post_denied[0], post_denied[1]["error"]) == (403, "origin_not_allowed")
    assert "access-control-allow-origin" not in post_denied[2]
    assert await tracker_events(agent, "mallory") is None
    assert same_origin[0] == 200


async def test_any_origin_when_configured_with_a_star(agent: Any) -> None:
    async with running(settings(ADVISOR_ALLOWED_ORIGINS="*"), agent) as url:
        status, _, headers = await request(
            "OPTIONS",
            f"{url}/webhooks/intranet/webhook",
            headers={"Origin": ELSEWHERE, "Access-Control-Request-Method": "POST"},
        )
    assert status == 204 and headers["access-control-allow-origin"] == ELSEWHERE


# ------------------------------------------------------------------------------- secret and dev mode


async def test_without_secret_outside_dev_mode_every_message_is_refused(agent: Any) -> None:
    no_secret = Settings.from_env({"ADVISOR_ALLOWED_ORIGINS": INTRANET})
    token = bearer(issue_token(DEVELOPMENT_SECRET, "alice"))
    async with running(no_secret, agent) as url:
        webhook = await request("POST", f"{url}/webhooks/intranet/webhook", body={"message": "hello"}, headers=token)
        history = await request("GET", f"{url}/webhooks/intranet/history", headers=token)
        dev_token = await request("GET", f"{url}/webhooks/intranet/dev-token")
        demo = await request("GET", f"{url}/webhooks/intranet/demo")
        health = await request("GET", f"{url}/webhooks/intranet/")
    for status, body, _ in (webhook, history):
        assert (status, body["error"]) == (503, "not_configured")
        assert "ADVISOR_JWT_SECRET" in body["reason"]
    assert (dev_token[0], dev_token[1]["error"]) == (404, "not_in_dev_mode")
    assert demo[0] == 404  # outside development mode there is no demo page (tests/security)
    assert health[1] == {"status": "ok", "model": "loaded", "configured": False}
    assert list(await agent.tracker_store.keys()) == []


async def test_dev_mode_without_secret_uses_the_development_secret(agent: Any) -> None:
    dev = Settings.from_env({"ADVISOR_DEV_MODE": "1"})
    async with running(dev, agent) as url:
        status, issued, _ = await request("GET", f"{url}/webhooks/intranet/dev-token?user=carol&lang=en")
        reply = await request(
            "POST", f"{url}/webhooks/intranet/webhook", body={"message": "hello"}, headers=bearer(issued["token"])
        )
        bad_user = await request("GET", f"{url}/webhooks/intranet/dev-token?user=%3Cscript%3E")
    assert status == 200 and issued["user"] == "carol"
    identity = verify_token(issued["token"], DEVELOPMENT_SECRET)
    assert (identity.user_id, identity.lang) == ("carol", "en")
    assert reply[0] == 200 and reply[1][0]["recipient_id"] == "carol"
    assert (bad_user[0], bad_user[1]["error"]) == (400, "bad_request")


async def test_dev_mode_with_a_configured_secret_issues_no_dev_token(agent: Any) -> None:
    # It used to sign development tokens with the real secret (issue 11, item 1).
    async with running(settings(ADVISOR_DEV_MODE="true"), agent) as url:
        status, refused, _ = await request("GET", f"{url}/webhooks/intranet/dev-token")
    assert (status, refused["error"]) == (404, "not_in_dev_mode")


# ------------------------------------------------------------------------------- history


async def test_history_returns_only_the_token_users_messages(agent: Any) -> None:
    alice, bob = user_id(), user_id()
    async with running(settings(), agent) as url:
        webhook, history = f"{url}/webhooks/intranet/webhook", f"{url}/webhooks/intranet/history"
        await request("POST", webhook, body={"message": "hello"}, headers=bearer(issue_token(SECRET, alice)))
        await request(
            "POST", webhook, body={"message": "/ask", "display_text": "Ask a question"}, headers=bearer(issue_token(SECRET, alice))
        )
        await request("POST", webhook, body={"message": "hi", "sender": alice}, headers=bearer(issue_token(SECRET, bob)))
        status, alices, _ = await request("GET", history, headers=bearer(issue_token(SECRET, alice)))
        _, bobs, _ = await request("GET", f"{history}?limit=1", headers=bearer(issue_token(SECRET, bob)))
        _, nobody, _ = await request("GET", history, headers=bearer(issue_token(SECRET, user_id())))
        bad_limit = await request("GET", f"{history}?limit=0", headers=bearer(issue_token(SECRET, bob)))

    assert status == 200 and alices["user"] == alice
    shown = [(message["role"], message.get("text")) for message in alices["messages"]]
    assert shown == [
        ("user", "hello"),
        ("bot", "Hello **there**"),
        ("user", "Ask a question"),  # the title the employee clicked, not the payload
        ("bot", "Budgets differ."),
    ]
    assert alices["messages"][1]["buttons"] == [{"title": "Ask a question", "payload": "/ask"}]
    assert alices["messages"][3]["custom"]["source"] == {"id": "budget/both", "section": "6"}
    assert alices["max_message_chars"] == 4000
    assert [(m["role"], m.get("text")) for m in bobs["messages"]] == [("bot", "Hello **there**")]
    assert nobody["messages"] == []
    assert (bad_limit[0], bad_limit[1]["error"]) == (400, "bad_request")


# ------------------------------------------------------------------------------- widget assets


async def test_widget_assets_are_served(agent: Any) -> None:
    async with running(settings(), agent) as url:
        script = await request("GET", f"{url}/webhooks/intranet/widget.js")
        style = await request("GET", f"{url}/webhooks/intranet/widget.css")
    async with running(Settings.from_env({"ADVISOR_DEV_MODE": "1"}), agent) as url:
        demo = await request("GET", f"{url}/webhooks/intranet/demo")
    assert script[0] == 200 and script[2]["content-type"].startswith("application/javascript")
    assert "innerHTML" not in script[1]  # all text goes in as text nodes
    assert style[0] == 200 and style[2]["content-type"].startswith("text/css")
    assert demo[0] == 200 and demo[2]["content-type"].startswith("text/html")
    assert "widget.js" in demo[1]
    for _, _, headers in (script, style, demo):
        assert headers["x-content-type-options"] == "nosniff"

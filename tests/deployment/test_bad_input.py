"""Bad input against the REST channel, the intranet channel and the `advisor` command.

Every case gets a clear 4xx (a JSON `{"error", "reason"}`) or a polite reply, never a 500 and
never a crash, and afterwards the stores hold nothing corrupt: the knowledge base's row counts
are what they were, the conversation the case wrote to reads back through the tracker store,
and the assistant still answers a knowledge-base question correctly.

The HTTP cases run against the embedded deployment (SQLite, in-memory locks; the session's
`assistant`) and against the company deployment (PostgreSQL, Redis; `company`), whose stores
are stricter (PostgreSQL refuses NUL characters and sender ids over 255 characters).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import jwt
import pytest

from bot.channels.rest import conversation_id as rest_conversation_id
from bot.tokens import issue_token
from tests.deployment.support import source_id, tracker_events
from tests.support import PROJECT_DIR, Assistant

pytestmark = pytest.mark.servers

REST = "/webhooks/rest/webhook"
INTRANET = "/webhooks/intranet/webhook"
KB_QUESTION = ("Jaki budżet ma plan sprzedaży?", "budget/sales")


@dataclass
class Case:
    """One bad request. `expect` is an HTTP status, or "reply" for a polite 200 with text."""

    path: str
    expect: Any
    body: Any = None
    raw: Optional[bytes] = None
    sender: Optional[str] = None  # the conversation the case may write to (checked afterwards)
    token: Optional[Callable[[str, str], str]] = None  # (secret, user) -> token, intranet only
    headers: Dict[str, str] = field(default_factory=dict)
    check: Optional[Callable[[Any, "Case", Any], None]] = None  # extra assertions on the reply


def sender(name: str) -> str:
    return f"bad-{name}-{uuid.uuid4().hex[:6]}"


def good_token(secret: str, user: str) -> str:
    return issue_token(secret, user)


def not_echoed(*fragments: str) -> Callable[[Any, Case, Any], None]:
    def check(reply: Any, case: Case, deployment: Any) -> None:
        for message in reply:
            for fragment in fragments:
                assert fragment not in (message.get("text") or ""), message
    return check


def recipient_is_token_user(reply: Any, case: Case, deployment: Any) -> None:
    assert {message["recipient_id"] for message in reply} == {case.sender}


def conversation(case: Case) -> str:
    """The conversation a case writes to: REST senders live in their own id space (`rest:<sender>`)."""
    return rest_conversation_id(case.sender) if case.path == REST else case.sender


def stored_channel_is_rest(reply: Any, case: Case, deployment: Any) -> None:
    events = deployment.events(conversation(case))
    channels = {event.input_channel for event in events if event.__class__.__name__ == "UserUttered"}
    assert channels == {"rest"}, channels


VICTIM = "bad-victim-employee"


def rest_cases() -> Dict[str, Case]:
    s = {name: sender(name) for name in ("long", "ctrl", "word", "html", "sql", "sqlsender", "spoof", "path", "rtl")}
    return {
        "rest-malformed-json": Case(REST, 400, raw=b'{"sender": "x", "message": '),
        "rest-body-is-array": Case(REST, 400, body=[1, 2, 3]),
        "rest-body-is-string": Case(REST, 400, body="hello"),
        "rest-empty-body": Case(REST, 400, raw=b""),
        "rest-message-number": Case(REST, 400, body={"sender": "bad-n", "message": 42}),
        "rest-message-null": Case(REST, 400, body={"sender": "bad-n", "message": None}),
        "rest-message-object": Case(REST, 400, body={"sender": "bad-n", "message": {"text": "hi"}}),
        "rest-sender-number": Case(REST, 400, body={"sender": 12345, "message": "hi"}),
        "rest-sender-list": Case(REST, 400, body={"sender": ["a"], "message": "hi"}),
        "rest-sender-too-long": Case(REST, 400, body={"sender": "a" * 300, "message": "hi"}),
        "rest-sender-nul": Case(REST, 400, body={"sender": "a\u0000b", "message": "hi"}),
        "rest-metadata-string": Case(REST, 400, body={"sender": "bad-m", "message": "hi", "metadata": "x"}),
        "rest-body-over-1mib": Case(REST, 413, raw=json.dumps({"sender": "bad-big", "message": "a" * (1 << 20)}).encode()),
        "rest-invalid-utf8": Case(REST, 400, raw=b'{"sender": "bad-u", "message": "plan \xff\xfe sprzeda\xc5"}'),
        "rest-lone-surrogate": Case(REST, 400, raw=b'{"sender": "bad-s", "message": "plan \\ud800 sprzeda\\u017cy"}'),
        "rest-message-over-limit": Case(REST, "reply", body={"sender": s["long"], "message": "budżet " * 3000},
                                        sender=s["long"]),
        "rest-control-characters": Case(REST, "reply", body={"sender": s["ctrl"], "message": "\u0000\u0007\u001b[31m plan \u0008"},
                                        sender=s["ctrl"]),
        "rest-bidi-override": Case(REST, "reply", body={"sender": s["rtl"], "message": "\u202ebudżet\u202c planu sprzedaży"},
                                   sender=s["rtl"]),
        "rest-very-long-word": Case(REST, "reply", body={"sender": s["word"], "message": "Sprzedaż" * 1500},
                                    sender=s["word"]),
        "rest-html-script": Case(REST, "reply", body={"sender": s["html"], "message": "<script>alert('x')</script><img src=x onerror=alert(1)>"},
                                 sender=s["html"], check=not_echoed("<script", "<img")),
        "rest-sql-in-message": Case(REST, "reply", body={"sender": s["sql"], "message": "'; DROP TABLE kb_entry; DELETE FROM events; --"},
                                    sender=s["sql"], check=not_echoed("DROP TABLE")),
        "rest-sql-in-sender": Case(REST, "reply", body={"sender": s["sqlsender"] + "'; DELETE FROM events; --", "message": "cześć"},
                                   sender=s["sqlsender"] + "'; DELETE FROM events; --"),
        "rest-path-in-sender": Case(REST, "reply", body={"sender": s["path"] + "/../../etc/passwd", "message": "cześć"},
                                    sender=s["path"] + "/../../etc/passwd"),
        "rest-input-channel-spoofed": Case(REST, "reply", body={"sender": s["spoof"], "message": "cześć", "input_channel": "intranet"},
                                           sender=s["spoof"], check=stored_channel_is_rest),
    }


def intranet_cases() -> Dict[str, Case]:
    s = {name: sender(name) for name in ("ok", "other", "html")}
    forged = lambda secret, user: jwt.encode({"sub": user}, "forged-" + "x" * 40, algorithm="HS256")  # noqa: E731
    expired = lambda secret, user: issue_token(secret, user, ttl_seconds=60, now=time.time() - 3600)  # noqa: E731
    alg_none = lambda secret, user: jwt.encode({"sub": user}, None, algorithm="none")  # noqa: E731
    hs512 = lambda secret, user: jwt.encode({"sub": user}, secret, algorithm="HS512")  # noqa: E731
    no_sub = lambda secret, user: jwt.encode({"name": user}, secret, algorithm="HS256")  # noqa: E731
    nul_sub = lambda secret, user: jwt.encode({"sub": user + "\u0000x"}, secret, algorithm="HS256")  # noqa: E731
    question = {"message": KB_QUESTION[0]}
    return {
        "intranet-no-token": Case(INTRANET, 401, body=question),
        "intranet-forged-token": Case(INTRANET, 401, body=question, token=forged),
        "intranet-expired-token": Case(INTRANET, 401, body=question, token=expired),
        "intranet-alg-none-token": Case(INTRANET, 401, body=question, token=alg_none),
        "intranet-hs512-token": Case(INTRANET, 401, body=question, token=hs512),
        "intranet-token-without-sub": Case(INTRANET, 401, body=question, token=no_sub),
        "intranet-token-sub-with-nul": Case(INTRANET, 401, body=question, token=nul_sub),
        "intranet-basic-auth": Case(INTRANET, 401, body=question, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}),
        "intranet-garbage-token": Case(INTRANET, 401, body=question, headers={"Authorization": "Bearer not.a.token"}),
        "intranet-malformed-json": Case(INTRANET, 400, raw=b'{"message": "Jaki', token=good_token),
        "intranet-body-is-array": Case(INTRANET, 400, body=["Jaki budżet?"], token=good_token),
        "intranet-message-number": Case(INTRANET, 400, body={"message": 7}, token=good_token),
        "intranet-lang-number": Case(INTRANET, 400, body={"message": "hi", "lang": 1}, token=good_token),
        "intranet-over-limit": Case(INTRANET, 413, body={"message": "budżet " * 1000}, token=good_token),
        "intranet-body-over-1mib": Case(INTRANET, 413, raw=json.dumps({"message": "a" * (1 << 20)}).encode(), token=good_token),
        "intranet-invalid-utf8": Case(INTRANET, 400, raw=b'{"message": "plan \xff\xfe"}', token=good_token),
        "intranet-lone-surrogate": Case(INTRANET, 400, raw=b'{"message": "plan \\udfff sprzeda\\u017cy"}', token=good_token),
        "intranet-another-users-conversation": Case(
            INTRANET, "reply", body={"message": KB_QUESTION[0], "sender": VICTIM, "recipient_id": VICTIM},
            sender=s["other"], token=good_token, check=recipient_is_token_user),
        "intranet-html-display-text": Case(
            INTRANET, "reply", body={"message": "Kto realizuje plan sprzedaży?", "display_text": "<img src=x onerror=alert(1)>"},
            sender=s["html"], token=good_token),
    }


HTTP_CASES = {**rest_cases(), **intranet_cases()}


# --- the deployments ---------------------------------------------------------------------------

@dataclass
class Deployment:
    assistant: Assistant

    @property
    def env(self) -> Dict[str, str]:
        return self.assistant.env

    def events(self, conversation: str) -> List[Any]:
        return tracker_events(self.env, conversation)

    def row_counts(self) -> Dict[str, int]:
        from sqlalchemy import create_engine, func, inspect, select, table

        engine = create_engine(self.env["KNOWLEDGE_DB_URL"], future=True)
        try:
            with engine.connect() as connection:
                names = sorted(inspect(connection).get_table_names())
                return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                        for name in names}
        finally:
            engine.dispose()


@pytest.fixture(scope="module", params=["embedded", "company"])
def deployment(request) -> Deployment:
    if request.param == "embedded":
        return Deployment(request.getfixturevalue("assistant"))
    return Deployment(request.getfixturevalue("company").servers[0])


@pytest.fixture(scope="module")
def rows_before(deployment: Deployment) -> Dict[str, int]:
    counts = deployment.row_counts()
    assert counts.get("kb_entry", 0) > 0, counts
    return counts


def send(assistant: Assistant, case: Case, token: Optional[str]) -> Tuple[int, Any]:
    headers = {"Content-Type": "application/json", **case.headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = case.raw if case.raw is not None else json.dumps(case.body).encode()
    request = urllib.request.Request(assistant.url + case.path, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, payload = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read().decode()
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload


@pytest.mark.parametrize("name", list(HTTP_CASES))
def test_bad_http_input_is_refused_or_answered_politely(deployment: Deployment, rows_before, name: str) -> None:
    case = HTTP_CASES[name]
    assistant = deployment.assistant
    token = None
    if case.token is not None:
        token = case.token(assistant.jwt_secret, case.sender or sender("token"))
    status, reply = send(assistant, case, token)

    if case.expect == "reply":
        assert status == 200, (status, reply)
        assert isinstance(reply, list) and any((m.get("text") or "").strip() for m in reply), reply
    else:
        assert status == case.expect, (status, reply)
        assert isinstance(reply, dict) and reply.get("error") and reply.get("reason"), reply
    if case.check:
        case.check(reply, case, deployment)

    # nothing corrupt in the stores
    assert deployment.row_counts() == rows_before
    if case.sender:
        events = deployment.events(conversation(case))
        assert [e for e in events if e.__class__.__name__ == "UserUttered"], "the conversation was not stored"
        assert all(isinstance(getattr(e, "text", "") or "", str) for e in events)
    assert deployment.events(VICTIM) == []
    check = sender("check")
    assert source_id(assistant.say(check, KB_QUESTION[0])) == KB_QUESTION[1]


def test_the_intranet_history_of_a_user_holds_only_their_messages(deployment: Deployment) -> None:
    """After the cases, another user's id sent in a body has written nothing to that user."""
    assert deployment.events(VICTIM) == []


# --- the advisor command ---------------------------------------------------------------------

def advisor(env: Dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "advisor"), *args], env=env, cwd=PROJECT_DIR,
                          capture_output=True, timeout=timeout)


CLI_CASES = {
    "export-path-traversal": (["plan", "export", "../../../etc/passwd"], 2, "not a plan id"),
    "export-absolute-path": (["plan", "export", "/etc/shadow"], 2, "not a plan id"),
    "export-sql": (["plan", "export", "'; DROP TABLE user_plan; --"], 2, "not a plan id"),
    "export-encoded-traversal": (["plan", "export", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"], 2, "not a plan id"),
    "export-uuid-with-suffix": (["plan", "export", "3f2b6c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f/../../x"], 2, "not a plan id"),
    "export-unknown-plan": (["plan", "export", "00000000-0000-4000-8000-000000000000"], 1, "no saved plan"),
    "export-bad-format": (["plan", "export", "00000000-0000-4000-8000-000000000000", "--format", "../x"], 2, "invalid choice"),
    "token-empty-user": (["token", "--user", ""], 2, "non-empty"),
    "token-user-too-long": (["token", "--user", "u" * 300], 2, "at most 255"),
    "token-bad-ttl": (["token", "--user", "alice", "--ttl", "-5"], 2, "positive"),
    "token-user-control-characters": (["token", "--user", "alice\u001b[2Jbob"], 2, "control characters"),
}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_bad_command_line_input_gets_a_clear_error(assistant: Assistant, name: str) -> None:
    args, code, message = CLI_CASES[name]
    before = Deployment(assistant).row_counts()
    result = advisor(assistant.env, *args)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == code, (result.returncode, stderr[-2000:])
    assert message in stderr, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert Deployment(assistant).row_counts() == before


def test_classify_takes_text_that_is_not_utf8_html_and_control_characters(assistant: Assistant) -> None:
    raw = b"<script>alert(1)</script> zwi\xc4\x99kszy\xc4\x87 sprzeda\xc5\xbc \xff\xfe o 10% \x1b[31m w tym kwartale"
    env = {**assistant.env, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([str(Path(sys.executable).parent / "advisor").encode(), b"classify", raw], env=env,
                            cwd=PROJECT_DIR, capture_output=True, timeout=180)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr[-2000:]
    verdict = json.loads(result.stdout)
    assert verdict["plan"] == "sales", verdict

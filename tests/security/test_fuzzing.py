"""Property-based fuzzing of both channels and the token parser (issue 11, item 8).

What is defended: whatever arrives — a body of any JSON shape and depth, raw bytes, any header
values, random and mutated tokens, unicode, NUL and control characters — gets an answer below
500 (a 4xx with `{"error", "reason"}`, or the assistant's 200 reply), no exception escapes
into the server's log, the token parser raises nothing but `TokenError`, and afterwards every
conversation in the tracker store (PostgreSQL, the strictest store) still reads back.

The servers are the Rasa app with this project's channels and the tiny keyword model, in a
thread, so one example costs a few milliseconds; the example counts keep this module under a
minute on a CI machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
import urllib.parse
from typing import Any, Dict, Iterator, List, Optional

import jwt
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from bot.settings import Settings
from bot.tokens import TokenError, issue_token, verify_token
from tests.security.support import SECRET, ServerThread, channels_for, http, settings
from tests.support import environment, temporary_postgres_database

FUZZ = hypothesis_settings(
    max_examples=int(os.environ.get("ADVISOR_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REST = "/webhooks/rest/webhook"
INTRANET = "/webhooks/intranet/webhook"

# --- strategies ----------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(["\u0000", "\ud800", "a\udfffb", "\u202e", "\x1b[2J", "\r\n", "\ufeff", "\U0001F600", "ż"])
TEXT = st.one_of(st.text(max_size=40), ODD_TEXT, st.lists(ODD_TEXT | st.text(max_size=5), max_size=6).map("".join))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), TEXT)
JSON = st.recursive(
    SCALARS, lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4), max_leaves=24
)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


DEEP = st.builds(lambda n, opener: opener * n, st.integers(1, 20_000), st.sampled_from([b"[", b'{"a":', b'{"message":[']))
RAW = st.one_of(st.binary(max_size=200), DEEP, TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
INTRANET_BODY = st.one_of(
    st.fixed_dictionaries({"message": JSON | TEXT}, optional={"lang": JSON, "display_text": JSON | TEXT, "sender": JSON}).map(dumps),
    JSON.map(dumps),
    RAW,
)
REST_BODY = st.one_of(
    st.fixed_dictionaries({}, optional={"sender": JSON | TEXT, "message": JSON | TEXT, "metadata": JSON,
                                        "input_channel": JSON}).map(dumps),
    JSON.map(dumps),
    RAW,
)
HEADER_VALUE = st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def signed(header: Dict[str, Any], claims: Any) -> str:
    """A token signed with the right secret, whatever its claims (PyJWT's encode refuses odd ones)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@st.composite
def tokens(draw: Any) -> str:
    """Random strings, tokens with random claims (signed with the right secret), and mutations of good tokens."""
    kind = draw(st.sampled_from(["text", "claims", "mutated", "header", "segments"]))
    if kind == "text":
        return draw(TEXT)
    if kind == "claims":
        claims = draw(st.dictionaries(st.sampled_from(["sub", "exp", "iat", "nbf", "aud", "iss", "lang", "name", "x"]), JSON))
        return signed({"alg": "HS256", "typ": "JWT"}, claims)
    good = issue_token(SECRET, draw(st.sampled_from(["alice", "bob"])))
    if kind == "mutated":
        position = draw(st.integers(0, len(good) - 1))
        return good[:position] + draw(TEXT) + good[position + draw(st.integers(0, 3)):]
    if kind == "header":
        header = draw(st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit", "jku"]), JSON))
        if draw(st.booleans()):
            return signed({"alg": "HS256", **header}, jwt.decode(good, SECRET, algorithms=["HS256"]))
        return _b64(json.dumps(header).encode()) + good[good.index("."):]
    return ".".join(draw(st.lists(st.binary(max_size=30).map(_b64) | TEXT, min_size=1, max_size=5)))


# --- the servers ------------------------------------------------------------------------------------

class ErrorLog(logging.Handler):
    """Collects log records at ERROR or above that carry an exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture(scope="module")
def servers(tiny_model: Any, errors: ErrorLog) -> Iterator[Dict[str, Any]]:
    """A company-like server (real secret, PostgreSQL tracker store) and a development one."""
    from rasa.core.agent import Agent

    from bot.stores import AdvisorTrackerStore

    with temporary_postgres_database() as url:
        domain = Agent.load(str(tiny_model)).domain
        from knowledge.db import upgrade_schema

        upgrade_schema("tracker", url)
        with environment({**os.environ, "TRACKER_STORE_URL": url}):
            store = AdvisorTrackerStore(domain=domain)
        agent = Agent.load(str(tiny_model), tracker_store=store)
        company = ServerThread(channels_for(settings(ADVISOR_RATE_LIMIT="0")), agent).start()
        development = ServerThread(
            channels_for(Settings.from_env({"ADVISOR_DEV_MODE": "1", "ADVISOR_RATE_LIMIT": "0"})), Agent.load(str(tiny_model))
        ).start()
        try:
            yield {"company": company, "development": development, "store": store}
            company.run(_all_conversations_read_back(store))
        finally:
            company.stop()
            development.stop()
            store.engine.dispose()
    assert errors.records == [], [r.getMessage() for r in errors.records][:5]


async def _all_conversations_read_back(store: Any) -> None:
    keys = list(await store.keys())
    assert keys, "the fuzzing wrote no conversation at all"
    for key in keys:
        tracker = await store.retrieve_full_tracker(key)
        assert tracker is not None and tracker.events, key
        json.dumps([event.as_dict() for event in tracker.events])


def check_reply(status: int, payload: Any, request: str) -> None:
    assert status < 500, (status, payload, request)
    if status >= 400:
        assert isinstance(payload, dict) and payload.get("error") and payload.get("reason"), (status, payload, request)
    elif status == 200:
        assert isinstance(payload, (list, dict)), (payload, request)


# --- the token parser ------------------------------------------------------------------------------

@hypothesis_settings(max_examples=400, deadline=None)
@given(token=tokens(), audience=st.none() | TEXT, issuer=st.none() | TEXT, max_ttl=st.integers(-10, 10**9))
def test_the_token_parser_only_ever_refuses_with_token_error(token: str, audience: Optional[str],
                                                            issuer: Optional[str], max_ttl: int) -> None:
    try:
        identity = verify_token(token, SECRET, max_ttl=max_ttl, audience=audience, issuer=issuer)
    except TokenError as error:
        assert error.code and error.reason
    else:
        assert isinstance(identity.user_id, str) and identity.user_id.strip()
        assert identity.expires_at is not None and identity.expires_at > time.time() - 60


@pytest.mark.parametrize("claims", [
    {"sub": "a", "exp": 10**400}, {"sub": "a", "exp": float("inf")}, {"sub": "a", "exp": float("nan")},
    {"sub": "a", "exp": 2**70, "iat": float("-inf")}, {"sub": "a", "exp": 4102444800, "nbf": float("inf")},
    {"sub": "a", "exp": "tomorrow"}, {"sub": ["a"], "exp": 4102444800}, {"sub": "a", "exp": None},
])
def test_times_and_claims_out_of_range_are_refused(claims: Dict[str, Any]) -> None:
    """Examples the fuzzing found or might: each used to escape as OverflowError or similar."""
    with pytest.raises(TokenError):
        verify_token(signed({"alg": "HS256"}, claims), SECRET)
    with pytest.raises(TokenError):
        verify_token(signed({"alg": "HS256", "kid": None}, {"sub": "a", "exp": int(time.time()) + 60}), SECRET)


# --- the channels ---------------------------------------------------------------------------------------

@FUZZ
@given(body=INTRANET_BODY, user=st.sampled_from(["alice", "bob", "ż\u00e9", "x" * 255]))
def test_intranet_bodies(servers: Dict[str, Any], body: bytes, user: str) -> None:
    server = servers["company"]
    status, payload, _ = http(server.url, "POST", INTRANET, body, {"Authorization": f"Bearer {issue_token(SECRET, user)}"})
    check_reply(status, payload, repr(body[:200]))


@FUZZ
@given(token=tokens(), authorization=st.none() | HEADER_VALUE, origin=st.none() | HEADER_VALUE,
       content_type=st.none() | HEADER_VALUE, path=st.sampled_from([INTRANET, "/webhooks/intranet/history"]))
def test_intranet_headers_and_tokens(servers: Dict[str, Any], token: str, authorization: Optional[bytes],
                                     origin: Optional[bytes], content_type: Optional[bytes], path: str) -> None:
    headers: Dict[str, Any] = {"Authorization": authorization if authorization is not None
                               else ("Bearer " + token).encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b"")}
    if origin is not None:
        headers["Origin"] = origin
    if content_type is not None:
        headers["Content-Type"] = content_type
    method = "POST" if path == INTRANET else "GET"
    status, payload, _ = http(servers["company"].url, method, path, dumps({"message": "hello"}) if method == "POST" else None, headers)
    check_reply(status, payload, repr(headers))


@FUZZ
@given(body=REST_BODY)
def test_rest_bodies(servers: Dict[str, Any], body: bytes) -> None:
    status, payload, _ = http(servers["company"].url, "POST", REST, body)
    check_reply(status, payload, repr(body[:200]))


@FUZZ
@given(user=st.none() | TEXT, lang=st.none() | TEXT)
def test_dev_token_query(servers: Dict[str, Any], user: Optional[str], lang: Optional[str]) -> None:
    query = {key: value.encode("utf-8", "surrogatepass") for key, value in (("user", user), ("lang", lang)) if value is not None}
    path = "/webhooks/intranet/dev-token?" + urllib.parse.urlencode(query)
    status, payload, _ = http(servers["development"].url, "GET", path)
    check_reply(status, payload, path)
    if status == 200:
        assert payload["token"] and payload["user"]

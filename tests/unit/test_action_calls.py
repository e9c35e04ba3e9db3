"""bot/action_calls.py: Rasa's action calls with a cached validator and pooled connections.

Runs a real aiohttp action endpoint on loopback. Pins the Rasa version and the source of the
wrapped Rasa methods: an upgrade must fail here until the wrappers are checked against it.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import rasa
import ujson
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import action_calls

# sha256 of the Rasa 3.6.21 sources the wrappers reproduce or replace
PINNED = {
    "RemoteAction._validate_action_result": "f8cdb4be68123961",
    "RemoteAction.__init__": "69103389ee02de80",
    "RemoteAction.run": "ccabf6f1160d527a",
    "EndpointConfig.request": "ccdb778aed8208e2",
    "EndpointConfig.session": "e55aa13d9d4fb4bc",
}


def _source_digest(function) -> str:
    return hashlib.sha256(inspect.getsource(inspect.unwrap(function)).encode()).hexdigest()[:16]


def test_rasa_is_the_version_the_wrappers_were_written_for():
    assert rasa.__version__ == "3.6.21"
    originals = {
        "RemoteAction._validate_action_result": action_calls.ORIGINALS["validate"],
        "RemoteAction.__init__": action_calls.ORIGINALS["init"],
        "RemoteAction.run": RemoteAction.run,
        "EndpointConfig.request": EndpointConfig.request,
        "EndpointConfig.session": EndpointConfig.session,
    }
    assert {name: _source_digest(f) for name, f in originals.items()} == PINNED


def test_install_is_idempotent_and_wraps_remote_action():
    action_calls.install()
    action_calls.install()
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook")
    first, second = RemoteAction("action_a", endpoint), RemoteAction("action_b", endpoint)
    assert isinstance(first.action_endpoint, action_calls.PooledEndpointConfig)
    assert first.action_endpoint is second.action_endpoint
    assert first.action_endpoint == endpoint  # same URL, headers, parameters
    assert RemoteAction("action_c", None).action_endpoint is None


@pytest.mark.parametrize("response", [
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"response": "utter_x"}]},
    {"events": [], "responses": []},
    {},
])
def test_valid_responses_pass_as_before(response):
    action_calls.install()
    assert action_calls._validate_action_result(RemoteAction("a", None), response) is True
    assert action_calls.ORIGINALS["validate"](RemoteAction("a", None), response) is True


@pytest.mark.parametrize("response", [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [1, 2]},
])
def test_invalid_responses_fail_with_rasa_s_message(response):
    action_calls.install()
    with pytest.raises(ValidationError) as ours:
        action_calls._validate_action_result(RemoteAction("a", None), response)
    with pytest.raises(ValidationError) as rasas:
        action_calls.ORIGINALS["validate"](RemoteAction("a", None), response)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


@asynccontextmanager
async def webhook_at(handler: Callable[[web.Request], Awaitable[web.Response]]) -> AsyncIterator[str]:
    """A loopback aiohttp server answering POST /webhook with `handler`: the webhook's URL."""
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/webhook"
    finally:
        await runner.cleanup()


async def close_sessions(endpoint: action_calls.PooledEndpointConfig) -> None:
    for session in endpoint._sessions.values():
        await session.close()


def test_pooled_requests_reuse_one_connection_and_answer_like_rasa():
    peers = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        body = await request.json()
        if body.get("fail"):
            return web.json_response({"error": "no"}, status=400)
        return web.json_response({"echo": body, "token": request.query.get("token")})

    async def scenario():
        async with webhook_at(webhook) as url:
            endpoint = action_calls.PooledEndpointConfig(EndpointConfig(url, token="secret"))
            answers = [await endpoint.request(json={"n": n}, method="post", timeout=30) for n in range(3)]
            plain = await EndpointConfig(url, token="secret").request(json={"n": 0}, method="post", timeout=30)
            with pytest.raises(ClientResponseError) as error:
                await endpoint.request(json={"fail": True}, method="post")
            await close_sessions(endpoint)
            return answers, plain, error.value

    answers, plain, error = asyncio.run(scenario())
    assert answers[0] == plain == {"echo": {"n": 0}, "token": "secret"}
    assert [a["echo"]["n"] for a in answers] == [0, 1, 2]
    assert len(set(peers[:3])) == 1  # one kept-alive connection for the pooled requests
    assert peers[3] != peers[0]      # Rasa's own request opened another
    assert error.status == 400


# What a tracker sent to the action server may hold: texts in any script (lone surrogates
# included: JSON escapes can carry them in), numbers, booleans, nulls, nested lists and objects.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_the_pooled_session_encodes_trackers_as_the_standard_library_reads_them(value):
    assert json.loads(ujson.dumps({"tracker": value})) == {"tracker": value}


# --- the request body: the domain encoded once ---------------------------------------------

def _action_call_body():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("bot/domain")
    tracker = DialogueStateTracker.from_events("someone", [
        ActionExecuted("action_listen"), UserUttered("Jak napisać plan? ąę / \u2028", {"name": "ask_overview"}),
        SlotSet("language", "pl"),
    ], domain.slots)
    return RemoteAction("action_answer_question", None)._action_call_format(tracker, domain), domain


def test_the_body_of_an_action_call_is_encoded_as_ujson_encodes_it():
    body, domain = _action_call_body()
    assert list(body)[-1] == "domain" and body["domain"] is domain.as_dict()  # what encode_body relies on
    assert action_calls.encode_body(body) == ujson.dumps(body)
    assert action_calls.encode_body(body) == ujson.dumps(body)  # the second time from the cache
    other = {**body, "domain": {**body["domain"], "intents": ["x"]}}  # another domain object
    assert action_calls.encode_body(other) == ujson.dumps(other)
    assert json.loads(action_calls.encode_body(body)) == body


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _json_values, max_size=4), _json_values, st.booleans())
def test_any_body_is_encoded_as_ujson_encodes_it(rest, domain, with_domain):
    body = {**rest, "domain": domain} if with_domain else rest
    assert action_calls.encode_body(body) == ujson.dumps(body)
    assert action_calls.encode_body({"domain": {"a": 1}}) == ujson.dumps({"domain": {"a": 1}})


def test_pooled_session_sends_the_encoded_body():
    received = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"events": [], "responses": []})

    async def scenario(body):
        async with webhook_at(webhook) as url:
            endpoint = action_calls.PooledEndpointConfig(EndpointConfig(url))
            await endpoint.request(json=body, method="post", timeout=30)
            await close_sessions(endpoint)

    body, _ = _action_call_body()
    asyncio.run(scenario(body))
    assert received == [ujson.dumps(body).encode()]


# --- validation: each event against the schema of its own type first -----------------------

def test_each_rasa_event_type_has_exactly_one_schema():
    """The premise of the quick check: every branch of Rasa's `oneOf` fixes `event` to its own constant."""
    schema = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    constants = [branch["properties"]["event"]["const"] for branch in schema["oneOf"]]
    assert len(constants) == len(set(constants)) == 23
    _, per_type = action_calls._quick_validators()
    assert set(per_type) == set(constants)


def _every_event_type():
    from rasa.shared.core import events as e

    return [
        e.UserUttered("hi", {"name": "greet", "confidence": 0.9}, [{"entity": "plan", "value": "sales"}]),
        e.BotUttered("hello", {"buttons": []}, {"utter_action": "utter_greet"}),
        e.SlotSet("language", "pl"), e.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        e.ActiveLoop("plan_form"), e.ActiveLoop(None), e.LoopInterrupted(True), e.ActionExecutionRejected("plan_form"),
        e.AllSlotsReset(), e.ConversationPaused(), e.ConversationResumed(), e.FollowupAction("utter_x"),
        e.Restarted(), e.ActionReverted(), e.UserUtteranceReverted(), e.SessionStarted(), e.StoryExported(),
        e.EntitiesAdded([{"entity": "plan", "value": "sales"}]), e.AgentUttered("x"),
        e.ReminderCancelled(name="r"), e.DefinePrevUserUtteredFeaturization(False),
    ]


def test_valid_responses_pass_the_quick_check():
    events = [event.as_dict() for event in _every_event_type()]
    for response in ({"events": events, "responses": [{"response": "utter_x"}]}, {"events": []}, {}):
        assert action_calls._quickly_valid(response)
        assert action_calls.ORIGINALS["validate"](RemoteAction("a", None), response) is True


_event_like = st.fixed_dictionaries(
    {"event": st.sampled_from(["user", "bot", "slot", "action", "active_loop", "entities", "nope", "reminder"]) | st.integers() | st.lists(st.integers(), max_size=1)},
    optional={"timestamp": _json_values, "metadata": _json_values, "name": _json_values, "value": _json_values,
              "text": _json_values, "entities": _json_values, "parse_data": _json_values, "policy": _json_values,
              "confidence": _json_values, "action_text": _json_values, "hide_rule_turn": _json_values},
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_event_like | _json_values, max_size=4), st.sampled_from(["events", "other"]), _json_values)
def test_the_quick_check_never_accepts_what_rasa_s_schema_rejects(events, key, responses):
    response = {key: events, "responses": responses}
    if action_calls._quickly_valid(response):
        assert action_calls.ORIGINALS["validate"](RemoteAction("a", None), response) is True

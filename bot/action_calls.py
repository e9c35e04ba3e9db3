"""How the Rasa server calls the action server: the same requests and checks, at less cost per call.

A profile of the Rasa server under 50 concurrent conversations (bench/README.md, "Profiling")
showed two costs of Rasa 3.6's `RemoteAction` that do not depend on what the actions do:

- `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`, which
  first checks the schema itself against the JSON Schema meta-schema and builds a new
  validator, on every call: 8-9 % of the server's time. Here the validator is built once for
  Rasa's own schema (`RemoteAction.action_response_format_spec()`, checked once) and each
  response is validated against it: the same schema, the same `ValidationError` with the same
  message when a response is invalid.
- `EndpointConfig.request` opens a new `aiohttp.ClientSession`, hence a new TCP connection,
  for every request: 5-6 % of the server's time went to connecting. The action endpoint of
  each `RemoteAction` is replaced by a `PooledEndpointConfig`, which sends the same request
  (method, URL, headers, parameters, timeout, compression, TLS file) over one keep-alive
  session per event loop, and answers the same way (`ClientResponseError` from status 400,
  the JSON body, or None when the body is not JSON).
- The tracker sent with each call was encoded by the standard library's `json.dumps` (8 % of
  the server's time under load): the pooled session encodes it with `ujson` (a dependency of
  Rasa itself), which gives the same JSON (it escapes "/" as "\\/", which JSON allows).
- Of what was left, `ujson.dumps` of the request body was 6 % of the server's time, and a
  third of each body is the domain (27 kB, the same object on every call: `Domain.as_dict()`
  returns the domain's own dict, which Rasa never changes after loading). The body is now
  encoded without the domain, and the domain's JSON, encoded once per domain object, is added
  at its place (the last key, as Rasa builds the body): the same bytes as `ujson.dumps(body)`.
- The validation itself (2.6 %) checks every returned event against all 23 event schemas of
  Rasa's `oneOf`. An event names its type (`"event"`), and exactly one of the 23 schemas
  accepts each type, so a response is first checked with each event against the schema of its
  own type only; when that says valid, Rasa's full schema says valid too. Anything else
  (an unknown type, an invalid event or response) goes through the full schema as before,
  which raises Rasa's error.

Rasa has no setting or hook for either (see bot/policies/action_failure.py), so `install()`
wraps the two `RemoteAction` methods; it is idempotent and runs when the model's policies are
built (ActionFailurePolicy, the policy that already watches action calls). Nothing in Rasa's
installed files is changed. tests/unit/test_action_calls.py pins the Rasa version and the
source of the wrapped methods, so an upgrade of Rasa makes it fail until this is re-checked.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any, Dict, Optional, Text
from weakref import WeakKeyDictionary

import aiohttp
import ujson
from rasa.core.actions.action import RemoteAction
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

_INSTALLED = "_advisor_action_calls_installed"
IDLE_CONNECTION_SECONDS = 2.0
"""A kept-alive connection idle this long is closed (the action server's Sanic: 5 s)."""


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema import validators

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # what jsonschema.validate does on every call
    return validator_class(schema)


@functools.lru_cache(maxsize=1)
def _quick_validators() -> "tuple[Any, Dict[str, Any]]":
    """A validator of the response without its events, and one per event type.

    Rasa's event schema is an object with common properties and a `oneOf` of one schema per
    type, each fixing `event` to a constant. For an event of type T the schemas of the other
    types all fail (their constant differs), so the `oneOf` holds exactly when T's own schema
    holds: an event is valid when it passes the common part with T's schema alone. Returns
    only what this argument covers: types named by exactly one schema.
    """
    from jsonschema import validators

    schema = RemoteAction.action_response_format_spec()
    event_schema = schema["properties"]["events"]["items"]
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_type: Dict[str, list] = {}
    for branch in event_schema["oneOf"]:
        by_type.setdefault(branch["properties"]["event"]["const"], []).append(branch)
    response = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    validator_class = validators.validator_for(schema)
    per_type = {
        name: validator_class({**common, "allOf": branches})
        for name, branches in by_type.items() if len(branches) == 1
    }
    return validator_class(response), per_type


def _quickly_valid(result: Any) -> bool:
    """True only if Rasa's schema accepts `result` (False: ask the full schema)."""
    response, per_type = _quick_validators()
    if not response.is_valid(result):
        return False
    for event in result.get("events", ()):
        kind = event.get("event") if isinstance(event, dict) else None
        validator = per_type.get(kind) if isinstance(kind, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the validator built once."""
    from jsonschema import ValidationError, exceptions

    from rasa.shared.constants import DOCS_BASE_URL

    if _quickly_valid(result):
        return True
    try:
        error = exceptions.best_match(_response_validator().iter_errors(result))
        if error is not None:
            raise error
        return True
    except ValidationError as e:  # as Rasa does
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


_DOMAIN_KEY = "domain"
_encoded_domain: "list[Any]" = [None, ""]
"""The last domain dict encoded, and its JSON (the server has one domain per model)."""


def _domain_json(domain: Dict[str, Any]) -> str:
    if _encoded_domain[0] is not domain:
        _encoded_domain[:] = [domain, ujson.dumps(domain)]
    return _encoded_domain[1]


def encode_body(body: Any) -> str:
    """`ujson.dumps(body)`, with a last key `domain` encoded once per domain dict."""
    if not isinstance(body, dict) or not isinstance(body.get(_DOMAIN_KEY), dict) or next(reversed(body)) != _DOMAIN_KEY:
        return ujson.dumps(body)
    rest = ujson.dumps({key: value for key, value in body.items() if key != _DOMAIN_KEY})
    separator = "," if len(body) > 1 else ""
    return f'{rest[:-1]}{separator}"{_DOMAIN_KEY}":{_domain_json(body[_DOMAIN_KEY])}}}'


class PooledEndpointConfig(EndpointConfig):
    """An `EndpointConfig` whose `request` keeps one keep-alive session per event loop."""

    def __init__(self, original: EndpointConfig) -> None:
        super().__init__(
            url=original.url, params=original.params, headers=original.headers,
            basic_auth=original.basic_auth, token=original.token, token_name=original.token_name,
            cafile=original.cafile, **original.kwargs,
        )
        self.type = original.type
        self._sessions: "WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = WeakKeyDictionary()
        self._ssl: Optional[ssl.SSLContext] = None

    def _pooled_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            # Rasa's session (headers, basic auth, timeout) on a connector that drops idle
            # connections before the action server does (Sanic closes them after 5 s), so a
            # request is not sent on a connection the server is closing.
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
            session = aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
                json_serialize=encode_body,
            )
            self._sessions[loop] = session
        return session

    def _ssl_context(self) -> Optional[ssl.SSLContext]:
        if self.cafile and self._ssl is None:
            try:
                self._ssl = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(f"Failed to find certificate file, '{self.cafile}' does not exist.") from e
        return self._ssl

    async def request(
        self,
        method: Text = "post",
        subpath: Optional[Text] = None,
        content_type: Optional[Text] = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Optional[Any]:
        """`EndpointConfig.request` (Rasa 3.6.21) on the pooled session."""
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs["headers"])
            del kwargs["headers"]
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)
        async with self._pooled_session().request(
            method, url, headers=headers, params=self.combine_parameters(kwargs), compress=compress,
            ssl=self._ssl_context(), **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(response.status, response.reason, await response.content.read())
            try:
                return await response.json()
            except aiohttp.ContentTypeError:
                return None


_POOLED: Dict[int, "tuple[EndpointConfig, PooledEndpointConfig]"] = {}


def _pooled(endpoint: EndpointConfig) -> PooledEndpointConfig:
    """One pooled copy per endpoint object (the processor creates a RemoteAction per call)."""
    known = _POOLED.get(id(endpoint))
    if known is None or known[0] is not endpoint:
        known = _POOLED[id(endpoint)] = (endpoint, PooledEndpointConfig(endpoint))
    return known[1]


ORIGINALS = {"init": RemoteAction.__init__, "validate": RemoteAction._validate_action_result}
"""Rasa's own methods, before `install()` (for the tests and for reference)."""


def install() -> None:
    """Wrap `RemoteAction` (once per process): cached response validation, pooled connections."""
    if getattr(RemoteAction, _INSTALLED, False):
        return
    original_init = ORIGINALS["init"]

    @functools.wraps(original_init)
    def __init__(self: RemoteAction, name: Text, action_endpoint: Optional[EndpointConfig]) -> None:
        if action_endpoint is not None and type(action_endpoint) is EndpointConfig:
            action_endpoint = _pooled(action_endpoint)
        original_init(self, name, action_endpoint)

    RemoteAction.__init__ = __init__  # type: ignore[method-assign]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _INSTALLED, True)

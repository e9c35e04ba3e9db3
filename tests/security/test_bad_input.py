"""Bad input gets a clear 4xx, never a 500 (issue 11, items 5-7).

What is defended:
- JSON nested deeply (`[` 17,000 times, or just over the 32 levels a body may have) is a 400
  `bad_json` on both channels, and reaches no conversation (item 5);
- `/dev-token?user=alice%0A` (a newline the user-name pattern used to let through) is a 400
  (item 6);
- the message limit counts characters after parsing: 3,000 emoji sent as JSON escapes
  (`\\ud83d\\ude00`, Python's default `json.dumps`) are accepted; the body has its own, generous
  byte cap (413 `body_too_large`) (item 7).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.checks import MAX_JSON_DEPTH
from bot.settings import Settings
from bot.tokens import issue_token
from tests.channels.test_intranet import request
from tests.security.support import SECRET, bearer, channels_for, serving, settings

REST = "/webhooks/rest/webhook"
INTRANET = "/webhooks/intranet/webhook"


def nested(depth: int, inner: bytes = b'"x"') -> bytes:
    return b"[" * depth + inner + b"]" * depth


DEEP_BODIES = {
    "17000-brackets": nested(17_000),
    "17000-unclosed": b"[" * 17_000,
    "deep-message": b'{"message": ' + nested(5_000) + b"}",
    "deep-metadata": b'{"sender": "x", "message": "hi", "metadata": {"a": ' + nested(MAX_JSON_DEPTH) + b"}}",
    "deep-objects": b'{"message": "hi", "x": ' + b'{"a": ' * 2_000 + b"1" + b"}" * 2_000 + b"}",
}


@pytest.mark.parametrize("name", list(DEEP_BODIES))
async def test_deeply_nested_json_is_400_bad_json_on_both_channels(agent: Any, name: str) -> None:
    raw = DEEP_BODIES[name]
    alice = "deep-alice"
    async with serving(channels_for(settings()), agent) as url:
        rest = await request("POST", url + REST, raw=raw)
        intranet = await request("POST", url + INTRANET, raw=raw, headers=bearer(issue_token(SECRET, alice)))
    for status, body, _ in (rest, intranet):
        assert (status, body["error"]) == (400, "bad_json"), (status, body)
        assert body["reason"]
    assert list(await agent.tracker_store.keys()) == []


async def test_json_up_to_the_allowed_depth_is_still_read(agent: Any) -> None:
    metadata = json.loads(nested(MAX_JSON_DEPTH - 3))  # inside {"metadata": {"a": ...}}
    async with serving(channels_for(settings()), agent) as url:
        status, reply, _ = await request("POST", url + REST,
                                         body={"sender": "shallow", "message": "hello", "metadata": {"a": metadata}})
    assert status == 200 and reply[0]["text"] == "Hello **there**"


@pytest.mark.parametrize("user", ["alice%0A", "alice%0D%0A", "%0Aalice", "alice%00", "al%20ice", "a" * 65])
async def test_dev_token_user_with_a_newline_or_junk_is_400(agent: Any, user: str) -> None:
    async with serving(channels_for(Settings.from_env({"ADVISOR_DEV_MODE": "1"})), agent) as url:
        status, body, _ = await request("GET", f"{url}/webhooks/intranet/dev-token?user={user}")
        good = await request("GET", f"{url}/webhooks/intranet/dev-token?user=alice")
    assert (status, body["error"]) == (400, "bad_request"), (status, body)
    assert good[0] == 200


async def test_the_message_limit_counts_characters_not_bytes(agent: Any) -> None:
    alice = "emoji-alice"
    emoji = "\U0001F600" * 3000
    escaped = json.dumps({"message": emoji}).encode()  # "\ud83d\ude00" escapes: 36,000 bytes
    assert len(escaped) > 36_000
    async with serving(channels_for(settings()), agent) as url:
        accepted = await request("POST", url + INTRANET, raw=escaped, headers=bearer(issue_token(SECRET, alice)))
        raw_utf8 = await request("POST", url + INTRANET, raw=json.dumps({"message": emoji}, ensure_ascii=False).encode(),
                                 headers=bearer(issue_token(SECRET, alice)))
        too_many = await request("POST", url + INTRANET, body={"message": "\U0001F600" * 4001},
                                 headers=bearer(issue_token(SECRET, alice)))
        huge = await request("POST", url + INTRANET, raw=b'{"message": "hi", "pad": "' + b"a" * 200_000 + b'"}',
                             headers=bearer(issue_token(SECRET, alice)))
    assert accepted[0] == 200, accepted
    assert raw_utf8[0] == 200, raw_utf8
    assert (too_many[0], too_many[1]["error"]) == (413, "message_too_long")
    assert "4000 characters" in too_many[1]["reason"]
    assert (huge[0], huge[1]["error"]) == (413, "body_too_large")
    events = [e for e in (await agent.tracker_store.retrieve(alice)).events if e.type_name == "user"]
    assert [len(e.text) for e in events] == [3000, 3000]

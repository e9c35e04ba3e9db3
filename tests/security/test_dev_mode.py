"""Development mode, development tokens and the demo page (issue 11, items 1 and 10).

What is defended:
- development tokens are only ever signed with the public development secret: with a real
  `ADVISOR_JWT_SECRET` (even in development mode, as `make run` turns it on) `/dev-token` is
  404, so nobody who can reach the port can mint a token of the real secret for any user;
- a development token never opens a server that has a real secret;
- the demo page is served only in development mode without a real secret (404 otherwise), and
  never takes a token from its address (`#token=`), which would let a link put a victim into
  the attacker's conversation.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.settings import Settings
from bot.tokens import DEVELOPMENT_SECRET, TokenError, verify_token
from tests.channels.test_intranet import request
from tests.security.support import SECRET, bearer, channels_for, serving, settings
from bot.channels.intranet import WEB_DIR

MODES = {
    "real-secret-dev-mode": {"ADVISOR_DEV_MODE": "true"},  # `make run` with a secret set
    "real-secret": {},
    "no-secret-no-dev-mode": {"ADVISOR_JWT_SECRET": ""},
}


@pytest.mark.parametrize("mode", list(MODES))
async def test_no_dev_token_and_no_demo_page_outside_development(agent: Any, mode: str) -> None:
    async with serving(channels_for(settings(**MODES[mode])), agent) as url:
        dev_token = await request("GET", f"{url}/webhooks/intranet/dev-token?user=alice")
        demo = await request("GET", f"{url}/webhooks/intranet/demo?user=alice")
        widget = await request("GET", f"{url}/webhooks/intranet/widget.js")
    assert (dev_token[0], dev_token[1]["error"]) == (404, "not_in_dev_mode")
    assert "token" not in dev_token[1]
    assert (demo[0], demo[1]["error"]) == (404, "not_in_dev_mode")
    assert widget[0] == 200  # the widget itself is what intranets embed


async def test_development_mode_without_a_secret_signs_with_the_development_secret_only(agent: Any) -> None:
    dev = Settings.from_env({"ADVISOR_DEV_MODE": "1"})
    async with serving(channels_for(dev), agent) as url:
        status, issued, _ = await request("GET", f"{url}/webhooks/intranet/dev-token?user=alice")
        demo = await request("GET", f"{url}/webhooks/intranet/demo")
    assert status == 200 and demo[0] == 200
    assert verify_token(issued["token"], DEVELOPMENT_SECRET).user_id == "alice"
    with pytest.raises(TokenError):
        verify_token(issued["token"], SECRET)


async def test_a_development_token_does_not_open_a_server_with_a_real_secret(agent: Any) -> None:
    async with serving(channels_for(Settings.from_env({"ADVISOR_DEV_MODE": "1"})), agent) as url:
        _, issued, _ = await request("GET", f"{url}/webhooks/intranet/dev-token?user=alice")
    async with serving(channels_for(settings(ADVISOR_DEV_MODE="1")), agent) as url:
        status, body, _ = await request("POST", f"{url}/webhooks/intranet/webhook", body={"message": "hello"},
                                        headers=bearer(issued["token"]))
    assert (status, body["error"]) == (401, "bad_signature")


def test_the_demo_page_takes_no_token_from_its_address() -> None:
    page = (WEB_DIR / "demo.html").read_text(encoding="utf-8")
    assert "location.hash" not in page
    assert "dataset.token " not in page and "dataset.token=" not in page
    assert "dataset.tokenUrl = devTokenUrl" in page

"""Tokens of the intranet channel (issue 11, items 1-4).

What is defended:
- every token expires: one without `exp` is refused, and so is one that lives longer than
  `ADVISOR_JWT_MAX_TTL` (12 h by default) (item 2);
- tokens of a real identity provider: `aud` / `iss` are checked when `ADVISOR_JWT_AUDIENCE` /
  `ADVISOR_JWT_ISSUER` are set, and accepted on signature and expiry when not (item 3);
- the secret: surrounding whitespace (a secret file's newline) is removed, a secret shorter
  than 32 bytes stops the server outside development mode with a clear message (item 4);
- `advisor token` signs with the configured secret, or in development mode without one with
  the public development secret, and refuses a short secret or a lifetime over the maximum.
"""

from __future__ import annotations

import time
from typing import Any, Dict

import jwt
import pytest

from bot.cli import main as advisor
from bot.settings import Settings
from bot.tokens import DEVELOPMENT_SECRET, SecretProblem, TokenError, issue_token, signing_secret, verify_token
from tests.security.support import SECRET, bearer, channels_for, serving, settings



def signed(claims: Dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def refused(token: str, **rules: Any) -> str:
    with pytest.raises(TokenError) as error:
        verify_token(token, SECRET, **rules)
    return error.value.code


# --- item 2: expiry ---------------------------------------------------------------------------

def test_a_token_without_exp_is_refused() -> None:
    NOW = int(time.time())  # at run time: a long test run must not age the tokens
    assert refused(signed({"sub": "alice"})) == "missing_expiry"
    assert refused(signed({"sub": "alice", "iat": NOW})) == "missing_expiry"


def test_a_token_living_longer_than_the_maximum_is_refused() -> None:
    NOW = int(time.time())  # at run time: a long test run must not age the tokens
    assert refused(signed({"sub": "alice", "exp": NOW + 13 * 3600})) == "lifetime_too_long"
    assert refused(signed({"sub": "alice", "iat": NOW - 3600, "exp": NOW + 12 * 3600})) == "lifetime_too_long"
    assert refused(signed({"sub": "alice", "exp": NOW + 2 * 3600}), max_ttl=3600) == "lifetime_too_long"
    assert verify_token(signed({"sub": "alice", "iat": NOW, "exp": NOW + 12 * 3600}), SECRET).user_id == "alice"
    assert verify_token(signed({"sub": "alice", "exp": NOW + 600}), SECRET, max_ttl=3600).user_id == "alice"


def test_issue_token_never_issues_an_endless_or_too_long_token() -> None:
    with pytest.raises(ValueError):
        issue_token(SECRET, "alice", ttl_seconds=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        issue_token(SECRET, "alice", ttl_seconds=13 * 3600)
    claims = jwt.decode(issue_token(SECRET, "alice"), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600


def test_max_ttl_comes_from_the_environment() -> None:
    assert Settings.from_env({}).jwt_max_ttl == 12 * 3600
    assert Settings.from_env({"ADVISOR_JWT_MAX_TTL": "900"}).jwt_max_ttl == 900


async def test_the_channel_refuses_tokens_without_exp_or_too_long(agent: Any) -> None:
    NOW = int(time.time())  # at run time: a long test run must not age the tokens
    async with serving(channels_for(settings(ADVISOR_JWT_MAX_TTL="600")), agent) as url:
        from tests.channels.test_intranet import request

        webhook = f"{url}/webhooks/intranet/webhook"
        endless = await request("POST", webhook, body={"message": "hello"}, headers=bearer(signed({"sub": "alice"})))
        long = await request("POST", webhook, body={"message": "hello"},
                             headers=bearer(signed({"sub": "alice", "exp": NOW + 3600})))
        short = await request("POST", webhook, body={"message": "hello"},
                              headers=bearer(signed({"sub": "alice", "exp": NOW + 300})))
    assert (endless[0], endless[1]["error"]) == (401, "missing_expiry")
    assert (long[0], long[1]["error"]) == (401, "lifetime_too_long")
    assert short[0] == 200


# --- item 3: audience and issuer ----------------------------------------------------------------

def test_aud_and_iss_are_accepted_when_not_configured() -> None:
    NOW = int(time.time())  # at run time: a long test run must not age the tokens
    token = signed({"sub": "alice", "exp": NOW + 600, "aud": "advisor", "iss": "https://idp.example.com"})
    assert verify_token(token, SECRET).user_id == "alice"
    token = signed({"sub": "alice", "exp": NOW + 600, "aud": ["advisor", "mail"]})
    assert verify_token(token, SECRET).user_id == "alice"


def test_aud_and_iss_must_match_when_configured() -> None:
    NOW = int(time.time())  # at run time: a long test run must not age the tokens
    rules = {"audience": "advisor", "issuer": "https://idp.example.com"}
    good = {"sub": "alice", "exp": NOW + 600, "aud": "advisor", "iss": "https://idp.example.com"}
    assert verify_token(signed(good), SECRET, **rules).user_id == "alice"
    assert verify_token(signed({**good, "aud": ["mail", "advisor"]}), SECRET, **rules).user_id == "alice"
    assert refused(signed({**good, "aud": "mail"}), **rules) == "wrong_audience"
    assert refused(signed({k: v for k, v in good.items() if k != "aud"}), **rules) == "wrong_audience"
    assert refused(signed({**good, "iss": "https://evil.example.net"}), **rules) == "wrong_issuer"
    assert refused(signed({k: v for k, v in good.items() if k != "iss"}), **rules) == "wrong_issuer"


async def test_the_channel_checks_audience_and_issuer_from_the_environment(agent: Any) -> None:
    NOW = int(time.time())  # at run time: a long test run must not age the tokens
    from tests.channels.test_intranet import request

    env = {"ADVISOR_JWT_AUDIENCE": "advisor", "ADVISOR_JWT_ISSUER": "https://idp.example.com"}
    good = {"sub": "alice", "exp": NOW + 600, "aud": "advisor", "iss": "https://idp.example.com"}
    async with serving(channels_for(settings(**env)), agent) as url:
        webhook = f"{url}/webhooks/intranet/webhook"
        accepted = await request("POST", webhook, body={"message": "hello"}, headers=bearer(signed(good)))
        other_aud = await request("POST", webhook, body={"message": "hello"}, headers=bearer(signed({**good, "aud": "x"})))
    async with serving(channels_for(settings()), agent) as url:
        unconfigured = await request("POST", f"{url}/webhooks/intranet/webhook", body={"message": "hello"},
                                     headers=bearer(signed(good)))
    assert accepted[0] == 200
    assert (other_aud[0], other_aud[1]["error"]) == (401, "wrong_audience")
    assert unconfigured[0] == 200  # it used to be 401 malformed_token


# --- item 4: the secret ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [SECRET + "\n", "  " + SECRET + " \r\n", "\t" + SECRET])
def test_whitespace_around_the_secret_is_removed_and_reported(raw: str) -> None:
    configured = Settings.from_env({"ADVISOR_JWT_SECRET": raw})
    assert configured.jwt_secret == SECRET and configured.jwt_secret_stripped
    token = issue_token(SECRET, "alice")  # what the intranet signs with
    assert verify_token(token, signing_secret(configured)).user_id == "alice"
    assert not Settings.from_env({"ADVISOR_JWT_SECRET": SECRET}).jwt_secret_stripped
    assert Settings.from_env({"ADVISOR_JWT_SECRET": " \n"}).jwt_secret is None


def test_a_short_secret_outside_development_mode_refuses_to_start() -> None:
    from bot.channels.intranet import ChannelMisconfigured, IntranetInput

    short = Settings.from_env({"ADVISOR_JWT_SECRET": "s" * 31})
    with pytest.raises(SecretProblem, match="at least 32 bytes"):
        signing_secret(short)
    with pytest.raises(ChannelMisconfigured, match="ADVISOR_JWT_SECRET is 31 bytes long"):
        IntranetInput(short)
    assert signing_secret(Settings.from_env({"ADVISOR_JWT_SECRET": "s" * 32})) == "s" * 32
    # development mode with a short secret only warns (a developer's machine)
    assert signing_secret(Settings.from_env({"ADVISOR_JWT_SECRET": "short", "ADVISOR_DEV_MODE": "1"})) == "short"


def test_rasa_stops_at_start_with_a_short_secret(tmp_path) -> None:
    """`rasa run` with the intranet channel and a short secret exits 1 with the reason."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.support import PROJECT_DIR, free_port

    env = {**os.environ, "ADVISOR_JWT_SECRET": "too-short", "ADVISOR_DEV_MODE": "", "RASA_TELEMETRY_ENABLED": "false",
           "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}", "LOCK_STORE_URL": "",
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "run", "--credentials", "bot/credentials.company.yml",
         "--endpoints", "bot/endpoints.yml", "--port", str(free_port()), "--model", str(tmp_path / "none.tar.gz")],
        env=env, cwd=PROJECT_DIR, capture_output=True, timeout=300,
    )
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode != 0, output[-3000:]
    assert "ADVISOR_JWT_SECRET is 9 bytes long" in output and "at least 32 bytes" in output, output[-3000:]


# --- advisor token --------------------------------------------------------------------------------

def test_advisor_token_for_development_and_for_a_configured_secret(monkeypatch, capsys) -> None:
    monkeypatch.delenv("ADVISOR_JWT_SECRET", raising=False)
    monkeypatch.setenv("ADVISOR_DEV_MODE", "1")
    assert advisor(["token", "--user", "alice"]) == 0
    assert verify_token(capsys.readouterr().out.strip(), DEVELOPMENT_SECRET).user_id == "alice"

    monkeypatch.setenv("ADVISOR_JWT_SECRET", SECRET + "\n")
    monkeypatch.setenv("ADVISOR_JWT_AUDIENCE", "advisor")
    assert advisor(["token", "--user", "bob", "--ttl", "600"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(token, SECRET, audience="advisor").user_id == "bob"
    with pytest.raises(TokenError):
        verify_token(token, DEVELOPMENT_SECRET)

    assert advisor(["token", "--user", "bob", "--ttl", str(13 * 3600)]) == 2
    assert "ADVISOR_JWT_MAX_TTL" in capsys.readouterr().err

    monkeypatch.delenv("ADVISOR_DEV_MODE")
    monkeypatch.setenv("ADVISOR_JWT_SECRET", "short")
    assert advisor(["token", "--user", "bob"]) == 2
    assert "at least 32 bytes" in capsys.readouterr().err

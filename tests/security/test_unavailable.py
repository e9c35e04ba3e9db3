"""A server that cannot answer says so (issue 11, item 9).

What is defended:
- the trained model carries the term lists its NLU component needs (read at training time,
  persisted in the model), so a Rasa server starts and understands messages with its knowledge
  base empty or unreachable;
- the actions then answer with the polite "temporarily unavailable" reply of the domain, in the
  user's language, never with silence;
- a Rasa server that cannot load its model exits non-zero with a message that says what to do,
  `bot.serve` then stops the action server too, and the readiness endpoint
  (`GET /webhooks/intranet/`) answers 503 until a model is loaded;
- `make run` loads the knowledge base when the configured database has none
  (`advisor kb load --if-empty`), and leaves a loaded one as it is.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml

from bench.servers import _spawn_action_server, _spawn_rasa_server, _wait
from tests.channels.test_intranet import request
from tests.security.support import channels_for, serving, settings
from tests.support import (
    MODEL,
    PROJECT_DIR,
    Assistant,
    free_port,
    restart_action_server,
    stop_assistant,
    temporary_postgres_database,
)

UNREACHABLE_DB = "postgresql://postgres@127.0.0.1:1/no_such_database"
BIN = Path(sys.executable).parent


def unavailable_reply(language: str) -> str:
    """The domain's "temporarily unavailable" text for `language` (pl is the default variation)."""
    domain = yaml.safe_load((PROJECT_DIR / "bot" / "domain" / "_shared.yml").read_text(encoding="utf-8"))
    for variation in domain["responses"]["utter_temporarily_unavailable"]:
        conditions = variation.get("condition") or []
        if any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return variation["text"]
    return next(v["text"] for v in domain["responses"]["utter_temporarily_unavailable"] if not v.get("condition"))


# --- the model needs no database ----------------------------------------------------------------------

def test_the_trained_model_carries_the_term_lists() -> None:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    with tarfile.open(MODEL) as model:
        [member] = [m for m in model.getmembers() if m.name.endswith("TermEntityExtractor4/terms.json")
                    or ("TermEntityExtractor" in m.name and m.name.endswith("/terms.json"))]
        terms = json.loads(model.extractfile(member).read())
    assert {"aspect", "plan", "language"} <= set(terms)
    assert terms["plan"]["marketing"]["pl"] and terms["aspect"]["budget"]["en"]


@pytest.fixture(scope="module")
def without_knowledge_base(tmp_path_factory) -> Iterator[Assistant]:
    """Rasa and the action server on a PostgreSQL database that was never loaded."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    tmp = tmp_path_factory.mktemp("no_kb")
    with temporary_postgres_database() as empty_db:
        rasa_port, actions_port = free_port(), free_port()
        env = {
            **os.environ, "RASA_TELEMETRY_ENABLED": "false", "KNOWLEDGE_DB_URL": empty_db,
            "TRACKER_STORE_URL": f"sqlite:///{tmp / 'tracker.db'}", "LOCK_STORE_URL": "",
            "ADVISOR_JWT_SECRET": "unavailable-test-secret-" + "u" * 32, "ADVISOR_DEV_MODE": "false",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        }
        assistant = Assistant(url=f"http://127.0.0.1:{rasa_port}", jwt_secret=env["ADVISOR_JWT_SECRET"], env=env, log_dir=tmp)
        _migrate_tracker(env)  # the knowledge base stays a new, empty database
        assistant.processes.append(_spawn_action_server(env, actions_port, tmp / "actions.log"))
        # Rasa itself is given a database that cannot even be reached: it must not need one.
        assistant.processes.append(_spawn_rasa_server({**env, "KNOWLEDGE_DB_URL": UNREACHABLE_DB}, MODEL, rasa_port,
                                                      tmp / "rasa.log"))
        try:
            _wait(f"http://127.0.0.1:{actions_port}/health", assistant.processes[0], 120)
            _wait(f"{assistant.url}/webhooks/intranet/", assistant.processes[1], 300)
            yield assistant
        finally:
            stop_assistant(assistant)


def _migrate_tracker(env: Dict[str, str]) -> None:
    subprocess.run([str(Path(sys.executable).parent / "advisor"), "db", "upgrade", "tracker"], env=env, check=True,
                   cwd=PROJECT_DIR, stdout=subprocess.DEVNULL)


def _texts(messages: List[Dict[str, Any]]) -> List[str]:
    return [m["text"] for m in messages if m.get("text")]


@pytest.mark.servers
def test_rasa_starts_and_is_ready_without_a_knowledge_base(without_knowledge_base: Assistant) -> None:
    with urllib.request.urlopen(f"{without_knowledge_base.url}/webhooks/intranet/", timeout=30) as reply:
        assert reply.status == 200 and json.loads(reply.read())["model"] == "loaded"
    log = (without_knowledge_base.log_dir / "rasa.log").read_text(errors="replace")
    assert "Could not load model" not in log


@pytest.mark.servers
@pytest.mark.parametrize("database", ["empty", "unreachable"])
def test_questions_get_the_polite_unavailable_reply_in_the_users_language(
    without_knowledge_base: Assistant, database: str
) -> None:
    assistant = without_knowledge_base
    if database == "unreachable":
        assistant.env["KNOWLEDGE_DB_URL"] = UNREACHABLE_DB
        restart_action_server(assistant)
    sender = f"nokb-{database}-{time.time_ns()}"
    polish = assistant.say(sender, "Jaki budżet ma plan marketingowy?")
    english = assistant.say(sender, "What budget does a marketing plan have?")
    assert _texts(polish) == [unavailable_reply("pl")], polish
    assert _texts(english) == [unavailable_reply("en")], english
    assert {m["custom"]["language"] for m in polish + english if "custom" in m} == {"pl", "en"}


# --- a model that cannot be loaded ----------------------------------------------------------------------

def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.servers
def test_serve_exits_non_zero_and_stops_the_action_server_when_the_model_cannot_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"this is not a model")
    rasa_port, actions_port = free_port(), free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "ADVISOR_DEV_MODE": "true", "ADVISOR_JWT_SECRET": "",
           "KNOWLEDGE_DB_URL": f"sqlite:///{tmp_path / 'kb.db'}", "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 't.db'}",
           "LOCK_STORE_URL": ""}
    _migrate_tracker(env)
    result = subprocess.run(
        [sys.executable, "-m", "bot.serve", "--rasa-port", str(rasa_port), "--actions-port", str(actions_port),
         "--model", str(broken)],
        env=env, cwd=PROJECT_DIR, capture_output=True, timeout=400,
    )
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode == 3, output[-3000:]
    assert "could not load its model" in output and "make train" in output, output[-3000:]
    assert "stopping the action server too" in output, output[-3000:]
    assert _port_closed(actions_port) and _port_closed(rasa_port)


async def test_the_readiness_endpoint_is_503_until_a_model_is_loaded(agent: Any) -> None:
    async with serving(channels_for(settings()), None) as url:
        loading = await request("GET", f"{url}/webhooks/intranet/")
    async with serving(channels_for(settings()), agent) as url:
        ready = await request("GET", f"{url}/webhooks/intranet/")
    assert (loading[0], loading[1]["status"]) == (503, "not_ready")
    assert (ready[0], ready[1]["status"], ready[1]["model"]) == (200, "ok", "loaded")


# --- make run loads an empty knowledge base ----------------------------------------------------------

def _advisor(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "advisor"), *args], env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=300)


def test_kb_load_if_empty_loads_a_new_database_once() -> None:
    from sqlalchemy import create_engine, text

    with temporary_postgres_database() as url:
        env = {**os.environ, "KNOWLEDGE_DB_URL": url}
        first = _advisor(env, "kb", "load", "--if-empty")
        assert first.returncode == 0 and first.stdout.startswith("Loaded"), first.stderr[-2000:]
        engine = create_engine(url, future=True)
        try:
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM kb_term WHERE id = (SELECT min(id) FROM kb_term)"))
                before = connection.execute(text("SELECT count(*) FROM kb_term")).scalar()
            second = _advisor(env, "kb", "load", "--if-empty")
            with engine.connect() as connection:
                after = connection.execute(text("SELECT count(*) FROM kb_term")).scalar()
        finally:
            engine.dispose()
        assert second.returncode == 0 and "left as it is" in second.stdout, second.stderr[-2000:]
        assert after == before  # not reloaded


def test_make_run_loads_the_knowledge_base_before_serving() -> None:
    for target in ("run", "chat"):
        plan = subprocess.run(["make", "-n", target], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60).stdout
        lines = plan.splitlines()
        load = next(i for i, line in enumerate(lines) if "advisor kb load --if-empty" in line)
        serve = next(i for i, line in enumerate(lines) if "bot.serve" in line)
        assert load < serve, plan


# --- the actions, on a database whose tables exist but hold nothing ----------------------------------

@pytest.mark.parametrize("intent, ranking", [("ask_budget", []), ("nlu_fallback", [{"name": "ask_budget", "confidence": 0.4}])])
async def test_actions_on_an_empty_knowledge_base_say_it_is_unavailable(tmp_path: Path, monkeypatch, intent, ranking) -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.answer_question import ActionAnswerQuestion
    from actions.did_you_mean import ActionDidYouMean
    from actions.knowledge_base import clear_caches
    from knowledge.db import upgrade_schema

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade_schema("knowledge", url)  # every table, no content: a truncated or half-made knowledge base
    monkeypatch.setenv("KNOWLEDGE_DB_URL", url)
    clear_caches()
    tracker = Tracker(
        sender_id="alice", slots={"language": "en", "aspect": None, "plan": None},
        latest_message={"text": "what budget does a marketing plan have", "intent": {"name": intent, "confidence": 0.9},
                        "entities": [{"entity": "aspect", "value": "budget"}, {"entity": "plan", "value": "marketing"}],
                        "intent_ranking": ranking},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )
    action = ActionAnswerQuestion() if intent == "ask_budget" else ActionDidYouMean()
    dispatcher = CollectingDispatcher()
    try:
        await action.run(dispatcher, tracker, {})
    finally:
        clear_caches()
    assert [m.get("response") for m in dispatcher.messages] == ["utter_temporarily_unavailable"]

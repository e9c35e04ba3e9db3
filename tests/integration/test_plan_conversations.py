"""The plan builder end to end: its dialogue test stories, and a plan built over REST that a new
server process on the same database shows again."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.contracts import check_custom_messages
from tests.support import MODEL, PROJECT_DIR, start_assistant, stop_assistant

pytestmark = pytest.mark.servers
STORIES = sorted((PROJECT_DIR / "tests" / "conversations").glob("plan_building_*.yml"))


def test_plan_building_stories_pass(tmp_path: Path, loaded_kb):
    """Dialogue-level stories: `rasa test core` runs no slot filling and no custom action, so these
    stories check the rules and the form's place in them, not who owns a message (see test_plan_form)."""
    assert len(STORIES) == 2
    stories = tmp_path / "stories"
    stories.mkdir()
    for story in STORIES:  # `--stories` takes one path
        shutil.copy(story, stories / story.name)
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [rasa, "test", "core", "--model", str(MODEL), "--out", str(tmp_path / "results"),
         "--fail-on-prediction-errors", "--no-plot", "--stories", str(stories)],
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    correct, total = map(int, re.findall(r"Correct:\s+(\d+) / (\d+)", output)[0])
    assert total == 12 and correct == total


def _classifications(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m["custom"]["classification"] for m in messages if "classification" in m.get("custom", {})]


def _plan(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    [plan] = [m["custom"]["plan"] for m in messages if "plan" in m.get("custom", {})]
    return plan


def test_a_plan_built_in_chat_is_shown_again_by_a_new_server(assistant, tmp_path: Path):
    user = "plan-restart-pl"
    def say(text: str) -> List[Dict[str, Any]]:
        messages = assistant.say(user, text)
        check_custom_messages(messages)  # what the bot sends over REST keeps the contract (docs/contracts/)
        return messages

    say("pomóż mi ułożyć plan")
    say("sprzedajemy meble biurowe dla firm")
    verdicts = {}
    for text in ("zwiększyć sprzedaż o 15% w tym kwartale", "budowa rozpoznawalności marki w ciągu 3 lat",
                 "więcej sprzedaży i silniejsza marka w ciągu trzech lat", "zwiększyć lojalność klientów"):
        [classification] = _classifications(say(text))
        verdicts[text] = classification["plan"]
    assert list(verdicts.values()) == ["sales", "marketing", "both", "marketing"]
    answer = say("jaki budżet ma plan marketingowy?")
    assert any(m.get("custom", {}).get("source", {}) == {"id": "budget/marketing", "section": "6"} for m in answer)
    [unclear] = _classifications(say("rozwój firmy"))
    assert unclear["plan"] == "unclear"
    [clarified] = _classifications(say("wyniki w najbliższych miesiącach"))
    assert clarified["plan"] == "sales"
    say("to wszystko")
    say("3 lata")
    draft = say("50 tys. zł")
    plan = _plan(draft)
    assert [g["plan"] for g in plan["goals"]] == ["sales", "marketing", "both", "marketing", "sales"]
    assert plan["budget"]["amount"] == 50000

    exported = say("eksportuj plan")
    [export] = [m["custom"]["export"] for m in exported if "export" in m.get("custom", {})]
    assert export["format"] == "md" and export["filename"] == f"plan-{plan['id']}.md"
    assert any((m.get("text") or "").startswith("# Plan: sprzedajemy meble biurowe dla firm") for m in exported)

    second = start_assistant(tmp_path, {"KNOWLEDGE_DB_URL": assistant.env["KNOWLEDGE_DB_URL"]})
    try:
        shown = second.say(user, "pokaż mój plan")
    finally:
        stop_assistant(second)
    assert _plan(shown)["id"] == plan["id"]
    assert any("## Plan marketingowy" in (m.get("text") or "") for m in shown)


def test_an_answer_in_the_other_language_keeps_the_plan_in_its_language_and_a_question_moves_it(assistant):
    user = "plan-languages"
    def say(text: str) -> str:
        return " ".join(m.get("text") or json.dumps(m.get("custom"), ensure_ascii=False) for m in assistant.say(user, text))

    say("pomóż mi ułożyć plan")
    say("sprzedajemy meble biurowe dla firm")
    answer = say("increase brand awareness over 5 years")  # taken, with a note, and the plan stays Polish
    assert "po polsku" in answer and "plan marketingowy" in answer and "kolejny cel" in answer, answer
    question = say("what tools does a sales plan use?")  # a question moves the conversation, plan included
    assert '"language": "en"' in question and "next goal" in question, question
    assert "sales plan" in say("zwiększyć sprzedaż o 15% w tym kwartale")
    assert "budget" in say("that's all") + say("3 years") and "draft" in say("50k EUR")  # "50k EUR" stays English

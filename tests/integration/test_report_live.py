"""The report on what the real, trained assistant wrote: conversations over REST, then every
count checked against what the assistant itself sent back (its custom payloads), so the
scripted events of bench/tracker_scripts.py cannot drift away from the real ones unnoticed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from analytics.report import build_report
from tests.support import Assistant, start_assistant, stop_assistant

pytestmark = pytest.mark.servers

CONVERSATIONS = {
    "rest:report-pl": [
        "jaki budżet ma plan marketingowy?",
        '/feedback{"source": "budget/marketing", "value": "down", "comment": "brak liczb"}',
        "jak upiec chleb?",
        "plan",
        "kto realizuje plan sprzedaży?",
        "pomóż mi ułożyć plan",
        "sprzedajemy meble biurowe dla firm",
        "zwiększyć sprzedaż o 10% w tym kwartale",
        "rozwój firmy",
        "wyniki w najbliższych miesiącach",
        "to wszystko",
        "3 lata",
        "50 tys. zł",
        "eksportuj plan",
    ],
    "rest:report-en": [
        "Who carries out the marketing plan?",
        '/feedback{"source": "team/marketing", "value": "up"}',
        "what's the weather in Paris?",
        "hmm",
        "Jak upiec chleba",
    ],
}


@pytest.fixture(scope="module")
def conversations(tmp_path_factory) -> Iterator[Dict[str, Any]]:
    running: Assistant = start_assistant(tmp_path_factory.mktemp("report-live"))
    try:
        replies = {sender: [(text, running.say(sender, text)) for text in texts]
                   for sender, texts in CONVERSATIONS.items()}
        yield {"url": running.env["TRACKER_STORE_URL"], "replies": replies}
    finally:
        stop_assistant(running)


def outcome(messages: List[Dict[str, Any]]) -> str:
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    fallback = any(c.get("fallback") for c in customs)
    if any(m.get("buttons") for m in messages) and fallback:
        return "did_you_mean"  # topics offered (a plan form's clarifying question has buttons too, no fallback)
    drafting = any("plan" in c for c in customs)  # a draft cites sources, but answers no question
    if any(isinstance(c.get("source"), dict) for c in customs) and not drafting:
        return "answered"
    if fallback:
        return "declined"
    return "other"


def test_report_matches_what_the_assistant_sent(conversations: Dict[str, Any]) -> None:
    expected: Counter = Counter()
    failed: List[str] = []
    topics: Counter = Counter()
    classified: List[str] = []
    for sender, turns in conversations["replies"].items():
        for text, messages in turns:
            if text.startswith("/feedback"):
                continue  # a vote, not a message
            expected["messages"] += 1
            kind = outcome(messages)
            expected[kind] += 1
            if kind in ("did_you_mean", "declined"):
                failed.append(text)
            if kind == "answered":
                topics[next(m["custom"]["source"]["id"] for m in messages
                            if isinstance((m.get("custom") or {}).get("source"), dict))] += 1
            classified += [m["custom"]["classification"]["plan"] for m in messages
                           if isinstance(m.get("custom"), dict) and "classification" in m["custom"]]
    assert expected["answered"] >= 2 and expected["declined"] >= 2  # the assistant behaves as the script assumes

    report = build_report(conversations["url"])
    assert report["conversations"] == 2
    assert report["messages"] == expected["messages"] == 17
    assert (report["answered"], report["did_you_mean"], report["declined"]) == (
        expected["answered"], expected["did_you_mean"], expected["declined"])
    assert Counter({t["id"]: t["count"] for t in report["topics"]}) == topics
    grouped = sorted(w["text"] for group in report["unanswered"] for w in group["wordings"])
    assert grouped == sorted(failed)
    bread = [g for g in report["unanswered"] if g["text"].lower().startswith("jak upiec")]
    assert len(bread) == 1 and bread[0]["count"] == 2  # asked in two conversations, grouped by lemmas
    assert (report["feedback"]["up"], report["feedback"]["down"]) == (1, 1)
    assert report["feedback"]["by_answer"]["budget/marketing"]["questions"] == [
        {"text": "jaki budżet ma plan marketingowy?", "count": 1}]
    assert report["plans"]["started"] == 1 and report["plans"]["saved"] == 1 and report["plans"]["exported"] == 1
    assert report["plans"]["goals_classified"] == len(classified)
    assert report["plans"]["unclear"] == classified.count("unclear") >= 1
    json.dumps(report)

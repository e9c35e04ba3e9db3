"""The report's small parts: `--since` parsing, lemma grouping, turn outcomes and votes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

from analytics.figures import ReportBuilder, _vote
from analytics.grouping import Asked, group_key, group_questions
from analytics.store import StoredEvent, parse_since
from language.lemmatizer import get_lemmatizer
from bench.tracker_scripts import Script

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def words(text: str, lang: str) -> List[str]:
    """A stand-in for the lemmatizer: lower-case words."""
    return text.lower().split()


def report_of(script: Script) -> Dict[str, Any]:
    """The report's figures over `script`'s events, each stored as analytics.store reads it back."""
    builder = ReportBuilder(words)
    for event in script.events:
        data = event.as_dict()
        builder.add(StoredEvent(0, "s", event.type_name, data.get("timestamp") or 0.0, data.get("name"),
                                {} if event.type_name == "action" else data))
    return builder.result()


def test_since() -> None:
    assert parse_since("30d", NOW) == datetime(2026, 11, 1, 12, tzinfo=timezone.utc).timestamp()
    assert parse_since("12h", NOW) == datetime(2026, 12, 1, 0, tzinfo=timezone.utc).timestamp()
    assert parse_since("2w", NOW) == datetime(2026, 11, 17, 12, tzinfo=timezone.utc).timestamp()
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
    assert parse_since("all", NOW) is None and parse_since(None, NOW) is None
    with pytest.raises(ValueError, match="30d"):
        parse_since("last week", NOW)


def test_grouping_by_lemmas() -> None:
    lemmas = get_lemmatizer().lemmas
    assert group_key("Jak upiec chleb?", "pl", lemmas) == group_key("jak upiec CHLEBA", "pl", lemmas)
    assert group_key("jak upiec chleb?", "pl", lemmas) != group_key("jak upiec ciasto?", "pl", lemmas)
    assert group_key("What is the weather in Paris?", "en", lemmas) == group_key("whats the weather in paris", "en", lemmas)
    assert group_key("plan", "pl", lemmas) != group_key("plan", "en", lemmas)  # languages never mix
    groups = group_questions([
        Asked("jak upiec chleb?", "pl", 10.0, "c1", "declined"),
        Asked("hmm", "pl", 30.0, "c2", "declined"),
        Asked("Jak upiec chleba", "pl", 20.0, "c3", "did_you_mean"),
        Asked("Jak upiec chleba", "pl", 25.0, "c3", "did_you_mean"),
    ], lemmas)
    assert [(g.text, g.count) for g in groups] == [("hmm", 1), ("Jak upiec chleba", 3)]
    assert groups[1].newest_conversations() == ["c3", "c1"] and dict(groups[1].kinds) == {"declined": 1, "did_you_mean": 2}


def test_votes_from_the_intent_or_the_payload_text() -> None:
    parse = {"intent": {"name": "feedback"}, "entities": [
        {"entity": "source", "value": "team/sales"}, {"entity": "value", "value": "down"},
        {"entity": "comment", "value": "  za ogólnie "}]}
    assert _vote(parse, "") == {"source": "team/sales", "value": "down", "comment": "za ogólnie"}
    assert _vote({"intent": {"name": "out_of_scope"}}, '/feedback{"source": "faq/x", "value": "up"}') == {
        "source": "faq/x", "value": "up", "comment": None}
    assert _vote({"intent": {"name": "feedback"}, "entities": [{"entity": "value", "value": "meh"}]}, "") is None
    assert _vote({"intent": {"name": "out_of_scope"}}, "/feedback{not json") is None


def test_a_did_you_mean_turn_is_not_also_a_decline_and_a_draft_is_not_an_answer() -> None:
    result = report_of(Script("s", 1_796_000_000.0, "pl").did_you_mean("plan").plan(["sales"], draft=True))
    assert (result["did_you_mean"], result["declined"], result["answered"]) == (1, 0, 0)
    assert result["plans"]["drafted"] == 1 and result["topics"] == []


def test_a_request_for_a_person_is_no_failed_question() -> None:
    result = report_of(Script("s", 1_796_000_000.0, "pl").handoff("chcę porozmawiać z człowiekiem").decline("jaka pogoda?"))
    assert (result["messages"], result["declined"], result["answered"], result["did_you_mean"]) == (2, 1, 0, 0)
    assert [group["text"] for group in result["unanswered"]] == ["jaka pogoda?"]


def test_a_chosen_did_you_mean_topic_answers_the_question_asked() -> None:
    script = Script("s", 1_796_000_000.0, "pl").did_you_mean("budżet?", suggestions=("budget",))
    script.ask('/ask_budget{"aspect":"budget","plan":"both"}', "budget/both").vote("budget/both", "down", "za mało")
    script.did_you_mean("hmm").ask("kto realizuje plan sprzedaży?", "team/sales")  # typed, not a button
    result = report_of(script)
    assert (result["did_you_mean"], result["answered"], result["did_you_mean_accepted"]) == (2, 2, 1)
    assert {g["text"]: g["accepted"] for g in result["unanswered"]} == {"budżet?": 1, "hmm": 0}
    assert result["feedback"]["by_answer"]["budget/both"]["questions"] == [{"text": "budżet?", "count": 1}]


def test_the_report_words_cover_what_it_draws() -> None:
    """templates/labels.yml names every funnel stage, outcome and column the HTML report shows,
    in both languages where the column heading differs, and the funnel stages exist in the figures."""
    from analytics.html import labels

    words = labels()
    plans = ReportBuilder(words).result()["plans"]
    assert set(words["funnel"]) <= set(plans)
    assert set(words["outcomes"]) == {"answered", "did_you_mean", "declined", "other"}
    assert set(words["languages"]) == {"pl", "en"}
    for column, by_language in words["failed_questions"].items():
        assert by_language.get("en"), column
    assert set(words["transcript_notes"]) == {"answer", "fallback", "classification", "export", "plan"}


def test_a_decline_that_offers_topics_is_a_did_you_mean_and_its_click_answers_the_question() -> None:
    script = Script("s", 1_796_000_000.0, "pl").decline("Kto jest za co odpowiedzialny?", suggestions=("team",))
    script.ask('/ask_team{"aspect":"team","plan":"both"}', "team/both").decline("jaka pogoda?")
    result = report_of(script)
    assert (result["did_you_mean"], result["declined"], result["answered"], result["did_you_mean_accepted"]) == (1, 1, 1, 1)
    assert {g["text"]: g["accepted"] for g in result["unanswered"]} == {"Kto jest za co odpowiedzialny?": 1, "jaka pogoda?": 0}


def test_a_vote_with_an_entity_twice_counts_its_last_value_as_the_action_checks_it() -> None:
    from analytics.figures import _vote

    parse = {"intent": {"name": "feedback"}, "entities": [
        {"entity": "source", "value": "budget/sales"}, {"entity": "value", "value": "up"},
        {"entity": "source", "value": "team/marketing"}, {"entity": "value", "value": "down"}]}
    assert _vote(parse, "/feedback") == {"source": "team/marketing", "value": "down", "comment": None}


def test_a_transcript_notes_what_each_payload_carried_in_the_words_of_labels_yml() -> None:
    from analytics.report import _describes

    assert _describes({"source": {"id": "budget/sales", "section": "6"}, "language": "pl"}) == "answer budget/sales"
    assert _describes({"source": None, "fallback": True}) == "not answered (fallback payload)"
    assert _describes({"classification": {"plan": "marketing"}}) == "goal classified: marketing"
    assert _describes({"export": {"format": "md"}}) == "plan exported"
    assert _describes({"plan": {"id": "x"}}) == "plan"
    assert _describes({"language": "pl"}) is None and _describes("text") is None

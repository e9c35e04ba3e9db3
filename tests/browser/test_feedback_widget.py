"""👍 / 👎 under the widget's answers, in a real Chromium against the running assistant.

Each vote must reach the tracker store as the `/feedback{...}` user event (what `advisor report`
reads), with the answer's id, and be thanked for; no user bubble, nothing else changes.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.test_widget import (  # noqa: F401 (fixtures)
    ARTIFACTS, EN_QUESTION, PL_QUESTION, browser, dev_assistant, visit,
)

pytestmark = pytest.mark.browser

MAX_TABS = 12
THANKS_PL = re.compile("Dziękuję za opinię|Dzięki, zanotowałem")
THANKS_EN = re.compile("Thank you for your feedback!|Thanks, noted!")


def votes(assistant: Any, user: str) -> List[Dict[str, Any]]:
    """The feedback user events of `user`'s conversation(s), oldest first, as the report reads them."""
    engine = sa.create_engine(assistant.env["TRACKER_STORE_URL"], future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id LIKE :user AND type_name = 'user' ORDER BY id"),
                {"user": f"%{user}"},
            ).scalars().all()
    finally:
        engine.dispose()
    events = [json.loads(row) for row in rows]
    return [
        {e["entity"]: e["value"] for e in event["parse_data"]["entities"]}
        for event in events
        if event["parse_data"]["intent"]["name"] == "feedback"
    ]


def user_of(page: Any) -> str:
    return parse_qs(urlsplit(page.url).query)["user"][0]


def test_thumbs_up_in_polish_is_sent_and_thanked_for(visit: Any, dev_assistant: Any) -> None:  # noqa: F811
    seen = visit()
    seen.page.get_by_role("button", name="Otwórz czat z doradcą planów").click()
    seen.ask(PL_QUESTION)
    expect(seen.sources).to_have_count(1)
    source_id = seen.sources.first.get_attribute("data-source-id")
    rating = seen.log.get_by_role("group", name="Oceń tę odpowiedź")
    expect(rating).to_have_count(1)
    up = rating.get_by_role("button", name="Pomocna odpowiedź", exact=True)
    down = rating.get_by_role("button", name="Niepomocna odpowiedź", exact=True)
    expect(up.locator("svg")).to_be_visible()  # drawn thumbs: no emoji font needed
    expect(down.locator("svg")).to_be_visible()
    expect(up).to_have_attribute("aria-pressed", "false")

    up.click()
    expect(seen.log.locator(".pa-msg--bot .pa-bubble").last).to_have_text(
        THANKS_PL)
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_disabled()
    expect(down).to_be_disabled()  # one vote per answer
    expect(seen.log.locator(".pa-msg--user")).to_have_count(1)  # a vote is no user message
    assert votes(dev_assistant, user_of(seen.page)) == [{"source": source_id, "value": "up"}]
    assert seen.page_errors == []


def test_thumbs_down_with_a_comment_by_keyboard_in_english(visit: Any, dev_assistant: Any) -> None:  # noqa: F811
    seen = visit(lang="en", width=390, height=844)
    seen.page.get_by_role("button", name="Open the plan advisor chat").click()
    seen.ask(EN_QUESTION)
    expect(seen.sources).to_have_count(1)
    source_id = seen.sources.first.get_attribute("data-source-id")
    rating = seen.log.get_by_role("group", name="Rate this answer")
    down = rating.get_by_role("button", name="Not helpful")
    expect(rating.get_by_role("button", name="Helpful answer")).to_be_visible()

    seen.log.focus()  # Tab from the conversation reaches the vote buttons
    for _ in range(MAX_TABS):
        seen.page.keyboard.press("Tab")
        if down.evaluate("button => button.getRootNode().activeElement === button"):
            break
    expect(down).to_be_focused()
    seen.page.keyboard.press("Enter")
    comment = rating.get_by_role("textbox", name="What was missing? (optional)")
    expect(comment).to_be_focused()
    expect(comment).to_have_attribute("placeholder", "What was missing?")
    seen.page.keyboard.type("an example budget")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(ARTIFACTS / "widget-feedback.png"))
    seen.page.keyboard.press("Enter")
    expect(seen.log.locator(".pa-msg--bot .pa-bubble").last).to_have_text(
        THANKS_EN)
    expect(comment).to_have_count(0)
    expect(down).to_have_attribute("aria-pressed", "true")
    assert votes(dev_assistant, user_of(seen.page)) == [
        {"source": source_id, "value": "down", "comment": "an example budget"}
    ]

    # the conversation goes on as before: the next question is answered with its own buttons
    seen.ask("and the budget?")
    expect(seen.sources).to_have_count(2)
    expect(seen.log.get_by_role("group", name="Rate this answer")).to_have_count(2)
    assert seen.page_errors == []


def test_answers_from_the_history_can_be_rated_after_a_reload(visit: Any, dev_assistant: Any) -> None:  # noqa: F811
    seen = visit()
    seen.page.get_by_role("button", name="Otwórz czat z doradcą planów").click()
    seen.ask(PL_QUESTION)
    expect(seen.sources).to_have_count(1)
    seen.log.get_by_role("button", name="Pomocna odpowiedź", exact=True).click()
    expect(seen.log.locator(".pa-msg--bot .pa-bubble", has_text=THANKS_PL)).to_have_count(1)

    seen.page.reload()
    expect(seen.dialog).to_be_visible()
    expect(seen.log.locator(".pa-msg--user")).to_have_count(1)  # the vote stays out of the history
    expect(seen.log.get_by_role("group", name="Oceń tę odpowiedź")).to_have_count(1)
    seen.log.get_by_role("button", name="Niepomocna odpowiedź", exact=True).click()
    seen.log.get_by_role("textbox", name="Czego zabrakło? (opcjonalnie)").press("Enter")  # no comment
    expect(seen.log.locator(".pa-msg--bot .pa-bubble", has_text=THANKS_PL)).to_have_count(2)
    assert [vote["value"] for vote in votes(dev_assistant, user_of(seen.page))] == ["up", "down"]
    assert "comment" not in votes(dev_assistant, user_of(seen.page))[-1]
    assert seen.page_errors == []

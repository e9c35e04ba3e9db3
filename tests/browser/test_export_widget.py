"""The plan export in the widget: "eksportuj plan" sends the Markdown as an `export` payload
(docs/contracts/export.schema.json) and the widget offers it as a download, in Chromium against
the development-mode assistant of tests/browser/test_widget.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_widget import browser, dev_assistant, visit  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PLAN = ("pomóż mi ułożyć plan", "sprzedajemy meble biurowe dla firm", "zwiększyć sprzedaż o 15% w tym kwartale",
        "to wszystko", "3 lata", "50 tys. zł")
FILENAME = re.compile(r"^plan-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.md$")


def say(seen: Any, text: str) -> None:
    """Send `text` and wait until the reply is rendered (the send button is disabled meanwhile)."""
    users = seen.log.locator(".pa-msg--user")
    before = users.count()
    seen.ask(text)
    expect(users).to_have_count(before + 1)
    expect(seen.dialog.get_by_role("button", name="Wyślij", exact=True)).to_be_enabled()
    expect(seen.log.locator(".pa-failed-note")).to_have_count(0)


def test_an_exported_plan_downloads_as_markdown(visit: Any, tmp_path) -> None:  # noqa: F811
    seen = visit()
    seen.page.get_by_role("button", name="Otwórz czat z doradcą planów").click()
    for text in PLAN:
        say(seen, text)
    downloads = seen.log.locator(".pa-export")
    expect(downloads).to_have_count(0)  # a draft sends the plan, not a document to download

    say(seen, "eksportuj plan")
    link = seen.log.get_by_role("link", name=re.compile(r"^Pobierz plan jako plik Markdown plan-"))
    expect(link).to_have_count(1)
    expect(link).to_have_text("Pobierz plan (.md)")
    expect(link).to_have_attribute("href", re.compile(r"^blob:"))
    expect(seen.log.locator(".pa-msg--bot").last).to_contain_text("Plan sprzedaży")  # the Markdown is also in chat

    with seen.page.expect_download() as clicked:
        link.click()
    download = clicked.value
    assert FILENAME.match(download.suggested_filename), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_text(encoding="utf-8")
    heading = content.splitlines()[0]  # the plan's Markdown heading, as the chat showed it
    assert heading.startswith("# Plan: ") and "meble biurowe" in heading, content[:80]
    expect(seen.log).to_contain_text(heading[2:])
    assert "## Plan sprzedaży" in content

    link.focus()  # reachable and usable by keyboard alone
    expect(link).to_be_focused()
    with seen.page.expect_download() as pressed:
        seen.page.keyboard.press("Enter")
    assert pressed.value.suggested_filename == download.suggested_filename
    assert seen.page_errors == []

"""The chat widget in a real browser (Debian's Chromium driven by Playwright), against the
running plan advisor from the `assistant` fixture.

The demo page exists only in development mode (no ADVISOR_JWT_SECRET), so the page tests use
an assistant of their own started that way (`dev_assistant`); the demo page gets its token from
`dev-token?user=<id>`, never from its address. The pasted-snippet test uses the session's
`assistant`, which has a real secret. A screenshot of the widget with answers is kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from playwright.sync_api import expect, sync_playwright

from bench.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 (also imported from here by other browser tests)
from bot.tokens import DEVELOPMENT_SECRET, issue_token
from tests.support import start_assistant, stop_assistant

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ANSWER_TIMEOUT_MS = 60_000

PL_QUESTION = "Czym się różni plan sprzedaży od planu marketingowego?"
EN_QUESTION = "Who carries out the marketing plan?"
# One word that names no topic: the assistant offers "did you mean" topics as quick replies.
VAGUE_QUESTION = "plan"
INJECTION = "<img src=x onerror=alert(1)>"

PL_SOURCE = re.compile(r"^Źródło: (sekcja \d+|sekcje [\d, ]+|wstęp|FAQ) ?.*przewodnika")
EN_SOURCE = re.compile(r"^Source: (section \d+ of the guide|sections [\d, ]+ of the guide|the guide's (introduction|FAQ))")


@dataclass
class Visit:
    """A page with the widget, and what the browser reported while on it."""

    page: Any
    dialogs: List[str] = field(default_factory=list)
    page_errors: List[str] = field(default_factory=list)

    @property
    def dialog(self) -> Any:
        return self.page.get_by_role("dialog")

    @property
    def log(self) -> Any:
        return self.page.get_by_role("log")

    @property
    def sources(self) -> Any:
        return self.log.locator(".pa-source")

    @property
    def textbox(self) -> Any:
        return self.dialog.get_by_role("textbox")

    def ask(self, text: str) -> None:
        self.textbox.fill(text)
        self.textbox.press("Enter")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium")
    expect.set_options(timeout=ANSWER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def dev_assistant(tmp_path_factory) -> Iterator[Any]:
    """The assistant in development mode without a secret: the only way the demo page is served."""
    running = start_assistant(tmp_path_factory.mktemp("dev_assistant"),
                              {"ADVISOR_DEV_MODE": "true", "ADVISOR_JWT_SECRET": ""})
    yield running
    stop_assistant(running)


@pytest.fixture
def visit(browser: Any, dev_assistant: Any) -> Iterator[Any]:
    """Open the demo page as a new employee: `visit(lang="pl", width=1280, fragment="")`."""
    contexts = []
    assistant = dev_assistant

    def open_demo(lang: str = "pl", width: int = 1280, height: int = 860, fragment: str = "", user: str = "") -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)
        page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
        user = user or f"browser-{uuid.uuid4().hex[:10]}"
        page.goto(f"{assistant.url}/webhooks/intranet/demo?user={user}&lang={lang}{fragment}")
        return seen

    yield open_demo
    for context in contexts:
        context.close()


def test_chat_in_both_languages_with_sources_quick_replies_and_history(visit: Any) -> None:
    seen = visit()
    launcher = seen.page.get_by_role("button", name="Otwórz czat z doradcą planów")
    launcher.click()
    expect(seen.dialog).to_be_visible()
    expect(seen.dialog).to_have_accessible_name("Doradca planów")

    seen.ask(PL_QUESTION)
    expect(seen.sources).to_have_count(1)
    expect(seen.sources.nth(0)).to_have_text(PL_SOURCE)

    seen.ask(EN_QUESTION)
    expect(seen.sources).to_have_count(2)
    expect(seen.sources.nth(1)).to_have_text(EN_SOURCE)

    seen.ask(VAGUE_QUESTION)
    choices = seen.log.get_by_role("group", name="Proponowane odpowiedzi").get_by_role("button")
    expect(choices.first).to_be_visible()
    title = choices.first.inner_text()
    choices.first.click()
    expect(seen.log.locator(".pa-msg--user .pa-bubble").last).to_have_text(title)  # the title, not the payload
    expect(seen.sources).to_have_count(3)
    expect(seen.log.get_by_role("group", name="Proponowane odpowiedzi")).to_have_count(0)  # answered choices go away

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=str(ARTIFACTS / "widget-answer.png"))

    seen.page.reload()
    expect(seen.dialog).to_be_visible()  # it was open, so it opens again
    user_bubbles = seen.log.locator(".pa-msg--user .pa-bubble")
    expect(user_bubbles).to_have_text([PL_QUESTION, EN_QUESTION, VAGUE_QUESTION, title])
    expect(seen.sources).to_have_count(3)
    expect(seen.sources.nth(0)).to_have_text(PL_SOURCE)
    expect(seen.sources.nth(1)).to_have_text(EN_SOURCE)
    assert seen.page_errors == []


def test_markup_typed_by_the_user_stays_text(visit: Any) -> None:
    seen = visit()
    seen.page.get_by_role("button", name="Otwórz czat z doradcą planów").click()
    seen.ask(INJECTION)
    expect(seen.log.locator(".pa-msg--user .pa-bubble").last).to_have_text(INJECTION)
    expect(seen.log.locator(".pa-msg--bot").first).to_be_visible()  # the assistant has answered
    expect(seen.page.locator("img")).to_have_count(0)  # also inside the widget's shadow root

    seen.page.reload()
    expect(seen.log.locator(".pa-msg--user .pa-bubble").first).to_have_text(INJECTION)  # from history
    expect(seen.page.locator("img")).to_have_count(0)
    seen.page.wait_for_timeout(500)
    assert seen.dialogs == [], "a script from the message ran"
    assert seen.page_errors == []


def test_keyboard_only_on_a_phone_sized_english_page(visit: Any) -> None:
    seen = visit(lang="en", width=390, height=844)
    launcher = seen.page.get_by_role("button", name="Open the plan advisor chat")
    launcher.focus()
    seen.page.keyboard.press("Enter")
    expect(seen.dialog).to_be_visible()
    expect(seen.textbox).to_be_focused()
    expect(seen.textbox).to_have_attribute("placeholder", "Type a question…")
    expect(seen.log).to_have_attribute("aria-live", "polite")

    box = seen.dialog.bounding_box()
    assert box is not None and box["width"] == 390 and box["height"] == 844  # the whole phone screen

    seen.page.keyboard.type(EN_QUESTION)
    seen.page.keyboard.press("Enter")
    expect(seen.sources).to_have_count(1)
    expect(seen.sources.first).to_have_text(EN_SOURCE)

    seen.page.keyboard.press("Escape")
    expect(seen.dialog).to_be_hidden()
    expect(launcher).to_be_focused()


def test_unreachable_server_is_said_plainly_and_the_message_can_be_retried(visit: Any) -> None:
    seen = visit()
    seen.page.get_by_role("button", name="Otwórz czat z doradcą planów").click()
    expect(seen.log).to_be_visible()
    seen.page.route("**/webhooks/intranet/webhook", lambda route: route.abort("connectionrefused"))
    seen.ask(PL_QUESTION)
    alert = seen.dialog.get_by_role("alert")
    expect(alert).to_contain_text("Nie można połączyć się z doradcą")

    seen.page.unroute("**/webhooks/intranet/webhook")
    alert.get_by_role("button", name="Spróbuj ponownie").click()
    expect(seen.sources).to_have_count(1)
    expect(alert).to_be_hidden()


def test_snippet_on_a_blank_page_of_another_origin_fetches_and_renews_its_token(browser: Any, assistant: Any) -> None:
    """The README's one tag on a blank page of "the intranet", another origin, whose token
    endpoint first hands out an expired token and then a fresh one.

    The browser answers for the intranet itself (Playwright routes), and reaches the assistant
    under a public-looking name that is forwarded to the local server: Chromium refuses a page
    on a public address calling a loopback one (Private Network Access), which a real intranet
    and its assistant, both on the company network, never meet. The forwarded requests keep
    their Origin header, so the assistant's CORS check decides as it would for the intranet.
    """
    origins = [o.strip() for o in getattr(assistant, "env", {}).get("ADVISOR_ALLOWED_ORIGINS", "").split(",")]
    intranet = next((o for o in origins if o.startswith("http") and o != "*"), None)
    if intranet is None:
        pytest.skip("the assistant was started without an allowed intranet origin")
    advisor_host = "http://advisor.example"
    user = f"snippet-{uuid.uuid4().hex[:10]}"
    tokens = [
        issue_token(assistant.jwt_secret, user, lang="pl", ttl_seconds=60, now=0),  # expired in 1970
        issue_token(assistant.jwt_secret, user, lang="pl"),
    ]
    handed_out: List[str] = []
    page_html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Blank</title></head><body>"
        f'<script src="{advisor_host}/webhooks/intranet/widget.js" data-token-url="/intranet/advisor-token" async></script>'
        "</body></html>"
    )

    def token_endpoint(route: Any) -> None:
        handed_out.append(tokens[min(len(handed_out), 1)])
        route.fulfill(status=200, content_type="application/json", body='{"token": "%s"}' % handed_out[-1])

    def to_assistant(route: Any) -> None:
        route.fulfill(response=route.fetch(url=route.request.url.replace(advisor_host, assistant.url, 1)))

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(f"{intranet}/page.html", lambda route: route.fulfill(status=200, content_type="text/html", body=page_html))
        page.route(f"{intranet}/intranet/advisor-token", token_endpoint)
        page.route(f"{advisor_host}/**", to_assistant)
        page.goto(f"{intranet}/page.html")
        launcher = page.get_by_role("button", name=re.compile("plan advisor chat|doradcą planów"))
        launcher.click()
        textbox = page.get_by_role("dialog").get_by_role("textbox")
        # The page has no lang and the browser says en-US: the token's "pl" chooses the language.
        expect(textbox).to_have_attribute("placeholder", "Napisz pytanie…")
        textbox.fill(EN_QUESTION)
        textbox.press("Enter")
        expect(page.get_by_role("log").locator(".pa-source")).to_have_text(EN_SOURCE)
        assert len(handed_out) == 2  # the expired token was replaced once, then kept
    finally:
        context.close()


def test_a_token_in_the_demo_pages_address_is_ignored(visit: Any, dev_assistant: Any) -> None:
    """A link carrying an attacker's token must not put the visitor in the attacker's conversation."""
    import json
    import urllib.request

    attacker, victim = f"attacker-{uuid.uuid4().hex[:8]}", f"victim-{uuid.uuid4().hex[:8]}"
    seen = visit(user=victim, fragment="#token=" + issue_token(DEVELOPMENT_SECRET, attacker))
    expect(seen.page.locator("#notice")).to_contain_text("Tryb deweloperski")
    seen.page.get_by_role("button", name="Otwórz czat z doradcą planów").click()
    seen.ask(PL_QUESTION)
    expect(seen.sources).to_have_count(1)

    def said(user: str) -> List[str]:
        request = urllib.request.Request(f"{dev_assistant.url}/webhooks/intranet/history",
                                         headers={"Authorization": f"Bearer {issue_token(DEVELOPMENT_SECRET, user)}"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            return [m.get("text") for m in json.loads(reply.read())["messages"] if m["role"] == "user"]

    assert said(attacker) == []
    assert said(victim) == [PL_QUESTION]

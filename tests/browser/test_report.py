"""The HTML report in Debian's Chromium: charts render, figures and transcripts are there, links
work, nothing is fetched, no console errors, readable on a phone, questions shown as text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from playwright.sync_api import sync_playwright

from analytics.figures import conversation_ref
from tests.browser.test_widget import CHROMIUM, CHROMIUM_ARGS
from bench.tracker_scripts import DAY2, Script, save_scripts, scripted
from tests.support import PROJECT_DIR

pytestmark = pytest.mark.browser
INJECTION = "<img src=x onerror=alert(1)>"
CHARTS = ("daily", "languages", "topics", "votes", "funnel")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'tracker.db'}"
    scripts = scripted() + [Script("rest:mallory", DAY2 + 7200, "en").decline(INJECTION)]
    save_scripts(url, scripts)
    out = folder / "report.html"
    done = subprocess.run([str(Path(sys.executable).parent / "advisor"), "report", "--since", "all", "--out", str(out)],
                          env={**os.environ, "TRACKER_STORE_URL": url}, cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "7 conversations" in done.stderr
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_report(browser: Any, report_file: Path, width: int) -> tuple:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: List[str] = []
    requests: List[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: (problems.append("dialog " + dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    return context, page, problems, requests


def test_report_renders_in_chromium(browser: Any, report_file: Path) -> None:
    context, page, problems, requests = open_report(browser, report_file, 1280)
    try:
        for name in CHARTS:
            chart = page.locator(f'svg.chart[data-chart="{name}"]')
            assert chart.count() == 1, name
            box = chart.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 80, (name, box)
            # bars are drawn (matplotlib draws each bar as a path in the chart's patch group)
            assert page.locator(f'svg.chart[data-chart="{name}"] path').count() >= 5, name
        assert page.locator('[data-figure="conversations"]').inner_text() == "7"
        assert page.locator('[data-figure="messages"]').inner_text() == "32"
        assert page.locator('[data-figure="declined"]').inner_text() == "5"
        assert page.locator('[data-figure="unclear"]').inner_text() == "1"
        # a failed question links to its conversation's transcript, anchored in the same file
        link = page.locator(f'a[href="#{conversation_ref("rest:anna")}"]').first
        link.click()
        transcript = page.locator(f"article#{conversation_ref('rest:anna')}")
        assert transcript.is_visible()
        assert "jak upiec chleb?" in transcript.inner_text()
        assert page.evaluate("location.hash") == "#" + conversation_ref("rest:anna")
        # Polish labels where the data is Polish
        assert "pytanie" in page.locator("section#unanswered").inner_text()
        # a question is shown as text, never as markup
        assert INJECTION in page.locator("section#unanswered").inner_text()
        assert page.locator("section#unanswered img").count() == 0
        worst = page.locator('table[data-list="worst"] tbody tr').first.inner_text()
        assert "budget/marketing" in worst and "brak liczb" in worst
        assert problems == []
        assert requests == [report_file.as_uri()]  # self-contained: nothing else is fetched
    finally:
        context.close()


def test_report_is_readable_on_a_phone(browser: Any, report_file: Path) -> None:
    context, page, problems, _ = open_report(browser, report_file, 390)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box = page.locator('svg.chart[data-chart="daily"]').bounding_box()
        assert box and 300 < box["width"] <= 390
        assert problems == []
    finally:
        context.close()

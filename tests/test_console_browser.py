"""The console's page in Debian's Chromium, driven by Playwright, against a live console that
fills the Tk form on the test desktop: a run started from the page, its steps appearing live
with their screenshots and boxes, a risky action allowed from the page, the report among the
past runs, and the grounding playground."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from screenpilot.devices.virtual_display import XSession
from screenpilot.web.console import create_app
from screenpilot.web.runner import Runner
from screenpilot.web.serving import BackgroundServer
from tests.desktop_apps import start_tk_form

CHROMIUM = "/usr/bin/chromium"
TOKEN = "a-browser-test-token-0123456789"
# As root, without a sandbox; and nothing that reaches for the network on its own.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), "apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def test_a_person_runs_watches_confirms_and_grounds_from_the_page(
    xsession: XSession, tmp_path: Path, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    saved = tmp_path / "form.json"
    form = start_tk_form(xsession, saved, "--button", "Pay now", "Name", "Order")
    runner = Runner(tmp_path / "runs", confirm_timeout=60)
    try:
        with BackgroundServer(create_app(runner, token=TOKEN)) as url:
            page.goto(f"{url}/?token={TOKEN}")  # the printed link; the token moves to a cookie
            assert page.url == f"{url}/"
            expect(page.locator("#version")).to_contain_text("runs in")

            page.fill(
                "#instruction",
                "type 'Zoë' into the Name field, type 'two apples' into the Order field, "
                "click Pay now, wait for Saved",
            )
            page.click("text=Advanced")
            page.fill("#max-steps", "12")
            page.click("#start")

            # A button that pays is risky: the run holds the click until the page
            # answers (typing into the Order field is not: a field is not the risky act).
            expect(page.locator("#confirm")).to_be_visible(timeout=60_000)
            expect(page.locator("#confirm-reason")).to_contain_text("the target says")
            expect(page.locator("#run-status")).to_have_text("waiting")
            page.click("#allow")
            expect(page.locator("#confirm")).to_be_hidden()

            expect(page.locator("#run-status")).to_have_text("success", timeout=90_000)
            steps = page.locator("#steps .step")
            expect(steps).to_have_count(4)
            expect(page.locator("#steps .verdict.bad")).to_have_count(0)
            # Every grounded step shows its screenshot with the box drawn over it.
            expect(page.locator("#steps .shot .box")).to_have_count(3)
            widths = page.eval_on_selector_all(
                "#steps .shot img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
            )
            assert widths and all(w == 1920 for w in widths), widths
            assert json.loads(saved.read_text(encoding="utf-8")) == {
                "name": "Zoë",
                "order": "two apples",
                "subscribe": False,
            }

            # The run is among the past runs, and its report opens.
            report = page.locator("#history a.report").first
            expect(report).to_be_visible()
            href = report.get_attribute("href")
            assert href is not None
            page.screenshot(path=str(tmp_path / "console.png"), full_page=True)

            # The playground: the run's first screenshot, and the Submit button on it.
            shot_url = page.locator("#steps .shot img").last.get_attribute("src")
            assert shot_url is not None
            shot = tmp_path / "shot.png"
            shot.write_bytes(
                httpx.get(url + shot_url, headers={"Authorization": f"Bearer {TOKEN}"}).content
            )
            page.set_input_files("#ground-file", str(shot))
            page.fill("#ground-description", "the Pay now button")
            page.click("#ground-button")
            result = page.locator("#ground-result")
            expect(result).to_be_visible(timeout=60_000)
            found = json.loads(result.inner_text())
            assert found["status"] == "found" and found["by"] == "ocr"
            expect(page.locator("#ground-image")).to_be_visible()

            note = tmp_path / "note.png"
            note.write_text("not a picture", encoding="utf-8")
            page.set_input_files("#ground-file", str(note))
            page.click("#ground-button")
            expect(page.locator("#ground-error")).to_contain_text("415")

            page.goto(url + href)
            expect(page.locator("body")).to_contain_text("two apples")
    finally:
        xsession.stop(form)

"""End to end on a real X server: fill real forms through device + grounding + executor +
verification, and check what the application itself wrote."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.ocr import ScreenReader
from tests.desktop_apps import start_tk_form

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "forms"))
from form_receiver import FormReceiver

FORMS = Path(__file__).resolve().parent.parent / "examples" / "forms"
# Debian's interpreter has python3-gi and python3-tk; the forms are separate programs.
SYSTEM_PYTHON = "/usr/bin/python3"

FILL = [
    {"type": "type", "text": "Zoë 北京", "target": "the Name field"},
    {"type": "type", "text": "bob@example.org", "target": "the Email field"},
    {"type": "click", "target": "Subscribe checkbox"},
    {"type": "click", "target": "the Submit button"},
    {"type": "wait", "until_text": "Saved", "timeout": 5},
]
EXPECTED = {"name": "Zoë 北京", "email": "bob@example.org", "subscribe": True}


@pytest.fixture
def desktop(xsession: XSession) -> Iterator[Desktop]:
    with Desktop() as d:
        yield d


def _fill(desktop: Desktop, reader: ScreenReader) -> list[str]:
    executor = Executor(desktop, reader=reader)
    results = executor.run_all(parse_action(step) for step in FILL)
    return [r.verdict.reason for r in results]


def test_tk_form_is_filled_through_ocr_alone(
    xsession: XSession, desktop: Desktop, reader: ScreenReader, tmp_path: Path
) -> None:
    out = tmp_path / "tk.json"
    app = start_tk_form(xsession, out)
    try:
        assert desktop.elements() == []  # Tk exposes no accessibility tree
        reasons = _fill(desktop, reader)
        assert json.loads(out.read_text(encoding="utf-8")) == EXPECTED
        assert any("OCR reads" in r for r in reasons), reasons
    finally:
        xsession.stop(app)


def test_gtk_form_is_filled_through_accessibility(
    xsession: XSession, desktop: Desktop, reader: ScreenReader, tmp_path: Path
) -> None:
    out = tmp_path / "gtk.json"
    app = xsession.start([SYSTEM_PYTHON, str(FORMS / "gtk_form.py"), str(out)])
    try:
        xsession.wait_for_window("GTK form")
        assert desktop.has_accessibility
        names = {(e.role, e.name) for e in desktop.elements()}
        assert ("entry", "Email") in names and ("checkbox", "Subscribe") in names
        reasons = _fill(desktop, reader)
        assert json.loads(out.read_text(encoding="utf-8")) == EXPECTED
        assert "the field now holds 'Zoë 北京'" in reasons
        assert "'Subscribe' is now checked" in reasons
    finally:
        xsession.stop(app)


def chromium_argv(page: str, profile: Path) -> list[str]:
    return [
        "chromium",
        "--no-sandbox",
        "--test-type",
        "--no-first-run",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--force-renderer-accessibility",
        f"--user-data-dir={profile}",
        "--window-position=200,150",
        "--window-size=900,600",
        f"--app={page}",
    ]


def test_html_form_in_chromium_is_filled(
    xsession: XSession, desktop: Desktop, reader: ScreenReader, tmp_path: Path
) -> None:
    out = tmp_path / "html.json"
    receiver = FormReceiver(out)
    page = f"{(FORMS / 'html_form.html').as_uri()}?submit={receiver.url}"
    browser = xsession.start(chromium_argv(page, tmp_path / "profile"), ACCESSIBILITY_ENABLED="1")
    try:
        xsession.wait_for_window("HTML form")
        reasons = _fill(desktop, reader)
        assert json.loads(out.read_text(encoding="utf-8")) == EXPECTED
        # Chromium's accessibility tree carries the fields' values.
        assert "the field now holds 'Zoë 北京'" in reasons
    finally:
        xsession.stop(browser)
        receiver.close()

"""The demo's Tk form, started on the test desktop for the tests that drive it.

A plain module (not conftest.py) so that test modules can import from it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from screenpilot.demo_form import TK_FORM
from screenpilot.devices.virtual_display import XSession


def start_tk_form(xsession: XSession, output: Path, *labels: str) -> subprocess.Popen[bytes]:
    """The demo's Tk form (fields `labels`, else Name and Email) on the test desktop, shown
    and ready; it writes `output` on Submit. The caller stops it."""
    app = xsession.start(["/usr/bin/python3", str(TK_FORM), str(output), *labels])
    xsession.wait_for_window("Tk form")
    # The pointer stays where an earlier test left it; over a Tk button it lights the button
    # up, and the form would not look the same in every test.
    subprocess.run(["xdotool", "mousemove", "1900", "1060"], env=xsession.env, check=True)
    return app


def wait_for_a_still_screen(timeout: float = 5.0) -> None:
    """Return once the test desktop has stopped changing (a window just mapped, moved or
    repainted), polling its frames instead of sleeping a fixed time."""
    from screenpilot.actions.executor import SETTLE_NOISE
    from screenpilot.devices.desktop import Desktop
    from screenpilot.perception.change import wait_until_stable

    with Desktop(accessibility=False) as desktop:
        wait_until_stable(
            lambda: desktop.screenshot().raw,
            timeout=timeout,
            interval=0.1,
            max_changed=SETTLE_NOISE,
            react=0.2,
        )

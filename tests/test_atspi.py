"""Accessibility on real toolkits: the switch, Qt, Chromium and GTK trees, windows and modal
dialogs, and the X active window; the window arrangement rules without a desktop.

Each integration test starts its own Xvfb + openbox + D-Bus (so IsEnabled starts false) and
reads the desktop from a fresh Python process: libatspi binds a process to the first
accessibility bus it reads and never lets go, and the shared test desktop must stay readable
by the other test modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from screenpilot.devices.a11y_windows import (
    ACTIVE,
    TreeRead,
    Window,
    arrange,
    covered,
    match_window,
)
from screenpilot.devices.virtual_display import XSession, x_session
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-gi and python3-pyqt5
GET_IS_ENABLED = [
    "gdbus", "call", "--session", "--dest", "org.a11y.Bus", "--object-path", "/org/a11y/bus",
    "--method", "org.freedesktop.DBus.Properties.Get", "org.a11y.Status", "IsEnabled",
]  # fmt: skip

OBSERVE = """
import json
from screenpilot.devices.desktop import Desktop
with Desktop() as d:
    status = d.accessibility_status
    box = d.active_window_box()
    print(json.dumps({
        "switched_on": status.switched_on,
        "enabled": status.enabled,
        "elements": [e.model_dump(mode="json") for e in d.elements()],
        "active_box": box.model_dump(mode="json") if box is not None else None,
    }))
"""

#: A Desktop made and closed, reading nothing: what it does to the session on its own.
MAKE_DESKTOP = "from screenpilot.devices.desktop import Desktop; Desktop().close()"

QT_FORM = """
import sys
from PyQt5.QtWidgets import QApplication, QFormLayout, QLabel, QLineEdit, QWidget
app = QApplication(sys.argv)
w = QWidget(); w.setWindowTitle("Qt probe"); w.move(200, 150); w.resize(500, 260)
form = QFormLayout(w)
def row(label, entry):
    text = QLabel(label); text.setBuddy(entry); form.addRow(text, entry)
row("&Name", QLineEdit())
row("E&mail", QLineEdit())
secret = QLineEdit(); secret.setEchoMode(QLineEdit.Password); row("&Password", secret)
own = QLineEdit(); own.setAccessibleName("Own name"); row("Labelled", own)
w.show()
app.exec_()
"""

GTK_FORM = """
import sys, gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gtk
w = Gtk.Window(title="GTK probe"); w.move(200, 150); w.set_default_size(500, 260)
grid = Gtk.Grid(row_spacing=8, column_spacing=8, margin=16); w.add(grid)
for row, (text, hint, secret) in enumerate(
    (("Name", "Your full name", False), ("Password", "", True))
):
    label = Gtk.Label(label=text); entry = Gtk.Entry(); label.set_mnemonic_widget(entry)
    entry.set_placeholder_text(hint); entry.set_visibility(not secret)
    grid.attach(label, 0, row, 1, 1); grid.attach(entry, 1, row, 1, 1)
w.connect("destroy", Gtk.main_quit); w.show_all()
if sys.argv[1:] == ["modal"]:
    d = Gtk.Dialog(title="GTK modal", transient_for=w, modal=True); d.add_button("OK", 1)
    d.get_content_area().add(Gtk.Entry(placeholder_text="In the dialog")); d.show_all()
Gtk.main()
"""

TK_BOXED = """
import sys, tkinter as tk
root = tk.Tk(); root.title("Boxed"); root.geometry("420x260+310+170")
def tell():  # where Tk itself says its client area is, once mapped
    where = (root.winfo_rootx(), root.winfo_rooty(), root.winfo_width(), root.winfo_height())
    with open(sys.argv[1], "w") as f:
        f.write(" ".join(map(str, where)))
root.after(1000, tell)
root.mainloop()
"""


PAGE = """<!doctype html><html><head><title>HTML probe</title></head><body>
<label for=n>Name</label> <input id=n placeholder="Your full name"><br>
<label for=e>Email</label> <input id=e type=email placeholder="you@example.org"><br>
<label for=p>Password</label> <input id=p type=password><br>
</body></html>"""


# ---------------------------------------------------------------------- helpers
@pytest.fixture
def session() -> Iterator[XSession]:
    """A private virtual desktop for one test, stopped afterwards."""
    with x_session() as s:
        yield s


def is_enabled(session: XSession) -> bool:
    """org.a11y.Status IsEnabled, asked with gdbus (independently of the code under test)."""
    reply = subprocess.run(
        GET_IS_ENABLED,
        env=session.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return "true" in reply.stdout


def make_desktop(session: XSession) -> None:
    subprocess.run([sys.executable, "-c", MAKE_DESKTOP], env=session.env, check=True, timeout=60)


def observe(session: XSession) -> dict[str, Any]:
    """What a fresh `Desktop` on `session` reports (see the module docstring for why fresh)."""
    done = subprocess.run(
        [sys.executable, "-c", OBSERVE],
        env=session.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    seen["elements"] = [Element.model_validate(e) for e in seen["elements"]]
    return seen


def observe_until(
    session: XSession, ready: Callable[[list[Element]], bool], timeout: float = 30.0
) -> list[Element]:
    """The elements once `ready` holds for them (toolkits expose trees a moment after
    mapping their windows); the last elements seen when it never does."""
    deadline = time.monotonic() + timeout
    elements: list[Element] = []
    while time.monotonic() < deadline:
        elements = observe(session)["elements"]
        if ready(elements):
            break
        time.sleep(0.5)
    return elements


def entries(elements: list[Element]) -> dict[str, Element]:
    return {e.name: e for e in elements if e.role == "entry"}


# ---------------------------------------------------------------------- on a real desktop
@pytest.mark.integration
def test_a_desktop_switches_accessibility_on_once(session: XSession) -> None:
    assert not is_enabled(session)
    first = observe(session)
    assert first["switched_on"] and first["enabled"]
    assert is_enabled(session)
    again = observe(session)
    assert again["enabled"] and not again["switched_on"]


@pytest.mark.integration
def test_a_qt_app_started_afterwards_exposes_its_entries(session: XSession) -> None:
    make_desktop(session)  # it switches accessibility on; Qt starts after, with no env var
    session.start([SYSTEM_PYTHON, "-c", QT_FORM])
    session.wait_for_window("Qt probe")
    found = entries(observe_until(session, lambda els: "Password" in entries(els)))
    assert {"Name", "Email", "Password"} <= set(found), found  # the buddy labels name them
    assert "password" in found["Password"].states
    assert "password" not in found["Name"].states
    assert "Own name" in found and "Labelled" not in found  # its own name wins over the label
    assert len({e.window for e in found.values()}) == 1  # one window, the active one
    assert all(e.window and ACTIVE in e.states for e in found.values())


@pytest.mark.integration
def test_chromium_with_the_flag_exposes_inputs_and_their_placeholders(
    session: XSession, tmp_path: Path
) -> None:
    make_desktop(session)
    page = tmp_path / "probe.html"
    page.write_text(PAGE, encoding="utf-8")
    session.start(
        [
            "chromium",
            "--force-renderer-accessibility",  # with IsEnabled true, no ACCESSIBILITY_ENABLED
            "--no-sandbox",
            "--test-type",
            "--no-first-run",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-position=200,150",
            "--window-size=900,600",
            f"--app={page.as_uri()}",
        ]
    )
    session.wait_for_window("HTML probe", timeout=60)
    found = entries(observe_until(session, lambda els: "Password" in entries(els), timeout=60))
    assert found["Name"].placeholder == "Your full name"
    assert found["Email"].placeholder == "you@example.org"
    assert "password" in found["Password"].states and found["Password"].placeholder == ""
    assert all(e.window.startswith("Chromium:") for e in found.values())


@pytest.mark.integration
def test_gtk_entries_take_their_labels_hints_and_the_password_state(session: XSession) -> None:
    session.start([SYSTEM_PYTHON, "-c", GTK_FORM])
    session.wait_for_window("GTK probe")
    found = entries(observe_until(session, lambda els: "Password" in entries(els)))
    assert found["Name"].placeholder == "Your full name"  # named by its mnemonic label
    assert "password" in found["Password"].states
    assert "password" not in found["Name"].states
    assert ACTIVE in found["Name"].states


@pytest.mark.integration
def test_a_checklists_toggle_cells_are_checkboxes_with_their_state(session: XSession) -> None:
    # yad's check list is a GTK tree view; its toggle cells say 'checked' but not 'checkable'.
    argv = ["yad", "--title=Groceries", "--list", "--checklist", "--column=Buy", "--column=Item"]
    session.start([*argv, "TRUE", "Bread", "FALSE", "Milk"])
    session.wait_for_window("Groceries")
    boxes = [e for e in observe_until(session, lambda els: any(e.role == "checkbox" for e in els))]
    toggles = sorted((e for e in boxes if e.role == "checkbox"), key=lambda e: e.box.y1)
    assert [e.checked for e in toggles] == [True, False]
    items = {e.name: e for e in boxes if e.name in ("Bread", "Milk")}
    assert toggles[1].box.x2 < items["Milk"].box.x1  # each toggle left of its item
    assert abs(toggles[1].box.y1 - items["Milk"].box.y1) < 3


@pytest.mark.integration
def test_a_modal_dialog_hides_the_window_behind_it(session: XSession) -> None:
    session.start([SYSTEM_PYTHON, "-c", GTK_FORM, "modal"])
    session.wait_for_window("GTK modal")
    elements = observe_until(
        session, lambda els: any(e.placeholder == "In the dialog" for e in els)
    )
    dialog = [e for e in elements if e.role == "window" and e.name == "GTK modal"]
    assert dialog, elements
    assert {e.window for e in elements} == {dialog[0].window}  # nothing of the main window
    assert all(ACTIVE in e.states for e in elements)
    assert {e.name for e in elements if e.role == "button"} == {"OK"}


@pytest.mark.integration
def test_active_window_box_is_the_client_area_of_the_active_window(
    session: XSession, tmp_path: Path
) -> None:
    assert observe(session)["active_box"] is None  # nothing has the focus yet
    told = tmp_path / "tk.txt"
    session.start([SYSTEM_PYTHON, "-c", TK_BOXED, str(told)])
    window = session.wait_for_window("Boxed")
    subprocess.run(["xdotool", "windowactivate", "--sync", window], env=session.env, check=True)

    def ask(*argv: str) -> str:
        return subprocess.run(argv, env=session.env, capture_output=True, text=True).stdout

    active = ask("xdotool", "getactivewindow").strip()
    assert active == window
    # xdotool 3.20160805 adds the frame offset twice to the position it prints, so the
    # position comes from xwininfo; the size from both.
    shell = ask("xdotool", "getactivewindow", "getwindowgeometry", "--shell")
    size = dict(line.split("=", 1) for line in shell.split())
    lines = [line.split(":", 1) for line in ask("xwininfo", "-id", active).splitlines()]
    info = {pair[0].strip(): pair[1].strip() for pair in lines if len(pair) == 2}
    x, y = int(info["Absolute upper-left X"]), int(info["Absolute upper-left Y"])
    w, h = int(size["WIDTH"]), int(size["HEIGHT"])
    assert (w, h) == (int(info["Width"]), int(info["Height"])) == (420, 260)
    box = observe(session)["active_box"]
    assert box is not None
    assert (box["x1"], box["y1"], box["x2"], box["y2"]) == (x, y, x + w - 1, y + h - 1)
    deadline = time.monotonic() + 10
    while not told.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert told.read_text().split() == [str(v) for v in (x, y, w, h)]  # Tk agrees


@pytest.mark.integration
def test_doctor_switches_accessibility_on_and_lists_the_readable_apps(session: XSession) -> None:
    def doctor() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "screenpilot", "doctor"],
            env={**session.env, "COLUMNS": "250"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = doctor()
    assert "IsEnabled was false; set to true now" in first
    assert "accessible apps        none is running" in first
    assert "--force-renderer-accessibility" in first
    session.start([SYSTEM_PYTHON, "-c", QT_FORM])
    session.wait_for_window("Qt probe")
    deadline, listed = time.monotonic() + 20, ""
    while "nodes)" not in listed and time.monotonic() < deadline:
        listed = doctor()
    assert "IsEnabled was already true" in listed
    line = next(x for x in listed.splitlines() if "accessible apps" in x)
    assert line.startswith("ok") and " nodes)" in line, line


# ---------------------------------------------------------------------- the rules alone
def test_without_a_session_bus_nothing_is_switched(monkeypatch: pytest.MonkeyPatch) -> None:
    from screenpilot.devices import a11y_bus

    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    status = a11y_bus.switch_on()
    assert not status.session_bus and not status.switched_on and "DBUS" in status.problem
    if a11y_bus._gio() is None:  # no python3-gi: nothing more to see
        return
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    status = a11y_bus.probe()
    assert not status.session_bus and "unreachable" in status.problem


def _win(index: int, role: str = "frame", *, app: str = "app", **kw: Any) -> Window:
    box = kw.pop("box", ScreenBox(x1=100, y1=100, x2=499, y2=399))
    return Window(
        id=f"{app}:1/{index}",
        app=f"{app}:1",
        pid=kw.pop("pid", 1),
        role=role,
        name=kw.pop("name", f"w{index}"),
        box=box,
        active=kw.pop("active", False),
        modal=kw.pop("modal", False),
    )


def _el(window: Window, name: str) -> Element:
    return Element(id="", role="button", name=name, box=window.box, source="a11y", window=window.id)


def test_the_active_window_is_marked_and_a_modal_one_hides_its_siblings() -> None:
    main, dialog, other = _win(0), _win(1, "dialog", modal=True), _win(0, app="other")
    popup = _win(2, "window")
    read = TreeRead(
        (main, dialog, other, popup),
        (_el(main, "Save"), _el(dialog, "OK"), _el(other, "Elsewhere"), _el(popup, "Item")),
    )
    shown = {e.name: e.states for e in arrange(read)}
    assert set(shown) == {"OK", "Elsewhere", "Item"}  # the modal dialog blocks its app only
    assert all(ACTIVE not in s for s in shown.values())  # nothing has AT-SPI's ACTIVE
    active_dialog = TreeRead((main, _win(1, "dialog", active=True), popup), read.elements)
    marked = {e.name: ACTIVE in e.states for e in arrange(active_dialog)}
    # A dialog in front of another frame of its application hides it; other apps stay.
    assert marked == {"OK": True, "Item": True, "Elsewhere": False}


def test_without_atspi_active_the_x_window_decides() -> None:
    a = _win(0, name="Editor", box=ScreenBox(x1=0, y1=0, x2=399, y2=299))
    b = _win(1, name="Viewer", box=ScreenBox(x1=500, y1=0, x2=899, y2=299))
    read = TreeRead((a, b), (_el(a, "A"), _el(b, "B")))
    found = match_window(read.windows, pid=1, title="", box=ScreenBox(x1=502, y1=2, x2=899, y2=299))
    assert found == b.id
    assert {e.name for e in arrange(read, found) if ACTIVE in e.states} == {"B"}
    assert match_window(read.windows, pid=2, title="Viewer", box=b.box) is None  # other process
    far = ScreenBox(x1=1000, y1=0, x2=1099, y2=99)
    assert match_window(read.windows, pid=None, title="Editor", box=far) == a.id
    assert match_window(read.windows, pid=None, title="", box=far) is None
    assert covered(read.windows, a) == set()  # two plain frames hide nothing

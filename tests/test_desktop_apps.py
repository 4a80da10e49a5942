"""open_app on the desktop: applications found by their .desktop entries (fast: entries written
to a private XDG data folder) and started for real on the private X desktop, by gtk-launch and
by their Exec line, with their windows seen."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from screenpilot.actions.executor import Executor
from screenpilot.actions.vocabulary import OpenApp
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.desktop_apps import (
    ApplicationStartError,
    DesktopEntry,
    UnknownApplicationError,
    application_dirs,
    find_application,
    installed_applications,
    open_application,
)
from screenpilot.devices.protocol import UnsupportedActionError
from screenpilot.devices.virtual_display import XSession


def write_entry(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("[Desktop Entry]\nType=Application\n" + body, encoding="utf-8")
    return path


@pytest.fixture
def xdg(tmp_path: Path) -> dict[str, str]:
    """An environment whose only application folders are two under tmp_path (home first)."""
    return {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "home"),
        "XDG_DATA_DIRS": f"{tmp_path / 'local'}:{tmp_path / 'system'}",
        "PATH": os.environ.get("PATH", os.defpath),
    }


@pytest.fixture
def apps(tmp_path: Path, xdg: dict[str, str]) -> Path:
    system = tmp_path / "system" / "applications"
    write_entry(
        system,
        "org.example.notes.desktop",
        "Name=Notes\nGenericName=Text Editor\nExec=notes %U\nStartupWMClass=NotesWin\n"
        "Name[fr]=Bloc-notes\n\n[Desktop Action new]\nName=New Window\nExec=notes --new\n",
    )
    write_entry(
        system, "vi.desktop", "Name=Vi\nGenericName=Text Editor\nExec=vi %F\nTerminal=true\n"
    )
    write_entry(system, "calc.desktop", "Name=Calculator\nExec=/opt/calc/bin/calc\n")
    write_entry(
        system, "calc-helper.desktop", "Name=Calc Helper\nExec=calc-helper\nNoDisplay=true\n"
    )
    write_entry(system, "gone.desktop", "Name=Gone\nExec=gone\n")
    write_entry(system, "absent.desktop", "Name=Absent\nExec=absent\nTryExec=no-such-program-x\n")
    (system / "link.desktop").write_text("[Desktop Entry]\nType=Link\nName=Link\nURL=x\n")
    write_entry(system / "kde", "konsole.desktop", "Name=Konsole\nExec=konsole\n")
    # The home folder comes first: its entry hides the system's, a Hidden one removes it.
    write_entry(tmp_path / "home" / "applications", "gone.desktop", "Name=Gone\nHidden=true\n")
    write_entry(
        tmp_path / "local" / "applications", "calc.desktop", "Name=Calculator\nExec=calc2\n"
    )
    return system


def test_application_folders_follow_xdg_order(tmp_path: Path, xdg: dict[str, str]) -> None:
    assert application_dirs(xdg) == [
        tmp_path / "home" / "applications",
        tmp_path / "local" / "applications",
        tmp_path / "system" / "applications",
    ]
    assert application_dirs({"HOME": "/h"}) == [
        Path("/h/.local/share/applications"),
        Path("/usr/local/share/applications"),
        Path("/usr/share/applications"),
    ]


def test_installed_applications_are_the_startable_ones_first_folder_winning(
    apps: Path, xdg: dict[str, str]
) -> None:
    found = {entry.id: entry for entry in installed_applications(xdg)}
    # Hidden, Type=Link, and TryExec of a missing program are not applications to start.
    assert sorted(found) == ["calc", "calc-helper", "kde-konsole", "org.example.notes", "vi"]
    assert found["calc"].exec == "calc2"
    notes = found["org.example.notes"]
    # Keys of other groups ([Desktop Action ...]) and localised names do not leak in.
    assert (notes.name, notes.exec, notes.startup_wm_class) == ("Notes", "notes %U", "NotesWin")
    assert found["vi"].terminal and found["calc-helper"].no_display


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("org.example.notes", "org.example.notes"),
        ("org.example.notes.desktop", "org.example.notes"),
        ("notes", "org.example.notes"),  # the id's last part
        ("NOTES", "org.example.notes"),
        ("Calculator", "calc"),
        ("text editor", "org.example.notes"),  # GenericName: the terminal one gives way
        ("calc2", "calc"),  # the program run
        ("kde-konsole", "kde-konsole"),
        ("Konsole", "kde-konsole"),
        ("calc-helper", "calc-helper"),  # not shown in menus, still opened by its id
    ],
)
def test_an_application_is_found_by_id_name_or_program(
    apps: Path, xdg: dict[str, str], query: str, entry_id: str
) -> None:
    assert find_application(query, xdg).id == entry_id


def test_an_unknown_application_names_the_close_ones(apps: Path, xdg: dict[str, str]) -> None:
    with pytest.raises(UnknownApplicationError) as caught:
        find_application("calculater", xdg)
    assert isinstance(caught.value, UnsupportedActionError)
    assert "no desktop application is called 'calculater'" in str(caught.value)
    assert "did you mean Calculator (calc)" in str(caught.value)
    with pytest.raises(UnknownApplicationError) as nothing_close:
        find_application("zzzz", xdg)
    assert "looked in" in str(nothing_close.value)
    assert "Notes (org.example.notes)" in str(nothing_close.value)
    with pytest.raises(UnknownApplicationError, match="name or id"):
        find_application("  ", xdg)


def test_several_equally_good_answers_are_not_guessed(apps: Path, xdg: dict[str, str]) -> None:
    write_entry(apps, "pad.desktop", "Name=Pad\nGenericName=Text Editor\nExec=pad\n")
    with pytest.raises(UnknownApplicationError) as caught:
        find_application("Text Editor", xdg)
    assert "could be any of Notes (org.example.notes), Pad (pad)" in str(caught.value)


@pytest.mark.parametrize(
    ("exec_line", "argv"),
    [
        ("notes %U", ["notes"]),
        ("notes --new-window %f", ["notes", "--new-window"]),
        ('"/opt/My App/run" --title=%c %% %i %k', ["/opt/My App/run", "--title=", "%"]),
        (r'sh -c "echo \\"a b\\" \\$HOME"', ["sh", "-c", 'echo "a b" $HOME']),
        (r"run\sme --flag", ["run", "me", "--flag"]),  # \s is a space, and spaces split
        ("prog 'it''s' \"\" 'a\\b'", ["prog", "its", "", "a\\b"]),
    ],
)
def test_the_exec_line_becomes_argv_without_field_codes(
    tmp_path: Path, exec_line: str, argv: list[str]
) -> None:
    path = write_entry(tmp_path / "applications", "x.desktop", f"Name=X\nExec={exec_line}\n")
    entries = installed_applications({"HOME": "/", "XDG_DATA_DIRS": str(tmp_path)})
    assert [e.path for e in entries] == [path]
    assert entries[0].command() == argv


def test_an_entry_without_exec_says_what_would_start_it(tmp_path: Path) -> None:
    entry = DesktopEntry(id="org.example.Bus", path=tmp_path / "x.desktop", name="Bus")
    with pytest.raises(ApplicationStartError, match="libgtk-3-bin"):
        entry.command()
    bad = DesktopEntry(id="q", path=tmp_path / "q.desktop", name="Q", exec='q "unclosed')
    with pytest.raises(ApplicationStartError, match="cannot be read"):
        bad.command()


# ---------------------------------------------------------------------- on the X desktop
def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"


def close_app(window: str, env: dict[str, str]) -> None:
    """End the program that owns `window` (an opened app is detached: nothing else will)."""
    out = subprocess.run(
        ["xdotool", "getwindowpid", window], env=env, capture_output=True, text=True, check=True
    )
    pid = int(out.stdout)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def windows_of_class(wm_class: str, env: dict[str, str]) -> set[str]:
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--class", wm_class],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(out.stdout.split())


@pytest.fixture
def desktop(xsession: XSession) -> Iterator[Desktop]:
    with Desktop(accessibility=False) as d:
        yield d


def mousepad_entry_name() -> str:
    """Mousepad's Name as its installed .desktop file spells it (the query the test uses)."""
    text = Path("/usr/share/applications/org.xfce.mousepad.desktop").read_text()
    return next(line[5:] for line in text.splitlines() if line.startswith("Name="))


@pytest.mark.parametrize("query", ["mousepad", "org.xfce.mousepad.desktop", "Text Editor", "name"])
def test_open_app_starts_mousepad_and_its_window_shows(
    xsession: XSession, desktop: Desktop, query: str
) -> None:
    if query == "name":
        query = mousepad_entry_name()
    before = windows_of_class("mousepad", xsession.env)
    desktop.open_app(query)
    new = windows_of_class("mousepad", xsession.env) - before
    assert len(new) == 1
    (window,) = new
    try:
        title = subprocess.run(
            ["xdotool", "getwindowname", window], env=xsession.env, capture_output=True, text=True
        ).stdout
        assert "Mousepad" in title
    finally:
        close_app(window, xsession.env)


def test_an_opened_app_outlives_the_device_and_the_executor_sees_it_open(
    xsession: XSession,
) -> None:
    before = windows_of_class("mousepad", xsession.env)
    with Desktop(accessibility=False) as desktop:
        result = Executor(desktop).run(OpenApp(app="mousepad"))
        assert result.ok, result.verdict.reason
    (window,) = windows_of_class("mousepad", xsession.env) - before
    try:
        time.sleep(0.5)
        assert window in windows_of_class("mousepad", xsession.env)  # closing left it open
    finally:
        close_app(window, xsession.env)


def test_an_unknown_app_on_the_desktop_is_a_clear_error(desktop: Desktop) -> None:
    with pytest.raises(UnknownApplicationError) as caught:
        desktop.open_app("mousepadd")
    assert "no desktop application is called 'mousepadd'" in str(caught.value)
    assert "Mousepad (org.xfce.mousepad)" in str(caught.value)


@pytest.fixture
def yad_entry(xsession: XSession, tmp_path: Path) -> dict[str, str]:
    """The desktop's environment with one more application folder: a yad form as 'Fake Notes'."""
    write_entry(
        tmp_path / "share" / "applications",
        "org.example.fakenotes.desktop",
        'Name=Fake Notes\nExec=yad --form --title "Fake Notes" --field Note %U\n',
    )
    return {**xsession.env, "XDG_DATA_DIRS": f"{tmp_path / 'share'}:/usr/share"}


@pytest.mark.parametrize("gtk_launch", [True, False], ids=["gtk-launch", "exec-line"])
def test_an_entry_is_started_both_ways_and_its_new_window_found(
    yad_entry: dict[str, str], gtk_launch: bool
) -> None:
    if gtk_launch:
        assert shutil.which("gtk-launch"), "scripts/system-packages.sh installs libgtk-3-bin"
    window = open_application("Fake Notes", env=yad_entry, use_gtk_launch=gtk_launch)
    try:
        title = subprocess.run(
            ["xdotool", "getwindowname", window], env=yad_entry, capture_output=True, text=True
        ).stdout
        assert title.strip() == "Fake Notes"
    finally:
        close_app(window, yad_entry)


def test_an_app_that_dies_at_once_or_shows_nothing_fails_in_time(
    xsession: XSession, tmp_path: Path
) -> None:
    folder = tmp_path / "share" / "applications"
    write_entry(folder, "crash.desktop", 'Name=Crash\nExec=sh -c "exit 4"\n')
    pid_file = tmp_path / "quiet.pid"
    write_entry(
        folder, "quiet.desktop", f'Name=Quiet\nExec=sh -c "echo $$ > {pid_file}; exec sleep 30"\n'
    )
    env = {**xsession.env, "XDG_DATA_DIRS": str(tmp_path / "share")}
    with pytest.raises(ApplicationStartError, match=r"Crash \(crash\) exited with status 4"):
        open_application("crash", env=env, use_gtk_launch=False, timeout=10)
    started = time.monotonic()
    with pytest.raises(ApplicationStartError, match="no new window of it showed within 1 s"):
        open_application("quiet", env=env, use_gtk_launch=False, timeout=1)
    assert time.monotonic() - started < 3
    pid = int(pid_file.read_text())
    assert alive(pid)  # detached: the failed wait does not end it
    os.kill(pid, signal.SIGTERM)

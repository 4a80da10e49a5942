"""ProgramLauncher: a task file's `launch` steps start real programs, see their windows, and
leave nothing running. The fast tests wait for windows through an injected waiter; the
integration ones through xdotool on the private X desktop."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import pytest

from screenpilot.devices.virtual_display import VirtualDisplayError, XSession
from screenpilot.errors import ScreenpilotError
from screenpilot.rpa.launcher import LaunchError, ProgramLauncher


def never_shows(title: str, timeout: float) -> None:
    """A window waiter for a desktop where the window never comes."""
    time.sleep(timeout)
    raise VirtualDisplayError(f"no window named {title!r} appeared within {timeout:g} s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): it is not running.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def pid_written(path: Path, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text().strip() if path.exists() else ""
        if text.isdigit():
            return int(text)
        time.sleep(0.02)
    raise AssertionError(f"{path} was never written")


def test_launch_error_is_a_screenpilot_error() -> None:
    assert issubclass(LaunchError, ScreenpilotError)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ("sh register.sh", "not a shell string: write [sh, register.sh]"),
        ([], "non-empty list"),
        (["sh", 3], "argument 1 is int"),
        (["sh", "-c", "a\0b"], "argument 2 contains a NUL"),
        ([""], "program name is empty"),
        (["no-such-program-here"], "neither in"),
        (["./missing.sh"], "there is no"),
    ],
)
def test_bad_argv_is_refused_before_anything_starts(
    tmp_path: Path, argv: object, reason: str
) -> None:
    with ProgramLauncher(tmp_path) as launcher:
        with pytest.raises(LaunchError, match=re.escape(reason)):
            launcher.launch(argv)  # type: ignore[arg-type]
        assert launcher.pids == []


def test_a_file_that_is_not_executable_says_how_to_run_it(tmp_path: Path) -> None:
    (tmp_path / "register.sh").write_text("echo hi\n")
    with ProgramLauncher(tmp_path) as launcher, pytest.raises(LaunchError) as caught:
        launcher.launch(["register.sh"])
    assert "not executable" in str(caught.value)
    assert "[sh, register.sh]" in str(caught.value)


def test_relative_program_is_taken_from_the_task_folder_and_runs_there(tmp_path: Path) -> None:
    script(tmp_path, "register.sh", 'pwd > where.txt\necho "$1" >> where.txt\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with ProgramLauncher(tmp_path) as launcher:
        launcher.launch(["register.sh", "Zoë; rm -rf /"])  # an argument, never shell words
        (pid,) = launcher.pids
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert (tmp_path / "where.txt").read_text().splitlines() == [
        str(tmp_path),
        "Zoë; rm -rf /",
    ]


def test_program_on_the_path_is_found_there_when_the_folder_lacks_it(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    script(tools, "greeter", "echo found > found.txt\n")
    env = {**os.environ, "PATH": f"{tools}:{os.environ.get('PATH', '')}"}
    task_dir = tmp_path / "task"
    task_dir.mkdir()
    with ProgramLauncher(task_dir, env=env) as launcher:
        launcher.launch(["greeter"])
        deadline = time.monotonic() + 5
        while not (task_dir / "found.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    assert (task_dir / "found.txt").read_text() == "found\n"


def test_a_program_that_exits_before_its_window_is_reported_with_its_stderr(
    tmp_path: Path,
) -> None:
    script(
        tmp_path, "broken.sh", "echo 'starting' >&2\necho 'cannot open customers.db' >&2\nexit 3\n"
    )
    with ProgramLauncher(tmp_path, wait_for_window=never_shows) as launcher:
        started = time.monotonic()
        with pytest.raises(LaunchError) as caught:
            launcher.launch(["broken.sh"], window="Register", timeout=20)
    message = str(caught.value)
    assert time.monotonic() - started < 5  # noticed at once, not after the 20 s timeout
    assert "broken.sh exited with status 3" in message
    assert "'Register'" in message
    assert "cannot open customers.db" in message.splitlines()[-1]


@pytest.mark.integration  # real programs and real waits of seconds
def test_a_launcher_script_that_exits_0_leaving_its_program_is_still_waited_for(
    tmp_path: Path,
) -> None:
    # Like `app &` in a wrapper: the wrapper ends at once, the program it started goes on.
    script(tmp_path, "wrapper.sh", "sleep 30 &\necho $! > child.pid\nexit 0\n")
    shown = {"after": time.monotonic() + 1.5}

    def shows_later(title: str, timeout: float) -> None:
        time.sleep(timeout)
        if time.monotonic() < shown["after"]:
            raise VirtualDisplayError("not yet")

    with ProgramLauncher(tmp_path, wait_for_window=shows_later) as launcher:
        launcher.launch(["wrapper.sh"], window="Anything", timeout=10)
        child = pid_written(tmp_path / "child.pid")
        assert alive(child)
    assert not alive(child)


@pytest.mark.integration  # real programs and real waits of seconds
def test_a_window_that_never_comes_fails_within_the_timeout(tmp_path: Path) -> None:
    with ProgramLauncher(tmp_path, wait_for_window=never_shows) as launcher:
        started = time.monotonic()
        with pytest.raises(LaunchError) as caught:
            launcher.launch(["sh", "-c", "echo 'waiting for a licence' >&2; exec sleep 60"],
                            window="Register", timeout=1.2)  # fmt: skip
        took = time.monotonic() - started
        (pid,) = launcher.pids
    assert 1.1 < took < 3
    message = str(caught.value)
    assert "sh started, but no window titled 'Register' showed within 1.2 s" in message
    assert "waiting for a licence" in message
    assert not alive(pid)


@pytest.mark.integration  # real programs and real waits of seconds
def test_stop_all_ends_every_program_and_its_children_and_can_run_twice(tmp_path: Path) -> None:
    script(tmp_path, "family.sh", "sleep 60 &\necho $! > child.pid\nwait\n")
    # One that ignores SIGTERM, to be killed after the grace period.
    script(
        tmp_path,
        "stubborn.sh",
        "trap '' TERM\necho $$ > stubborn.pid\nwhile :; do sleep 0.1; done\n",
    )
    launcher = ProgramLauncher(tmp_path)
    launcher.launch(["family.sh"])
    launcher.launch(["stubborn.sh"])
    launcher.launch(["sleep", "60"])
    child = pid_written(tmp_path / "child.pid")
    pid_written(tmp_path / "stubborn.pid")
    pids = [*launcher.pids, child]
    assert all(alive(pid) for pid in pids)
    started = time.monotonic()
    launcher.stop_all()
    assert time.monotonic() - started < 6
    assert [pid for pid in pids if alive(pid)] == []
    assert launcher.pids == []
    launcher.stop_all()


def test_the_context_ends_programs_even_when_the_row_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ProgramLauncher(tmp_path) as launcher:
        launcher.launch(["sleep", "60"])
        (pid,) = launcher.pids
        raise RuntimeError("the row failed")
    assert not alive(pid)


def test_output_is_kept_in_the_log_folder_when_one_is_given(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    with ProgramLauncher(tmp_path, log_dir=logs) as launcher:
        launcher.launch(["sh", "-c", "echo out; echo err >&2"])
        (pid,) = launcher.pids
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert (logs / "01-sh.stdout.log").read_text() == "out\n"
    assert (logs / "01-sh.stderr.log").read_text() == "err\n"


# ---------------------------------------------------------------------- on the X desktop
def test_zenity_window_is_seen_and_closed_with_the_row(xsession: XSession, tmp_path: Path) -> None:
    with ProgramLauncher(tmp_path, env=xsession.env) as launcher:
        launcher.launch(
            ["zenity", "--info", "--title", "Register customers", "--text", "Ready"],
            window="Register",
            timeout=20,
        )
        (pid,) = launcher.pids
        window = xsession.wait_for_window("Register customers", timeout=1)
        assert window
    assert not alive(pid)
    with pytest.raises(VirtualDisplayError):
        xsession.wait_for_window("Register customers", timeout=1)


def test_yad_started_from_a_task_folder_script_is_seen(xsession: XSession, tmp_path: Path) -> None:
    script(tmp_path, "register.sh", 'exec yad --form --title "Register $1" --field Name\n')
    with ProgramLauncher(tmp_path) as launcher:  # the DISPLAY the xsession fixture points at
        launcher.launch(["sh", "register.sh", "Lyon"], window="Register Lyon", timeout=20)
        (pid,) = launcher.pids
    assert not alive(pid)


def test_real_window_that_never_comes_fails_in_time(xsession: XSession, tmp_path: Path) -> None:
    with ProgramLauncher(tmp_path, env=xsession.env) as launcher:
        started = time.monotonic()
        with pytest.raises(LaunchError, match="no window titled 'No such window' showed"):
            launcher.launch(["sleep", "60"], window="No such window", timeout=1.5)
        assert time.monotonic() - started < 4
        (pid,) = launcher.pids
    assert not alive(pid)

"""Starts the programs a task file's `launch` steps name, waits for their windows, and ends them.

A `launch` step is an argv list, never a shell string: nothing here goes through a shell. Each
program runs in its own process group with its output in log files, so that `stop_all` can end
it together with whatever it started, and a program that fails can be reported with the last
lines it wrote to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from screenpilot.errors import ScreenpilotError

log = logging.getLogger(__name__)

#: How long a program has to end after SIGTERM before it gets SIGKILL.
TERMINATE_GRACE = 3.0
#: How often the window wait looks whether the program has exited meanwhile.
_POLL = 0.5
#: How many lines of stderr an error message quotes.
_TAIL_LINES = 8


class LaunchError(ScreenpilotError):
    """A program could not be started, or exited, or its window did not show in time."""


WindowWaiter = Callable[[str, float], None]
"""`waiter(title_part, timeout)` returns once a window whose title contains `title_part` shows;
raises a `ScreenpilotError` (or `TimeoutError`) when none did within `timeout` seconds."""


@dataclass
class _Started:
    argv: list[str]
    process: subprocess.Popen[bytes]
    stdout: IO[bytes]
    stderr: IO[bytes]
    stderr_path: Path

    @property
    def name(self) -> str:
        return Path(self.argv[0]).name


class ProgramLauncher:
    """Starts programs for one data row of a task file and ends them all when the row ends.

    `cwd` is the task file's folder: programs run there, and a relative `argv[0]` that exists
    there is taken from there. `env` is the programs' whole environment (default: this
    process's, read at each launch). `wait_for_window` is how a window is waited for
    (default: an xdotool search on the `DISPLAY` of `env`). `log_dir` keeps the programs'
    output; without it, the output goes to a temporary folder removed by `stop_all`.
    """

    def __init__(
        self,
        cwd: Path,
        *,
        env: Mapping[str, str] | None = None,
        wait_for_window: WindowWaiter | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.cwd = Path(cwd)
        self._env = dict(env) if env is not None else None
        self._wait = wait_for_window or self._xdotool_wait
        self._log_dir = log_dir
        self._temp_dir: Path | None = None
        self._started: list[_Started] = []

    # ------------------------------------------------------------------ starting
    def launch(
        self, argv: Sequence[str], *, window: str | None = None, timeout: float = 30.0
    ) -> None:
        """Start `argv` (a list, no shell); with `window`, return once a window whose title
        contains it shows. Raises LaunchError when the program cannot start, exits before its
        window shows, or the window does not show within `timeout` seconds."""
        args = _checked_argv(argv)
        if window is not None and not window.strip():
            raise LaunchError("launch: `window` must name part of a window title, not be empty")
        if not timeout > 0:
            raise LaunchError(f"launch: the window timeout must be positive, not {timeout!r}")
        env = self._env if self._env is not None else dict(os.environ)
        args[0] = self._resolve(args[0], env)
        started = self._start(args, env)
        if window is not None:
            self._await_window(started, window, timeout)

    def _resolve(self, program: str, env: Mapping[str, str]) -> str:
        path = Path(program)
        local = path if path.is_absolute() else self.cwd / path
        if path.is_absolute() or local.exists():
            if local.is_dir():
                raise LaunchError(f"cannot launch {program!r}: {local} is a folder")
            if not os.access(local, os.X_OK):
                raise LaunchError(
                    f"cannot launch {program!r}: {local} is not executable - make it so "
                    f"(chmod +x) or name its interpreter first, e.g. [sh, {program}]"
                )
            return str(local)
        if os.sep in program:
            raise LaunchError(f"cannot launch {program!r}: there is no {local}")
        found = shutil.which(program, path=env.get("PATH", os.defpath))
        if found is None:
            raise LaunchError(
                f"cannot launch {program!r}: it is neither in {self.cwd} nor on the PATH"
            )
        return found

    def _start(self, argv: list[str], env: Mapping[str, str]) -> _Started:
        folder = self._logs()
        stem = f"{len(self._started) + 1:02d}-{Path(argv[0]).name}"
        stderr_path = folder / f"{stem}.stderr.log"
        stdout = open(folder / f"{stem}.stdout.log", "wb")  # noqa: SIM115 - closed in stop_all
        stderr = open(stderr_path, "wb")  # noqa: SIM115 - closed in stop_all
        try:
            process = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # its own process group: stop_all ends its children too
            )
        except OSError as error:
            stdout.close()
            stderr.close()
            raise LaunchError(f"cannot launch {argv[0]}: {error.strerror or error}") from None
        started = _Started(argv, process, stdout, stderr, stderr_path)
        self._started.append(started)
        log.info("launched %s (pid %d)", argv, process.pid)
        return started

    def _await_window(self, started: _Started, window: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LaunchError(
                    f"{started.name} started, but no window titled {window!r} showed within "
                    f"{timeout:g} s{_tail(started)}"
                )
            try:
                self._wait(window, min(_POLL, left))
                return
            except LaunchError:
                raise
            except (ScreenpilotError, TimeoutError):
                pass
            code = started.process.poll()
            # A launcher script may exit once it has started the real program: only when
            # nothing of its process group is left has the program really gone.
            if code is not None and (code != 0 or not _group_alive(started.process.pid)):
                raise LaunchError(
                    f"{started.name} exited with status {code} before a window titled "
                    f"{window!r} showed{_tail(started)}"
                )

    def _xdotool_wait(self, title_part: str, timeout: float) -> None:
        from screenpilot.devices.virtual_display import wait_for_window

        env = self._env if self._env is not None else os.environ
        if not env.get("DISPLAY"):
            raise LaunchError(f"cannot wait for the window {title_part!r}: no DISPLAY is set")
        if shutil.which("xdotool", path=env.get("PATH", os.defpath)) is None:
            raise LaunchError(
                f"waiting for the window {title_part!r} needs xdotool: "
                "run scripts/system-packages.sh, which installs it"
            )
        wait_for_window(title_part, env=self._env, timeout=timeout)

    def _logs(self) -> Path:
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            return self._log_dir
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="screenpilot-launch-"))
        return self._temp_dir

    # ------------------------------------------------------------------ ending
    @property
    def pids(self) -> list[int]:
        """The process ids of the programs started and not yet stopped."""
        return [s.process.pid for s in self._started]

    def stop_all(self) -> None:
        """End every program started (and what it started): SIGTERM to each process group,
        SIGKILL to those still there after a grace period. Calling it again is harmless."""
        started, self._started = self._started, []
        for item in started:
            _signal_group(item.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + TERMINATE_GRACE
        for item in started:
            while _group_alive(item.process.pid) and time.monotonic() < deadline:
                item.process.poll()  # reap the leader, or it stays in the group as a zombie
                time.sleep(0.02)
            if _group_alive(item.process.pid):
                log.warning("%s did not end on SIGTERM; killing it", item.name)
                _signal_group(item.process.pid, signal.SIGKILL)
            item.process.wait()
            item.stdout.close()
            item.stderr.close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> ProgramLauncher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def _checked_argv(argv: object) -> list[str]:
    if isinstance(argv, str | bytes):
        raise LaunchError(
            f"launch takes an argv list, not a shell string: write [{', '.join(str(argv).split())}]"
            " (each argument its own item; nothing is passed to a shell)"
        )
    if not isinstance(argv, Sequence) or not argv:
        raise LaunchError("launch needs a non-empty list: the program, then its arguments")
    args = list(argv)
    for n, arg in enumerate(args):
        if not isinstance(arg, str):
            raise LaunchError(f"launch: argument {n} is {type(arg).__name__}, not text: {arg!r}")
        if "\0" in arg:
            raise LaunchError(f"launch: argument {n} contains a NUL character")
    if not args[0]:
        raise LaunchError("launch: the program name is empty")
    return args


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(started: _Started) -> str:
    started.stderr.flush()
    try:
        text = started.stderr_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()][-_TAIL_LINES:]
    if not lines:
        return " (it wrote nothing to stderr)"
    return "; its stderr ends:\n" + "\n".join(f"  {line}" for line in lines)

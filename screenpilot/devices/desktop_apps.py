"""Desktop applications found by their .desktop entries and started the desktop's way.

An application is named by its desktop-entry id (`org.xfce.mousepad`, with or without
`.desktop`, or its last part, `mousepad`), its Name ("Mousepad"), its GenericName ("Text
Editor") or its program (`xterm`). Entries are read from the XDG application folders of the
environment given (`$XDG_DATA_HOME/applications`, then each of `$XDG_DATA_DIRS`). It is started
with `gtk-launch` when installed (which handles D-Bus activation, terminals and startup
notification as the desktop does), else from its Exec line as an argv list with the field
codes removed - never through a shell. Either way it is detached: it belongs to the desktop,
not to the device that opened it. Then a new window of it is waited for (by the entry's Name
or window class).
"""

from __future__ import annotations

import difflib
import logging
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from screenpilot.devices.protocol import UnsupportedActionError
from screenpilot.errors import ScreenpilotError

log = logging.getLogger(__name__)

#: How long an opened application has, by default, to show a window.
WINDOW_TIMEOUT = 20.0
#: How long gtk-launch has to hand the application over and exit.
_GTK_LAUNCH_TIMEOUT = 15.0
_ENTRY_GROUP = "Desktop Entry"
#: Exec field codes (the deprecated ones included); a run has no files or URLs to pass.
_FIELD_CODE = re.compile(r"%(.)")
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
#: Characters special in the POSIX extended regular expressions xdotool searches with.
_ERE_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


class UnknownApplicationError(UnsupportedActionError):
    """No installed desktop entry answers to the name asked for (or several do)."""


class ApplicationStartError(ScreenpilotError):
    """A desktop application was found but could not be started, or showed no window."""


@dataclass(frozen=True)
class DesktopEntry:
    """What a .desktop file says about one application (the keys this module uses)."""

    id: str
    path: Path
    name: str
    generic_name: str | None = None
    exec: str | None = None
    terminal: bool = False
    no_display: bool = False
    startup_wm_class: str | None = None
    working_dir: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})"

    def command(self) -> list[str]:
        """The Exec line as an argv list: quoting undone (`exec_words`), field codes (%f %U
        %i %c %k ...) removed, `%%` made `%`. Raises ApplicationStartError when there is none."""
        if not self.exec:
            raise ApplicationStartError(
                f"{self.label} has no Exec line (it is started over D-Bus): install gtk-launch "
                "(Debian package libgtk-3-bin) to open it"
            )
        try:
            words = exec_words(self.exec)
        except ValueError as error:
            raise ApplicationStartError(
                f"{self.label} has an Exec line that cannot be read ({error}): {self.exec!r}"
            ) from None
        argv: list[str] = []
        for word in words:
            if re.fullmatch(r"%[A-Za-z]", word):
                continue  # a lone field code stands for arguments there are none of
            argv.append(_FIELD_CODE.sub(lambda m: "%" if m.group(1) == "%" else "", word))
        if not argv:
            raise ApplicationStartError(f"{self.label} has an empty Exec line")
        return argv

    @property
    def program(self) -> str | None:
        """The file name of the program the Exec line runs, if it can be read."""
        try:
            return Path(self.command()[0]).name
        except ApplicationStartError:
            return None


def application_dirs(env: Mapping[str, str]) -> list[Path]:
    """The folders applications' .desktop files are looked up in, the first one winning."""
    home = env.get("HOME") or str(Path.home())
    data_home = env.get("XDG_DATA_HOME") or f"{home}/.local/share"
    data_dirs = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    roots = [data_home, *data_dirs.split(":")]
    return [Path(root) / "applications" for root in roots if root]


def read_entry(path: Path, entry_id: str) -> DesktopEntry | None:
    """The entry in `path`, or None when it is not an application one can start (another
    Type, Hidden, a TryExec program that is not installed, no Name, an unreadable file)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    keys: dict[str, str] = {}
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        if group != _ENTRY_GROUP or "=" not in line:
            continue
        key, value = line.split("=", 1)
        keys.setdefault(key.strip(), _unescape(value.strip()))
    if keys.get("Type") != "Application" or _true(keys.get("Hidden")) or not keys.get("Name"):
        return None
    try_exec = keys.get("TryExec")
    if try_exec and shutil.which(try_exec) is None:
        return None
    return DesktopEntry(
        id=entry_id,
        path=path,
        name=keys["Name"],
        generic_name=keys.get("GenericName") or None,
        exec=keys.get("Exec") or None,
        terminal=_true(keys.get("Terminal")),
        no_display=_true(keys.get("NoDisplay")),
        startup_wm_class=keys.get("StartupWMClass") or None,
        working_dir=keys.get("Path") or None,
    )


def installed_applications(env: Mapping[str, str]) -> list[DesktopEntry]:
    """Every application entry installed, one per id (the earlier folder wins), by id."""
    seen: dict[str, DesktopEntry | None] = {}
    for folder in application_dirs(env):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.desktop")):
            # An entry in a subfolder has the folder in its id: kde/konsole -> kde-konsole.
            entry_id = "-".join(path.relative_to(folder).with_suffix("").parts)
            if entry_id not in seen:  # a hidden one in an earlier folder still hides the rest
                seen[entry_id] = read_entry(path, entry_id)
    return sorted((e for e in seen.values() if e is not None), key=lambda e: e.id)


def find_application(query: str, env: Mapping[str, str]) -> DesktopEntry:
    """The installed application `query` names: by id, the id's last part, Name, GenericName
    or program, in that order (case-insensitive). Among several answering the same way, the
    ones shown in menus and not run in a terminal are preferred; if several remain, or none
    answers, UnknownApplicationError says which ones come close."""
    wanted = query.strip().removesuffix(".desktop").casefold()
    entries = installed_applications(env)
    if not wanted:
        raise UnknownApplicationError("open_app needs the name or id of an application")
    ways: tuple[Callable[[DesktopEntry], bool], ...] = (
        lambda e: e.id.casefold() == wanted,
        lambda e: e.id.casefold().rsplit(".", 1)[-1] == wanted,
        lambda e: e.name.casefold() == wanted,
        lambda e: (e.generic_name or "").casefold() == wanted,
        lambda e: (e.program or "").casefold() == wanted,
    )
    for answers in ways:
        found = [e for e in entries if answers(e)]
        preferred = [e for e in found if not e.no_display and not e.terminal]
        found = preferred or found
        if len(found) == 1:
            return found[0]
        if found:
            raise UnknownApplicationError(
                f"{query!r} could be any of {', '.join(e.label for e in found)}: name one by its id"
            )
    raise UnknownApplicationError(_not_found(query, entries, env))


def open_application(
    query: str,
    *,
    env: Mapping[str, str],
    timeout: float = WINDOW_TIMEOUT,
    use_gtk_launch: bool | None = None,
) -> str:
    """Find `query`'s application, start it detached and return the id of its new window
    once one shows (within `timeout` seconds). `use_gtk_launch` None: when it is installed."""
    entry = find_application(query, env)
    before = window_ids(entry, env)
    if use_gtk_launch is None:
        use_gtk_launch = shutil.which("gtk-launch", path=env.get("PATH")) is not None
    process = None
    if use_gtk_launch:
        _gtk_launch(entry, env)
    else:
        process = _exec(entry, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = window_ids(entry, env) - before
        if new:
            return min(new, key=int)
        code = process.poll() if process is not None else None
        if code is not None and code != 0:
            raise ApplicationStartError(
                f"{entry.label} exited with status {code} before its window showed"
            )
        time.sleep(0.1)
    raise ApplicationStartError(
        f"{entry.label} was started, but no new window of it showed within {timeout:g} s"
    )


def window_ids(entry: DesktopEntry, env: Mapping[str, str]) -> set[str]:
    """The visible windows that look like `entry`'s: titled with its Name, or of its window
    class (StartupWMClass, else the program's name)."""
    searches = [["--name", _ere_literal(entry.name)]]
    for wm_class in {entry.startup_wm_class or entry.program or ""} - {""}:
        searches.append(["--class", "--classname", f"^{_ere_literal(wm_class)}$"])
    found: set[str] = set()
    for how in searches:
        try:
            result = subprocess.run(
                ["xdotool", "search", "--onlyvisible", *how],
                capture_output=True,
                text=True,
                env=dict(env),
                check=False,
                timeout=10,
            )
        except FileNotFoundError:
            raise ApplicationStartError(
                "waiting for an application's window needs xdotool: "
                "run scripts/system-packages.sh, which installs it"
            ) from None
        found.update(result.stdout.split())
    return found


# ---------------------------------------------------------------------- starting
def _gtk_launch(entry: DesktopEntry, env: Mapping[str, str]) -> None:
    # The application inherits gtk-launch's stderr: a pipe would stay open as long as it
    # runs, so the messages go to an unlinked file that lives as long as it does.
    with tempfile.TemporaryFile() as errors:
        try:
            done = subprocess.run(
                ["gtk-launch", entry.id],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # not in our process group: the desktop keeps it
                timeout=_GTK_LAUNCH_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ApplicationStartError(
                f"gtk-launch did not hand {entry.label} over within {_GTK_LAUNCH_TIMEOUT:g} s"
            ) from None
        if done.returncode != 0:
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip()
            raise ApplicationStartError(
                f"gtk-launch could not start {entry.label}: {said or f'status {done.returncode}'}"
            )
    log.info("opened %s with gtk-launch", entry.label)


def _exec(entry: DesktopEntry, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    argv = entry.command()
    if entry.terminal:
        terminal = shutil.which("x-terminal-emulator", path=env.get("PATH"))
        if terminal is None:
            raise ApplicationStartError(
                f"{entry.label} runs in a terminal, and no x-terminal-emulator is installed"
            )
        argv = [terminal, "-e", *argv]
    cwd = entry.working_dir if entry.working_dir and Path(entry.working_dir).is_dir() else None
    try:
        process = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=cwd or env.get("HOME") or None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # detached: closing the device leaves it running
        )
    except OSError as error:
        raise ApplicationStartError(
            f"cannot start {entry.label} ({shlex.join(argv)}): {error.strerror or error}"
        ) from None
    log.info("opened %s: %s (pid %d)", entry.label, shlex.join(argv), process.pid)
    return process


# ---------------------------------------------------------------------- reading entries
def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), m.group(0)), value)


def exec_words(line: str) -> list[str]:
    """An Exec value split into words the way the desktop does (sh-like, as GLib's
    `g_shell_parse_argv`): double quotes where a backslash escapes `"` `` ` `` `$` `\\`, single
    quotes taken literally, a backslash outside quotes escaping the next character. Nothing is
    expanded. Raises ValueError for an unclosed quote."""
    words: list[str] = []
    word: list[str] | None = None  # None between words; [] is an empty word ("")
    i = 0
    while i < len(line):
        char = line[i]
        if char in " \t\n":
            if word is not None:
                words.append("".join(word))
                word = None
            i += 1
            continue
        word = word if word is not None else []
        if char == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ValueError("a single quote is not closed")
            word.append(line[i + 1 : end])
            i = end + 1
        elif char == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in '"`$\\':
                    i += 1
                word.append(line[i])
                i += 1
            if i >= len(line):
                raise ValueError("a double quote is not closed")
            i += 1
        elif char == "\\" and i + 1 < len(line):
            word.append(line[i + 1])
            i += 2
        else:
            word.append(char)
            i += 1
    if word is not None:
        words.append("".join(word))
    return words


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def _ere_literal(text: str) -> str:
    return _ERE_SPECIAL.sub(r"\\\1", text)


def _not_found(query: str, entries: list[DesktopEntry], env: Mapping[str, str]) -> str:
    by_word: dict[str, DesktopEntry] = {}
    for entry in entries:
        for word in (entry.id, entry.id.rsplit(".", 1)[-1], entry.name, entry.generic_name):
            if word:
                by_word.setdefault(word.casefold(), entry)
    wanted = query.strip().casefold()
    close = difflib.get_close_matches(wanted, by_word, n=8, cutoff=0.6)
    close += [word for word in by_word if wanted and wanted in word and word not in close]
    labels = list(dict.fromkeys(by_word[word].label for word in close))[:5]
    folders = ", ".join(str(d) for d in application_dirs(env))
    if labels:
        return f"no desktop application is called {query!r}: did you mean {', '.join(labels)}?"
    shown = [e.label for e in entries if not e.no_display][:10]
    return f"no desktop application is called {query!r} (looked in {folders}); installed: " + (
        ", ".join(shown) if shown else "none"
    )

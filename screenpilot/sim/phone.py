"""A simulated Android phone: enough of a real one to test the Android device against.

`SimulatedPhone.handle` answers one adb `shell:` / `exec:` service request the way a phone does:
its shell splits the command line as mksh would (`shell_words`), runs the command
(`phone_commands`) against the apps (`phone_apps`), and a screenshot or a uiautomator dump
shows what they look like now (`phone_screen`). Every command line it gets is recorded
verbatim, and anything its shell would have interpreted is recorded apart.
`adb_server.FakeAdbServer` puts phones behind a real adb socket.

`getevent` is the one command that does not end: `open_stream` starts it, and it streams the
events of the phone's input devices (`phone_input`) until its client goes away. Those events
come only from `person` - a test's stand-in for someone touching the screen and pressing keys -
never from `input tap` and friends, which a real phone injects above the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from screenpilot.sim import phone_commands, phone_screen
from screenpilot.sim.phone_apps import LATIN_IME, PhoneApps
from screenpilot.sim.phone_input import EventStream, InputDevices, Person, getevent_options
from screenpilot.sim.shell_words import split_command


@dataclass(kw_only=True)
class SimulatedPhone(PhoneApps):
    """One simulated device: its apps (`PhoneApps`) and the system around them - serial, input
    method, `wm size` override - plus the record of what it was sent.

    `flaky_dumps` makes that many `uiautomator dump`s fail first; `pty_crlf` makes `shell:`
    output come back with CRLF line ends, as a PTY on old devices did."""

    serial: str = "emulator-5554"
    adb_keyboard_installed: bool = True
    flaky_dumps: int = 0
    pty_crlf: bool = False
    override: tuple[int, int] | None = None
    ime: str = LATIN_IME
    commands: list[str] = field(default_factory=list)
    interpreted: list[str] = field(default_factory=list)
    input_devices: InputDevices = field(default_factory=InputDevices, compare=False, repr=False)

    @property
    def person(self) -> Person:
        """Someone using this phone: touches, keys and the soft keyboard (`phone_input`)."""
        return Person(self)

    def handle(self, service: str) -> bytes:
        """Answer `shell:<cmd>` or `exec:<cmd>` as the device would (the output bytes)."""
        kind, _, line = service.partition(":")
        out = phone_commands.run(self, self._words(line))
        if kind == "shell" and self.pty_crlf:
            out = out.replace(b"\n", b"\r\n")  # what a PTY did to binary output on old devices
        return out

    def open_stream(self, service: str) -> EventStream | None:
        """Start `shell:getevent ...` / `exec:getevent ...` when it streams (it has no `-p`);
        None for any other service, which `handle` answers whole."""
        kind, _, line = service.partition(":")
        words = split_command(line).words
        if not words or words[0].rsplit("/", 1)[-1] != "getevent":
            return None
        options = getevent_options(words[1:])
        if isinstance(options, str) or not options.blocking:
            return None
        self._words(line)  # recorded like every command line
        return self.input_devices.open_stream(options, crlf=kind == "shell" and self.pty_crlf)

    def _words(self, line: str) -> list[str]:
        """Split a command line as the phone's shell does, recording it and anything the
        shell would have interpreted in it."""
        self.commands.append(line)
        parsed = split_command(line)
        self.interpreted.extend(f"{line!r}: {what}" for what in parsed.interpreted)
        return parsed.words

    def screen_image(self) -> Image.Image:
        """What `screencap` captures (override size when `wm size` set one)."""
        image = self.render()
        if self.override is not None:
            image = image.resize(self.override)
        return image

    def render(self) -> Image.Image:
        """The display at its physical size."""
        return phone_screen.render(self)

    def ui_dump(self) -> str:
        """The uiautomator XML of the current screen (without the trailer)."""
        return phone_screen.ui_dump(self, self.override)

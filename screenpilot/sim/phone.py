"""A simulated Android phone: enough of a real one to test the Android device against.

`SimulatedPhone.handle` answers one adb `shell:` / `exec:` service request the way a phone does:
its shell splits the command line as mksh would (`shell_words`), runs the command
(`phone_commands`) against the apps (`phone_apps`), and a screenshot or a uiautomator dump
shows what they look like now (`phone_screen`). Every command line it gets is recorded
verbatim, and anything its shell would have interpreted is recorded apart.
`adb_server.FakeAdbServer` puts phones behind a real adb socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from screenpilot.sim import phone_commands, phone_screen
from screenpilot.sim.phone_apps import LATIN_IME, PhoneApps
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

    def handle(self, service: str) -> bytes:
        """Answer `shell:<cmd>` or `exec:<cmd>` as the device would (the output bytes)."""
        kind, _, line = service.partition(":")
        self.commands.append(line)
        parsed = split_command(line)
        self.interpreted.extend(f"{line!r}: {what}" for what in parsed.interpreted)
        out = phone_commands.run(self, parsed.words)
        if kind == "shell" and self.pty_crlf:
            out = out.replace(b"\n", b"\r\n")  # what a PTY did to binary output on old devices
        return out

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

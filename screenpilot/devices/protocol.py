"""The one small protocol every device satisfies; the executor knows devices only by it."""

from __future__ import annotations

from typing import Literal, Protocol, Self, runtime_checkable

from screenpilot.errors import ScreenpilotError
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot

Direction = Literal["up", "down", "left", "right"]
SystemButtonName = Literal["back", "home", "recents", "enter"]


class UnsupportedActionError(ScreenpilotError):
    """This device has no way to do what the action asks (e.g. the Home button on a desktop)."""


class Device(Protocol):
    """A screen the agent can see and act on. A device is a context manager: leaving it (or
    `close()`) lets go of what it holds (connections, helper processes); closing twice is
    harmless. A device that stops answering raises `DeviceLostError`."""

    @property
    def geometry(self) -> ScreenGeometry: ...

    def screenshot(self) -> Screenshot: ...

    def elements(self) -> list[Element]:
        """Elements the device itself knows (accessibility, uiautomator); may be empty."""
        ...

    def move(self, point: ScreenPoint) -> None: ...

    def click(self, point: ScreenPoint | None, button: str = "left", count: int = 1) -> None: ...

    def long_press(self, point: ScreenPoint, seconds: float) -> None: ...

    def drag(
        self, start: ScreenPoint | None, end: ScreenPoint, seconds: float | None = None
    ) -> None: ...

    def scroll(self, direction: Direction, amount: int, at: ScreenPoint | None = None) -> None: ...

    def key(self, keys: list[str]) -> None: ...

    def type_text(self, text: str) -> None: ...

    def system_button(self, button: SystemButtonName) -> None: ...

    def open_app(self, app: str) -> None: ...

    def active_window_box(self) -> ScreenBox | None:
        """The focused window's box, when the device has windows and can tell."""
        ...

    def pointer_position(self) -> ScreenPoint | None:
        """Where the pointer is, when the device has one and can tell."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class CachesElements(Protocol):
    """A device whose `elements()` may answer from a cache that events keep fresh (the
    desktop's accessibility tree): it can be told to read afresh once."""

    def forget_elements(self) -> None: ...

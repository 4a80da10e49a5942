"""Which device a console device spec names, so that two names for one device are one device:
a bare `android` is the phone adb would pick (its serial, when exactly one is attached, as
`AndroidDevice` chooses), `android:SERIAL` that serial, and `desktop` the X display in
`$DISPLAY`. The board compares these identities, never the names as typed."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from screenpilot.agent.assembly import check_device_spec
from screenpilot.errors import ScreenpilotError

#: How long the adb server may take to list its devices before a bare `android` is taken
#: as it is (the run then finds out for itself when it opens the phone).
ADB_LIST_SECONDS = 2.0


def attached_serials() -> list[str]:
    """The serials adb lists, whatever their state; empty when adb cannot be asked."""
    from screenpilot.devices.adb import AdbClient

    try:
        return [entry.serial for entry in AdbClient(timeout=ADB_LIST_SECONDS).devices()]
    except ScreenpilotError:  # no server, no android extra: nothing to resolve against
        return []


def device_identity(
    spec: str,
    *,
    serials: Callable[[], Sequence[str]] = attached_serials,
    display: Callable[[], str | None] = lambda: os.environ.get("DISPLAY"),
) -> str:
    """The identity of the device `spec` names: `android:SERIAL` or `desktop:DISPLAY`.
    A bare `android` with no phone or several attached stays `android` (opening it fails
    then, so it can clash with no other run's phone)."""
    kind, serial = check_device_spec(spec)
    if kind == "desktop":
        return f"desktop:{display() or ''}"
    if serial is None:
        attached = list(serials())
        if len(attached) != 1:
            return "android"
        (serial,) = attached
    return f"android:{serial}"

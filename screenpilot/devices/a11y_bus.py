"""The accessibility switch of a desktop session: is AT-SPI there, and is it on?

Toolkits decide at start-up whether to expose their widgets (what we saw on Xvfb + openbox):
GTK 3 always does. Chromium does only when the session's `org.a11y.Status` `IsEnabled`
property is true (or ACCESSIBILITY_ENABLED=1 is in its environment), and shows its pages only
with `--force-renderer-accessibility`; setting it later does not wake a browser already
running (Electron apps are Chromium inside; not tried here). Qt 5 does when the accessibility
bus is already running as it starts (on X it reads the bus address from the root window); a
Qt program that has to start the bus itself, or that was running before `IsEnabled` turned
true, mostly stays dark. `switch_on` starts the bus and sets `IsEnabled`, for programs
started afterwards.

The calls go through Gio (Debian's python3-gi, found the way `atspi.load_pyatspi` finds
pyatspi) on a private connection: Gio's shared session connection would end this process when
the session bus goes away, which a test's virtual desktop does on purpose.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_DEBIAN_PACKAGES = "/usr/lib/python3/dist-packages"
_BUS, _PATH = "org.a11y.Bus", "/org/a11y/bus"
#: The first call activates at-spi-bus-launcher; later ones answer in a millisecond.
_TIMEOUT_MS = 3000
_announced: set[str] = set()


@dataclass(frozen=True)
class A11yStatus:
    """What `switch_on` (or `probe`) found on the session bus."""

    session_bus: bool
    #: The accessibility bus's address ("" when there is none).
    a11y_bus: str = ""
    #: `IsEnabled` before we touched it (None when it could not be read).
    was_enabled: bool | None = None
    #: `IsEnabled` now.
    enabled: bool = False
    #: Why something is missing, in words ("" when nothing is).
    problem: str = ""

    @property
    def switched_on(self) -> bool:
        """Whether this call turned `IsEnabled` from false to true."""
        return self.was_enabled is False and self.enabled


def _import_gio() -> tuple[Any, Any]:
    return importlib.import_module("gi.repository.Gio"), importlib.import_module(
        "gi.repository.GLib"
    )


def _gio() -> tuple[Any, Any] | None:
    """Gio and GLib, from the environment or else from Debian's python3-gi."""
    try:
        return _import_gio()
    except ImportError:
        if not os.path.isdir(_DEBIAN_PACKAGES) or _DEBIAN_PACKAGES in sys.path:
            return None
        sys.path.append(_DEBIAN_PACKAGES)  # at the end: the environment's packages still win
        try:
            return _import_gio()
        except ImportError:
            return None


def probe() -> A11yStatus:
    """The session's accessibility state, changing nothing."""
    return _visit(switch=False)


def switch_on() -> A11yStatus:
    """Start the accessibility bus if it is not running and set `IsEnabled` to true.

    Logged once per session bus when it flips the property. Where the bus launcher keeps its
    settings in dconf (a GNOME-style desktop) the change outlives the session: it is the
    `org.gnome.desktop.interface toolkit-accessibility` setting.
    """
    return _visit(switch=True)


def _visit(*, switch: bool) -> A11yStatus:
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not address:
        return A11yStatus(session_bus=False, problem="no DBUS_SESSION_BUS_ADDRESS")
    gio = _gio()
    if gio is None:
        return A11yStatus(session_bus=True, problem="python3-gi is not installed")
    gio_module, glib = gio
    flags = gio_module.DBusConnectionFlags
    try:
        connection = gio_module.DBusConnection.new_for_address_sync(
            address, flags.AUTHENTICATION_CLIENT | flags.MESSAGE_BUS_CONNECTION, None, None
        )
    except glib.Error as error:
        return A11yStatus(session_bus=False, problem=f"session bus unreachable: {error.message}")
    try:
        return _check(connection, glib, switch=switch, address=address)
    finally:
        connection.close_sync(None)


def _call(connection: Any, glib: Any, interface: str, method: str, args: Any, reply: str) -> Any:
    result = connection.call_sync(
        _BUS, _PATH, interface, method, args, glib.VariantType(reply), 0, _TIMEOUT_MS, None
    )
    values = result.unpack()
    return values[0] if values else None


def _check(connection: Any, glib: Any, *, switch: bool, address: str) -> A11yStatus:
    props = "org.freedesktop.DBus.Properties"
    name = glib.Variant("(ss)", ("org.a11y.Status", "IsEnabled"))
    try:
        was = bool(_call(connection, glib, props, "Get", name, "(v)"))
        # Only when switching: asking for the address launches the bus, which then tells X
        # programs where it is (Qt connects to it from then on).
        bus = _call(connection, glib, _BUS, "GetAddress", None, "(s)") if switch else ""
    except glib.Error as error:
        return A11yStatus(
            session_bus=True,
            problem=f"no AT-SPI bus launcher ({error.message}); apt-get install at-spi2-core",
        )
    if not switch or was:
        return A11yStatus(session_bus=True, a11y_bus=bus, was_enabled=was, enabled=was)
    try:
        value = glib.Variant("(ssv)", ("org.a11y.Status", "IsEnabled", glib.Variant("b", True)))
        _call(connection, glib, props, "Set", value, "()")
    except glib.Error as error:
        return A11yStatus(
            session_bus=True,
            a11y_bus=bus,
            was_enabled=False,
            problem=f"cannot set IsEnabled: {error.message}",
        )
    if address not in _announced:
        _announced.add(address)
        log.info(
            "accessibility switched on (org.a11y.Status IsEnabled was false): programs started"
            " from now on expose their widgets; on GNOME this is the lasting setting"
            " org.gnome.desktop.interface toolkit-accessibility"
        )
    return A11yStatus(session_bus=True, a11y_bus=bus, was_enabled=False, enabled=True)

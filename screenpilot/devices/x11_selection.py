"""Text served as the X CLIPBOARD selection from this process, for one paste.

A paste of non-ASCII text needs the text on the clipboard only until the program has fetched
it. Served by xclip, the only sign of that is xclip ending after `-loops N` requests, and
xclip counts every request, a refused one too: Chromium asks for a type xclip does not offer
before it asks for UTF8_STRING, so `-loops 1` ended xclip before the paste and the field
stayed empty; and it asks for TARGETS again right after the text, dropping the paste if the
clipboard has changed owner by then (`QUIET`). Serving the selection here (python-xlib, on a
connection of its own) tells a fetch of the text apart from every other request, so the
paste waits as long as the program takes, and no longer.

`SelectionServer` owns CLIPBOARD on a window of its own and answers requests in a thread:
TARGETS and TIMESTAMP, the text as UTF8_STRING, TEXT and text/plain (with or without a
charset), and STRING where the text fits Latin-1 (the type's own encoding); anything else is
refused. It stops when told, or when another client takes the selection.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from typing import Any

from screenpilot.errors import ScreenpilotError

log = logging.getLogger(__name__)

#: Texts longer than this go through xclip (which speaks INCR, the protocol for large
#: transfers); one property write of this size fits any server's request limit.
MAX_BYTES = 60_000
#: A paste is over once the program has fetched the text and then asked nothing for this
#: long: Chromium asks for TARGETS again just after the text (within ~10 ms here) and drops
#: the paste if the clipboard changed owner meanwhile.
QUIET = 0.05
#: How often the serving thread looks whether it was told to stop.
_POLL = 0.05


class SelectionError(ScreenpilotError):
    """The selection could not be owned."""


class SelectionServer:
    """Serves `data` (UTF-8 text) as CLIPBOARD on display `name` until `stop()`."""

    def __init__(self, name: str | None, data: bytes) -> None:
        if len(data) > MAX_BYTES:
            raise SelectionError(f"{len(data)} bytes is more than one property write takes")
        from Xlib import X, display

        self._data = data
        self._display: Any = display.Display(name)
        self._display.set_error_handler(self._on_error)
        atom = self._display.intern_atom
        self._clipboard = atom("CLIPBOARD")
        self._targets, self._timestamp = atom("TARGETS"), atom("TIMESTAMP")
        self._utf8 = atom("UTF8_STRING")
        self._texts = {
            self._utf8,
            atom("TEXT"),
            atom("text/plain;charset=utf-8"),
            atom("text/plain"),
        }
        self._latin1 = atom("STRING")  # the predefined atom 31
        self._window = self._display.screen().root.create_window(
            0, 0, 1, 1, 0, X.CopyFromParent, event_mask=X.PropertyChangeMask
        )
        self._time = self._server_time()
        self._window.set_selection_owner(self._clipboard, self._time)
        self._display.sync()
        if self._display.get_selection_owner(self._clipboard) != self._window:
            self._display.close()
            raise SelectionError("another client holds the clipboard and would not give it up")
        self._stop = threading.Event()
        self._fetched = threading.Event()
        self._last_request = time.monotonic()
        self.requests: list[str] = []  # the types asked for, in order (for the log and tests)
        self._thread = threading.Thread(target=self._serve, name="clipboard", daemon=True)
        self._thread.start()

    def _server_time(self) -> int:
        """A timestamp of the server's (ICCCM asks owners not to use CurrentTime): the time
        of a property change made for the purpose."""
        from Xlib import X, Xatom

        self._window.change_property(self._timestamp, Xatom.INTEGER, 32, [0], X.PropModeAppend)
        self._display.flush()
        while True:
            ev = self._display.next_event()
            if ev.type == X.PropertyNotify and ev.window == self._window:
                return int(ev.time)

    def _on_error(self, error: Any, request: Any) -> None:
        # A requestor that went away before the answer (BadWindow) is no reason to stop.
        log.debug("X error while serving the clipboard: %s", error)

    def fetched(self, timeout: float, quiet: float = 0.0) -> bool:
        """Wait until a program has fetched the text and then asked nothing for `quiet`
        seconds; False if no program fetched it within `timeout`."""
        if not self._fetched.wait(timeout):
            return False
        while (left := self._last_request + quiet - time.monotonic()) > 0:
            time.sleep(left)
        return True

    def stop(self) -> None:
        """Stop serving; the selection is given up if this process still holds it."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=2)
        try:
            from Xlib import X

            if self._display.get_selection_owner(self._clipboard) == self._window:
                self._window.set_selection_owner(X.NONE, self._time)
            self._window.destroy()
            self._display.close()
        except Exception as error:  # the server went away: nothing is left to give up
            log.debug("closing the clipboard connection: %s", error)

    def _serve(self) -> None:
        from Xlib import X

        display = self._display
        try:
            while not self._stop.is_set():
                if not display.pending_events():
                    select.select([display.fileno()], [], [], _POLL)
                    if not display.pending_events():
                        continue
                ev = display.next_event()
                if ev.type == X.SelectionClear and ev.atom == self._clipboard:
                    return  # someone else owns the clipboard now
                if ev.type == X.SelectionRequest:
                    self._answer(ev)
        except Exception as error:  # the X server went away
            log.debug("the clipboard server stopped: %s", error)

    def _answer(self, request: Any) -> None:
        from Xlib import X, Xatom
        from Xlib.protocol import event

        target, requestor = request.target, request.requestor
        # An old client may name no property: the target is the property then (ICCCM).
        prop = request.property or target
        name = self._display.get_atom_name(target)
        self.requests.append(name)
        self._last_request = time.monotonic()
        given = True
        if request.selection != self._clipboard:
            given = False
        elif target == self._targets:
            offered = [self._targets, self._timestamp, *self._texts]
            if self._latin1_text() is not None:
                offered.append(self._latin1)
            requestor.change_property(prop, Xatom.ATOM, 32, offered)
        elif target == self._timestamp:
            requestor.change_property(prop, Xatom.INTEGER, 32, [self._time])
        elif target in self._texts:
            requestor.change_property(prop, self._utf8, 8, self._data)
        elif target == self._latin1 and (latin1 := self._latin1_text()) is not None:
            requestor.change_property(prop, self._latin1, 8, latin1)
        else:
            given = False
        notify = event.SelectionNotify(
            time=request.time,
            requestor=requestor,
            selection=request.selection,
            target=target,
            property=prop if given else X.NONE,
        )
        requestor.send_event(notify)
        self._display.flush()
        log.debug("clipboard request for %s %s", name, "answered" if given else "refused")
        if given and target not in (self._targets, self._timestamp):
            self._fetched.set()

    def _latin1_text(self) -> bytes | None:
        try:
            return self._data.decode("utf-8").encode("latin-1")
        except UnicodeError:
            return None

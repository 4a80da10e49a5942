"""The clipboard served from this process (`devices.x11_selection`), read by a real client
(xclip) on a real X server."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from screenpilot.devices.virtual_display import XSession
from screenpilot.devices.x11_selection import MAX_BYTES, SelectionError, SelectionServer

TEXT = "Zoë 北京 ;$(x)".encode()


def fetch(xsession: XSession, target: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["xclip", "-selection", "clipboard", "-o", "-t", target],
        capture_output=True, env=xsession.env, timeout=5, check=False,
    )  # fmt: skip


@pytest.fixture
def server(xsession: XSession) -> Iterator[SelectionServer]:
    served = SelectionServer(xsession.display, TEXT)
    yield served
    served.stop()


def test_the_text_is_served_in_every_text_type_and_offered_as_targets(
    server: SelectionServer, xsession: XSession
) -> None:
    targets = fetch(xsession, "TARGETS").stdout.decode().split()
    assert {"UTF8_STRING", "text/plain;charset=utf-8", "TEXT"} <= set(targets)
    assert "STRING" not in targets  # the text does not fit Latin-1
    for target in ("UTF8_STRING", "text/plain;charset=utf-8", "text/plain", "TEXT"):
        assert fetch(xsession, target).stdout == TEXT, target
    assert fetch(xsession, "STRING").returncode != 0


def test_latin1_text_is_offered_as_string_in_its_own_encoding(xsession: XSession) -> None:
    served = SelectionServer(xsession.display, "Zoë".encode())
    try:
        assert "STRING" in fetch(xsession, "TARGETS").stdout.decode().split()
        assert fetch(xsession, "STRING").stdout == "Zoë".encode("latin-1")
    finally:
        served.stop()


def test_only_a_fetch_of_the_text_counts_as_the_paste(
    server: SelectionServer, xsession: XSession
) -> None:
    """Asking what is offered, or for a type that is refused (xclip counted both as a
    paste under -loops), is not the paste."""
    assert fetch(xsession, "TARGETS").returncode == 0
    assert fetch(xsession, "text/html").returncode != 0
    assert not server.fetched(timeout=0.2)
    assert server.requests == ["TARGETS", "text/html"]
    assert fetch(xsession, "UTF8_STRING").stdout == TEXT
    assert server.fetched(timeout=1.0)


def test_the_paste_waits_out_requests_that_follow_the_text(
    server: SelectionServer, xsession: XSession
) -> None:
    """A program that asks again right after the text (Chromium asks for TARGETS) is
    answered before the paste counts as over."""

    def program() -> None:
        fetch(xsession, "UTF8_STRING")
        time.sleep(0.1)
        fetch(xsession, "TARGETS")

    reader = threading.Thread(target=program)
    reader.start()
    assert server.fetched(timeout=2.0, quiet=0.3)
    assert server.requests == ["UTF8_STRING", "TARGETS"]
    reader.join()


def test_stopping_gives_the_clipboard_up(server: SelectionServer, xsession: XSession) -> None:
    server.stop()
    assert fetch(xsession, "UTF8_STRING").returncode != 0


def test_another_owner_takes_over_and_the_server_stops(
    server: SelectionServer, xsession: XSession
) -> None:
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-i", "-loops", "1"],
        input=b"theirs", env=xsession.env, check=True, timeout=5,
    )  # fmt: skip
    assert fetch(xsession, "UTF8_STRING").stdout == b"theirs"
    server._thread.join(timeout=2)
    assert not server._thread.is_alive()


def test_text_too_long_for_one_write_is_refused_with_a_reason(xsession: XSession) -> None:
    with pytest.raises(SelectionError, match="more than one property write"):
        SelectionServer(xsession.display, b"x" * (MAX_BYTES + 1))


def test_a_clipboard_offer_too_long_for_the_server_goes_through_xclip(
    xsession: XSession,
) -> None:
    from screenpilot.devices.x11_clipboard import Clipboard

    long_text = "北" * (MAX_BYTES // 3 + 10)
    clipboard = Clipboard(env=xsession.env)
    try:
        clipboard.offer(long_text.encode())
        assert clipboard._server is None and clipboard._owner is not None
        assert fetch(xsession, "UTF8_STRING").stdout == long_text.encode()
        assert clipboard.taken(timeout=0.5)
    finally:
        clipboard.close()
    assert fetch(xsession, "UTF8_STRING").returncode != 0

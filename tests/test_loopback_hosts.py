"""The loopback Host rule for a console or model server bound to any loopback address:
`serve --host 127.0.0.2` prints http://127.0.0.2:PORT/ and must answer to it, while names
a rebinding page could use stay refused."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from screenpilot.web.security import Guard, host_name, is_loopback_name


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.2:7860", True), ("127.0.0.1", True), ("127.255.3.4:80", True),
        ("localhost:7860", True), ("[::1]:7860", True), ("128.0.0.1", False),
        ("127.0.0.2.nip.io", False), ("127.1", False), ("10.0.0.1:7860", False),
        ("attacker.example", False), (None, False), ("[::ffff:127.0.0.2]", False),
    ],
)  # fmt: skip
def test_every_127_address_and_the_loopback_names_count_as_loopback(
    host: str | None, loopback: bool
) -> None:
    assert is_loopback_name(host_name(host)) is loopback


async def _ok(scope: object, receive: object, send: object) -> None:  # the console stand-in
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


def test_a_console_bound_to_127_0_0_2_answers_its_own_printed_link() -> None:
    guard = Guard(_ok, token=None, loopback=True, max_body=1024)  # type: ignore[arg-type]
    # No `with`: the stand-in has no lifespan to start.
    assert TestClient(guard, base_url="http://127.0.0.2:7860").get("/").status_code == 200
    assert TestClient(guard, base_url="http://rebound.example:7860").get("/").status_code == 403

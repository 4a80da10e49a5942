"""`screenpilot serve` as a user starts it: a real process, a real port, Ctrl+C to stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


def xvfb_children(parent: int) -> set[int]:
    """The Xvfb processes `parent` started (others' on this machine are none of its doing)."""
    found = subprocess.run(
        ["pgrep", "-x", "-P", str(parent), "Xvfb"], capture_output=True, text=True, check=False
    )
    return {int(p) for p in found.stdout.split()}


@pytest.mark.integration
def test_serve_off_loopback_prints_a_token_and_refuses_requests_without_it(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SCREENPILOT_TOKEN")}
    env["PYTHONUNBUFFERED"] = "1"
    server = subprocess.Popen(
        [sys.executable, "-m", "screenpilot", "serve", "--host", "0.0.0.0", "--port", "0",
         "--output", str(tmp_path / "runs")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        said = ""
        while "screenpilot console at" not in said:
            line = server.stdout.readline()
            assert line, f"serve ended early: {said}"
            said += line
        token = re.search(r"requests need the token (\S+)", said)
        link = re.search(r"http://THIS-MACHINE:(\d+)/\?token=(\S+)", said)
        assert token and link and link.group(2) == token.group(1), said
        assert "starting a virtual one" in said  # no display here
        displays = xvfb_children(server.pid)
        assert displays, "no Xvfb of its own"
        url = f"http://127.0.0.1:{link.group(1)}"
        assert httpx.get(url + "/api/history").status_code == 401
        allowed = httpx.get(
            url + "/api/history", headers={"Authorization": f"Bearer {token.group(1)}"}
        )
        assert allowed.status_code == 200 and allowed.json() == []
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=30)
    assert code == 0
    assert not [pid for pid in displays if Path(f"/proc/{pid}").exists()]  # gone with it


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screenpilot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.integration
def test_serve_says_why_it_cannot_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run("serve", "--port", str(port))
    assert busy.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    short = run("serve", "--token", "abc")
    assert short.returncode == 2 and "16 characters" in short.stderr
    unknown = run("serve", "--bogus")
    assert unknown.returncode == 2 and "No such option" in unknown.stderr
    assert "Traceback" not in busy.stderr + short.stderr + unknown.stderr

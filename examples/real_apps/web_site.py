"""A small local web site in Chromium, for the real-program suite.

Usage: python3 web_site.py PAGE [--profile DIR] [--app]

Serves the pages of `site/` on a free loopback port, opens PAGE (e.g. `signup.html`) in
Chromium, and prints one JSON line for everything a page sends back: a form posted to
/submit or an event a page reports to /event (a cookie choice, a closed dialog), e.g.

    {"fields": {"email": "bob@example.org", "name": "Bob Stone"}, "path": "/submit"}

It runs until it is stopped (SIGTERM, Ctrl+C) and then stops Chromium. Chromium is found as
$CHROMIUM (default `chromium`); $CHROMIUM_A11Y_FLAGS (default `--force-renderer-accessibility`)
turns its accessibility tree on, and $CHROMIUM_FLAGS adds anything else. The accessibility
bridge also wants ACCESSIBILITY_ENABLED=1 in the environment, which the suite sets.
Only the standard library is used, so Debian's python3 runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SITE = Path(__file__).resolve().parent / "site"
THANKS = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Saved · Northwind</title>"
    "<link rel=stylesheet href=/style.css><body><main class=card><h1>Thank you!</h1>"
    "<p>We have received your details. Saved.</p></main></body></html>"
).encode()
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript"}


def report(path: str, fields: dict[str, Any]) -> None:
    print(json.dumps({"path": path, "fields": fields}, sort_keys=True, ensure_ascii=False))
    sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = urlsplit(self.path).path.lstrip("/") or "index.html"
        file = (SITE / name).resolve()
        if SITE not in file.parents or not file.is_file():
            self.send_error(404)
            return
        self._send(200, file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
        fields = {k: v[0] if len(v) == 1 else v for k, v in raw.items()}
        path = urlsplit(self.path).path
        report(path, fields)
        if path == "/event":
            self._send(204, b"", "text/plain")
        else:
            self._send(200, THANKS, TYPES[".html"])

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        if code != 204:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if code != 204:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def chromium_argv(url: str, profile: Path, app: bool) -> list[str]:
    a11y = os.environ.get("CHROMIUM_A11Y_FLAGS", "--force-renderer-accessibility")
    return [
        os.environ.get("CHROMIUM", "chromium"),
        *shlex.split(a11y),
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "--disable-gpu",
        "--no-sandbox",  # the suite may run as root in a container
        "--test-type",  # no warning bar about --no-sandbox
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=Translate,MediaRouter",
        "--password-store=basic",
        "--window-position=80,40",
        "--window-size=1400,980",
        *shlex.split(os.environ.get("CHROMIUM_FLAGS", "")),
        f"--app={url}" if app else url,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("--profile", type=Path, help="Chromium profile (default: temporary)")
    parser.add_argument("--app", action="store_true", help="an app window, no address bar")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{args.page}"
    with tempfile.TemporaryDirectory() as spare:
        profile = args.profile or Path(spare)
        browser = subprocess.Popen(
            chromium_argv(url, profile, args.app),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stopped = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopped.set())
        while not stopped.is_set() and browser.poll() is None:
            stopped.wait(0.2)
        if browser.poll() is None:
            browser.terminate()
            try:
                browser.wait(timeout=5)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()

"""Receives the HTML form's submission on loopback and writes it as JSON.

Usage: python form_receiver.py OUTPUT.json [PORT]   (PORT 0 picks a free one and prints it)
Also usable in-process: `FormReceiver(path)` serves on 127.0.0.1 in a thread until `close()`.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs


class FormReceiver:
    """A loopback HTTP server that stores the last form POSTed to /submit."""

    def __init__(self, output: Path, port: int = 0) -> None:
        out = Path(output)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                fields = parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
                data = {
                    "name": fields.get("name", [""])[0],
                    "email": fields.get("email", [""])[0],
                    "subscribe": "subscribe" in fields,
                }
                out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
                body = b"<!doctype html><title>HTML form</title><h1>Saved</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/submit"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    receiver = FormReceiver(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else 0)
    print(receiver.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        receiver.close()

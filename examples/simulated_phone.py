"""Serve the project's simulated Android phone behind an adb server on loopback, so the phone
examples run without a phone.

Usage: python examples/simulated_phone.py [--port 5038]
Then, in another shell:  export ANDROID_ADB_SERVER_PORT=5038   (the adb tool reads it too)
and run `screenpilot devices`, `screenpilot script examples/tasks/phone_login.yaml --device
android`, or the console. Ctrl+C stops it.
"""

from __future__ import annotations

import argparse
import threading

from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5038, help="adb server port (not 5037)")
    args = parser.parse_args()
    phone = SimulatedPhone()
    with FakeAdbServer([phone], port=args.port) as server:
        print(f"simulated phone {phone.serial} at adb server 127.0.0.1:{server.port}")
        print(f"export ANDROID_ADB_SERVER_PORT={server.port}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print(f"\nstopped; the phone ended logged in as {phone.logged_in_as!r}")


if __name__ == "__main__":
    main()

"""AT-SPI reads of a 1,000-widget GTK window: uncached (every property asked every read, as
before issue 17) against the cached reader, first read and later ones.

Run: .venv/bin/python bench/atspi_read.py [--widgets 1000] [--runs 7]
Starts its own Xvfb (+ openbox and a D-Bus session bus) and tests/apps/gtk_many.py (Debian's
python3 with python3-gi): labels, entries, check buttons and buttons in a grid, all on the
screen. Prints median milliseconds (and the range) of:
- the first read (each reader's first: the cached one registers its event listener);
- later reads with nothing changed;
- a read right after an entry is filled, a check button toggled, and a label's text changed
  so that its grid column widens (every widget right of it moves: every box is asked again);
- arrange() (what Desktop.elements adds: active window, modal dialogs, numbering).
`asked` is how many accessibles a read asked its application about (the rest came from the
cache). Reads alternate between the two readers so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenpilot.devices import a11y_bus  # noqa: E402
from screenpilot.devices.a11y_windows import TreeRead, arrange  # noqa: E402
from screenpilot.devices.atspi import AccessibilityReader, load_pyatspi  # noqa: E402
from screenpilot.devices.virtual_display import pointed_at, x_session  # noqa: E402

MANY = ROOT / "tests" / "apps" / "gtk_many.py"


class App:
    def __init__(self, env: dict[str, str], widgets: int) -> None:
        self.process = subprocess.Popen(
            ["/usr/bin/python3", str(MANY), str(widgets)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._answer() != "ready":
            sys.exit("the GTK window did not come up")

    def _answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def change(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        if self._answer() != "ok":
            sys.exit(f"the GTK window did not do {command!r}")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def timed(read: Callable[[], TreeRead]) -> tuple[float, TreeRead]:
    start = time.perf_counter()
    result = read()
    return (time.perf_counter() - start) * 1000, result


def spread(samples: list[float]) -> str:
    return f"{statistics.median(samples):7.1f} ({min(samples):.0f}-{max(samples):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widgets", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with x_session() as session, pointed_at(session):
        a11y_bus.switch_on()
        app = App(session.env, args.widgets)
        pyatspi = load_pyatspi()
        if pyatspi is None:
            sys.exit("pyatspi is missing: apt-get install python3-pyatspi")
        readers = {
            "uncached": AccessibilityReader(pyatspi, cache=False),
            "cached": AccessibilityReader(pyatspi),
        }
        rows: dict[str, dict[str, list[float]]] = {name: {} for name in readers}
        asked: dict[str, dict[str, list[int]]] = {name: {} for name in readers}
        shown: dict[str, int] = {}

        def sample(case: str) -> None:
            for name, reader in readers.items():
                ms, read = timed(reader.read)
                rows[name].setdefault(case, []).append(ms)
                asked[name].setdefault(case, []).append(read.asked)
                shown[name] = len(read.elements)

        sample("first read")
        for _ in range(args.runs):
            sample("later read, nothing changed")
        for i in range(args.runs):
            app.change(f"fill {i} text {i}")
            sample("after an entry is filled")
            app.change(f"toggle {i}")
            sample("after a check button is toggled")
            app.change(f"label 0 {'a longer label ' * (1 + i % 2)}")
            sample("after a label widens its column")
        read = readers["cached"].read()
        arrange_ms = [
            timed(lambda: TreeRead(read.windows, tuple(arrange(read))))[0] for _ in range(5)
        ]
        app.close()
    print(
        f"{args.widgets} widgets ({shown['cached']} elements), median of {args.runs}"
        " ms (min-max), accessibles asked"
    )
    print(f"{'':34} {'uncached':>22} {'cached':>22}")
    for case in rows["cached"]:
        cells = [
            f"{spread(rows[name][case])} {statistics.median(asked[name][case]):5.0f}"
            for name in readers
        ]
        print(f"{case:34} {cells[0]:>22} {cells[1]:>22}")
    print(f"{'arrange() of the read':34} {spread(arrange_ms):>22}")


if __name__ == "__main__":
    main()

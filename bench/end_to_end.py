"""A verified run against a blind script, as whole processes, on one virtual display.

Run: .venv/bin/python bench/end_to_end.py [--runs 5] [--only gtk,tk,web] [--json OUT]

Three programs, each started fresh before every run (its start-up is outside both timings):
(a) a real 5-entry GTK dialog (yad) with its accessibility tree, (b) the demo's Tk form with 6
fields, a checkbox and a button (8 steps, OCR only) and (c) a sign-up page in Chromium. For
each, a blind xdotool script (its coordinates taken once beforehand, as a script author would
hard-code them) and `screenpilot run "<instruction>" --yes` fill the same form; both are
timed from process start to process end, interleaved run by run, and each run is checked by
what the program itself printed or saved. Prints the median seconds, their spread and the
ratio; then one more `screenpilot run` per program under cProfile, split into start-up
(imports, set-up), capture, accessibility reads, OCR, grounding, input, settle waits,
verification and recording (trajectory and report).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from screenpilot.demo_form import TK_FORM  # noqa: E402
from screenpilot.devices.virtual_display import XSession, pointed_at, x_session  # noqa: E402

PYTHON = sys.executable


@dataclass
class Case:
    """One program: how to start it, what to fill, how to tell it worked."""

    name: str
    start: Callable[[XSession, Path], subprocess.Popen[bytes]]
    window: str
    instruction: str
    #: (role, name) of each thing a blind script clicks, and what it types there ("" none).
    script: list[tuple[str, str, str]]
    check: Callable[[Path], bool]
    ocr_only: bool = False
    env: dict[str, str] = field(default_factory=dict)


GTK_FIELDS = [
    ("Name", "Ada Lovelace"),
    ("Email", "ada@example.org"),
    ("City", "London"),
    ("Phone", "555 0100"),
    ("Company", "Engines Ltd"),
]


def start_yad(xs: XSession, folder: Path) -> subprocess.Popen[bytes]:
    fields = " ".join(f"--field={name}" for name, _ in GTK_FIELDS)
    script = folder / "yad.sh"
    script.write_text(f'exec yad --title="New contact" --form {fields} > "{folder}/out.txt"\n')
    return xs.start(["sh", str(script)])


def yad_done(folder: Path) -> bool:
    out = folder / "out.txt"
    return out.exists() and out.read_text() == "|".join(v for _, v in GTK_FIELDS) + "|\n"


TK_FIELDS = [
    ("Name", "Ada Lovelace"),
    ("Email", "ada@example.org"),
    ("City", "London"),
    ("Phone", "555 0100"),
    ("Company", "Engines"),
    ("Country", "England"),
]


def start_tk(xs: XSession, folder: Path) -> subprocess.Popen[bytes]:
    labels = [name for name, _ in TK_FIELDS]
    return xs.start(["/usr/bin/python3", str(TK_FORM), str(folder / "tk.json"), *labels])


def tk_done(folder: Path) -> bool:
    out = folder / "tk.json"
    if not out.exists():
        return False
    saved = json.loads(out.read_text())
    wanted = {name.lower(): value for name, value in TK_FIELDS}
    return saved == {**wanted, "subscribe": True}


def start_web(xs: XSession, folder: Path) -> subprocess.Popen[bytes]:
    script = folder / "web.sh"
    site = REPO / "examples" / "real_apps" / "web_site.py"
    script.write_text(
        f'exec python3 "{site}" signup.html --profile "{folder}/chrome" > "{folder}/web.txt"\n'
    )
    return xs.start(
        ["sh", str(script)],
        ACCESSIBILITY_ENABLED="1",
        CHROMIUM_A11Y_FLAGS="--force-renderer-accessibility",
    )


def web_done(folder: Path) -> bool:
    out = folder / "web.txt"
    return out.exists() and '"email": "bob@example.org", "name": "Bob Stone"' in out.read_text()


CASES = {
    "gtk": Case(
        "GTK dialog (yad, 5 entries, accessibility)",
        start_yad,
        "New contact",
        ", ".join(f"type '{v}' into the {n} field" for n, v in GTK_FIELDS) + ", then click OK",
        [("entry", n, v) for n, v in GTK_FIELDS] + [("button", "OK", "")],
        yad_done,
    ),
    "tk": Case(
        "Tk form (6 fields + checkbox + button, OCR only)",
        start_tk,
        "Tk form",
        ", ".join(f"type '{v}' into the {n} field" for n, v in TK_FIELDS)
        + ", check Subscribe, then click Submit",
        [("entry", n, v) for n, v in TK_FIELDS]
        + [("checkbox", "Subscribe", ""), ("button", "Submit", "")],
        tk_done,
        ocr_only=True,
    ),
    "web": Case(
        "Chromium sign-up page (accessibility)",
        start_web,
        "Create your account",
        "type Bob Stone into Full name, type bob@example.org into Email address, "
        "then click Create account",
        [
            ("entry", "Full name", "Bob Stone"),
            ("entry", "Email address", "bob@example.org"),
            ("button", "Create account", ""),
        ],
        web_done,
    ),
}


def wait_for(window: str, env: dict[str, str], timeout: float = 60.0) -> None:
    from screenpilot.devices.virtual_display import wait_for_window

    wait_for_window(window, env=env, timeout=timeout)
    from tests.desktop_apps import wait_for_a_still_screen

    wait_for_a_still_screen(timeout=10)


def blind_script(case: Case, xs: XSession, folder: Path) -> Path:
    """The xdotool script a person would write once: coordinates found now, then fixed."""
    from screenpilot.devices.desktop import Desktop
    from screenpilot.perception.grounding import Found, ground
    from screenpilot.perception.ocr import RapidOcr, ScreenReader

    with Desktop(accessibility=not case.ocr_only) as desktop:
        shot = desktop.screenshot()
        if case.ocr_only:
            elements = ScreenReader(RapidOcr()).elements(shot.pixels, shot.geometry)
        else:
            elements = desktop.elements()
    lines = ["set -e"]
    for role, name, text in case.script:
        words = f"the {name} field" if role == "entry" else name
        intent = {"entry": "type", "checkbox": "check"}.get(role, "click")
        found = ground(words, elements, intent=intent)  # type: ignore[arg-type]
        if not isinstance(found, Found):
            raise SystemExit(f"{case.name}: cannot find {words!r} to write the blind script")
        x, y = int(found.point.x), int(found.point.y)
        lines.append(f"xdotool mousemove {x} {y} click 1")
        if text:
            lines.append(f"xdotool type --delay 0 '{text}'")
    path = folder / "blind.sh"
    path.write_text("\n".join(lines) + "\n")
    return path


def timed(
    argv: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    return time.perf_counter() - start, done


def screenpilot_argv(case: Case, folder: Path, *extra: str) -> list[str]:
    return [
        PYTHON,
        *extra,
        "-m",
        "screenpilot",
        "run",
        case.instruction,
        "--yes",
        "-o",
        str(folder / "runs"),
    ]


def run_case(case: Case, xs: XSession, runs: int, work: Path) -> dict[str, object]:
    env = {**os.environ, **xs.env, **case.env}
    times: dict[str, list[float]] = {"blind": [], "screenpilot": []}
    script: Path | None = None
    for i in range(runs):
        for kind in ("blind", "screenpilot"):
            folder = work / f"{case.name[:3]}-{kind}-{i}"
            folder.mkdir(parents=True)
            app = case.start(xs, folder)
            try:
                wait_for(case.window, env)
                if script is None:
                    script = blind_script(case, xs, work)
                argv = ["sh", str(script)] if kind == "blind" else screenpilot_argv(case, folder)
                seconds, done = timed(argv, env, folder)
                time.sleep(0.5)  # the program writes what it got
                if not case.check(folder):
                    raise SystemExit(
                        f"{case.name}: the {kind} run did not fill the form\n"
                        f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                    )
                times[kind].append(seconds)
            finally:
                xs.stop(app)
    blind, ours = (statistics.median(times[k]) for k in ("blind", "screenpilot"))
    return {
        "case": case.name,
        "blind_s": round(blind, 3),
        "screenpilot_s": round(ours, 3),
        "ratio": round(ours / blind, 2),
        "blind_spread": [round(min(times["blind"]), 3), round(max(times["blind"]), 3)],
        "screenpilot_spread": [
            round(min(times["screenpilot"]), 3),
            round(max(times["screenpilot"]), 3),
        ],
        "breakdown": profile(case, xs, work),
    }


#: Where a profiled run's time goes: (part, functions whose cumulative time is that part).
PARTS = [
    ("capture", ("screenpilot/devices/desktop.py:screenshot",)),
    ("accessibility", ("screenpilot/devices/desktop.py:elements",)),
    (
        "ocr",
        ("screenpilot/perception/ocr.py:elements", "screenpilot/perception/ocr.py:read_region"),
    ),
    ("grounding", ("screenpilot/perception/grounding.py:ground",)),
    ("input", ("screenpilot/actions/executor.py:_act",)),
    ("settle", ("screenpilot/actions/executor.py:_settle",)),
    ("verify", ("screenpilot/actions/executor.py:_verify",)),
    (
        "record",
        (
            "screenpilot/agent/observers.py:after_action",
            "screenpilot/agent/observers.py:ended",
            "screenpilot/agent/observers.py:started",
        ),
    ),
    ("run", ("screenpilot/agent/loop.py:run",)),
]


def profile(case: Case, xs: XSession, work: Path) -> dict[str, float]:
    """One more screenpilot run under cProfile, its time split into parts (seconds)."""
    folder = work / f"{case.name[:3]}-profile"
    folder.mkdir()
    env = {**os.environ, **xs.env, **case.env}
    app = case.start(xs, folder)
    try:
        wait_for(case.window, env)
        out = folder / "run.prof"
        seconds, _ = timed(
            screenpilot_argv(case, folder, "-m", "cProfile", "-o", str(out)), env, folder
        )
    finally:
        xs.stop(app)
    stats = pstats.Stats(str(out))
    cumulative: dict[str, float] = {}
    for (file, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        key = f"{file.split('/work/main/')[-1].split(str(REPO) + '/')[-1]}:{function}"
        cumulative[key] = max(cumulative.get(key, 0.0), row[3])
    parts = {"whole process (profiled)": round(seconds, 3)}
    for part, functions in PARTS:
        parts[part] = round(
            sum(v for k, v in cumulative.items() if any(k.endswith(f) for f in functions)), 3
        )
    parts["outside the run (start-up, report, exit)"] = round(seconds - parts["run"], 3)
    if os.environ.get("BENCH_PROFILE_TOP"):
        stats.sort_stats("cumulative").print_stats(int(os.environ["BENCH_PROFILE_TOP"]))
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="gtk,tk,web")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    chosen = [CASES[name] for name in args.only.split(",")]
    results = []
    with x_session() as xs, pointed_at(xs), tempfile.TemporaryDirectory() as tmp:
        for case in chosen:
            result = run_case(case, xs, args.runs, Path(tmp))
            results.append(result)
            print(json.dumps(result, indent=1), flush=True)
    print("\n| program | blind script (s) | screenpilot run (s) | ratio |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['case']} | {r['blind_s']} | {r['screenpilot_s']} | {r['ratio']}x |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

"""OCR at 1920x1080 and at 3840x2160 (100% and 200% scale): what is read, and what it costs.

Run: .venv/bin/python bench/ocr_scale.py [--runs 5] [--steps 10]
Frames are a contact form drawn with PIL (tests/rendered_form.py: 7 labels of 13-16 px at
100%). "before" is the engine as it was until issue 17: rapidocr's own pipeline on the whole
picture (it shrinks a picture past 2048 px); "now" is `RapidOcr`, which reads a picture past
that limit tile by tile at its own resolution (`perception.ocr_tiles`) and the rest as
before. Both are read incrementally by `ScreenReader` (changed regions cropped).

1. `RapidOcr()` made in a fresh process (before: rapidocr's engine made at once; now: the
   models wait for the first read, which is timed too). Medians of `--runs` processes.
2. Per screen: the labels a full read finds, and "the Email field" grounded over `--steps`
   frames, each with one more letter in it, by one reader reading incrementally.
3. Cost, the screens interleaved round by round: a full read (a fresh reader), and
   incremental OCR per step (`ScreenReader.lines` on the next frame), medians and p90, and
   each 4K screen's ratio to 1080p. "ground" is the whole grounding of a step (elements,
   drawn controls included, and `ground`).
4. Incremental == full: over the form filled in and a dialog shown and gone, the frames on
   which the incremental lines equal a fresh full read's (texts and boxes).
5. Peak memory (VmHWM) of a fresh process grounding a playground-size picture by OCR, as
   the console's playground does (`ground_picture`), before and now.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import OcrLine, RapidOcr, ScreenReader
from tests.rendered_form import LABELS, filling_in, form, typing_email

ROOT = Path(__file__).resolve().parent.parent
SCREENS = {
    "1920x1080": (1920, 1080, 1.0),
    "3840x2160 100%": (3840, 2160, 1.0),
    "3840x2160 200%": (3840, 2160, 2.0),
}
#: rapidocr's settings as `RapidOcr` made them until issue 17.
BEFORE_SETTINGS = {
    "Global.log_level": "warning",
    "Global.use_cls": False,
    "Det.limit_type": "max",
    "Det.limit_side_len": 2048,
}


class WholePicture(RapidOcr):
    """The engine before issue 17: rapidocr's own pipeline on the whole picture it is
    handed, however large (`RapidOcr.read_whole`)."""

    def read(self, pixels: np.ndarray) -> list[OcrLine]:
        return self.read_whole(pixels)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = work()
    return time.perf_counter() - start, out


def summary(values: list[float]) -> str:
    p90 = sorted(values)[min(len(values) - 1, int(0.9 * len(values)))]
    return f"{statistics.median(values) * 1000:8.0f} {p90 * 1000:7.0f}"


# ---------------------------------------------------------------- 1. making the engine

CONSTRUCT_BEFORE = """
import time; t = time.perf_counter()
from rapidocr import RapidOCR
RapidOCR(params=SETTINGS)
print(time.perf_counter() - t, 0.0)
""".replace("SETTINGS", repr(BEFORE_SETTINGS))

CONSTRUCT_NOW = """
import time; t = time.perf_counter()
import numpy as np
from screenpilot.perception.ocr import RapidOcr
engine = RapidOcr()
made = time.perf_counter() - t
frame = np.full((120, 320, 3), 236, np.uint8); frame[50:62, 40:120] = 30
t = time.perf_counter(); engine.read(frame)
print(made, time.perf_counter() - t)
"""


def construction(runs: int) -> None:
    print("\n1. RapidOcr() in a fresh process (imports included), median of", runs)
    for name, code in (
        ("before: engine made at once", CONSTRUCT_BEFORE),
        ("now: RapidOcr()", CONSTRUCT_NOW),
    ):
        made, first = [], []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.split()
            made.append(float(out[-2]))
            first.append(float(out[-1]))
        line = f"  {name:32} {statistics.median(made) * 1000:7.0f} ms"
        if max(first) > 0:
            line += f"; its first read (loads the models) {statistics.median(first) * 1000:.0f} ms"
        print(line)


# ------------------------------------------------------- 2. labels read, field grounded


def reading(engines: dict[str, Any], steps: int) -> None:
    print(
        f"\n2. labels read by a full read (of {len(LABELS)}); 'the Email field' found over "
        f"{steps} frames typed into, by incremental reads"
    )
    for screen, (w, h, s) in SCREENS.items():
        geometry = ScreenGeometry.for_screen(w, h)
        for name, engine in engines.items():
            texts = {ln.text for ln in ScreenReader(engine).lines(form(w, h, s).frame)}
            reader, found = ScreenReader(engine), 0
            for shown in typing_email(w, h, s, steps)[1:]:
                answer = ground("the Email field", reader.elements(shown.frame, geometry))
                found += isinstance(answer, Found)
            read = sum(label in texts for label in LABELS)
            print(f"  {screen:16} {name:7} labels {read}/{len(LABELS)}  field {found}/{steps}")


# ------------------------------------------------------------------------------- 3. cost


def cost(engines: dict[str, Any], runs: int, steps: int) -> None:
    print(
        f"\n3. cost, screens interleaved; full reads: median of {runs}, incremental: {steps} steps"
    )
    for name, engine in engines.items():
        frames = {k: typing_email(w, h, s, steps) for k, (w, h, s) in SCREENS.items()}
        full: dict[str, list[float]] = {k: [] for k in SCREENS}
        step: dict[str, list[float]] = {k: [] for k in SCREENS}
        grounding: dict[str, list[float]] = {k: [] for k in SCREENS}
        lines = {k: ScreenReader(engine) for k in SCREENS}
        grounds = {k: ScreenReader(engine) for k in SCREENS}
        for k in SCREENS:
            lines[k].lines(frames[k][0].frame)
            grounds[k].elements(frames[k][0].frame, ScreenGeometry.for_screen(*SCREENS[k][:2]))
        for n in range(1, steps + 1):
            for k, (w, h, _) in SCREENS.items():
                frame, geometry = frames[k][n].frame, ScreenGeometry.for_screen(w, h)
                if n <= runs:
                    full[k].append(timed(partial(ScreenReader(engine).lines, frame))[0])
                step[k].append(timed(partial(lines[k].lines, frame))[0])
                grounding[k].append(timed(partial(_ground_email, grounds[k], frame, geometry))[0])
        print(f"  {name:7} {'screen':16} {'':14} {'median ms':>9} {'p90':>7} {'x 1080p':>8}")
        for label, samples in (("full read", full), ("incremental", step), ("ground", grounding)):
            base = statistics.median(samples["1920x1080"])
            for k in SCREENS:
                ratio = statistics.median(samples[k]) / base
                print(f"  {'':7} {k:16} {label:14} {summary(samples[k])} {ratio:7.2f}x")


def _ground_email(reader: ScreenReader, frame: np.ndarray, geometry: ScreenGeometry) -> Any:
    return ground("the Email field", reader.elements(frame, geometry))


# ----------------------------------------------------------------- 4. incremental == full


def agreement(engines: dict[str, Any]) -> None:
    print("\n4. incremental lines equal to a fresh full read (same texts; boxes within 3 px)")
    for name, engine in engines.items():
        for screen, (w, h, s) in SCREENS.items():
            shots = filling_in(w, h, s)
            reader = ScreenReader(engine)
            reader.lines(shots[0].frame)
            same, missing = 0, set()
            for shown in shots[1:]:
                mine = reader.lines(shown.frame)
                fresh = ScreenReader(engine).lines(shown.frame)
                same += _same(mine, fresh)
                missing |= shown.texts - {ln.text for ln in mine}
            print(
                f"  {name:7} {screen:16} {same}/{len(shots) - 1} frames; known text not read "
                f"incrementally: {sorted(missing) or 'none'}"
            )


def _same(a: list[OcrLine], b: list[OcrLine]) -> bool:
    if sorted(ln.text for ln in a) != sorted(ln.text for ln in b):
        return False
    for line in a:
        near = [o for o in b if o.text == line.text]
        if not any(_close(line, o) for o in near):
            return False
    return True


def _close(a: OcrLine, b: OcrLine, px: int = 3) -> bool:
    x, y = a.box, b.box
    return all(
        abs(p - q) <= px
        for p, q in (
            (x.left, y.left),
            (x.top, y.top),
            (x.left + x.width, y.left + y.width),
            (x.top + x.height, y.top + y.height),
        )
    )


# --------------------------------------------------------------------------- 5. memory

PEAK = """
import io, json, sys, time
from PIL import Image
sys.path.insert(0, ROOT)
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
kind, engine_name = sys.argv[1], sys.argv[2]
data = io.BytesIO()
if kind == "blank":
    Image.new("1", (8192, 4800)).save(data, "PNG")
elif kind == "noise":
    Image.effect_noise((400, 300), 40).resize((4000, 3000)).convert("RGB").save(data, "JPEG")
else:
    from tests.rendered_form import form
    Image.fromarray(form(3840, 2160, 1.0, {"Email": "ada@example.org"}).frame).save(data, "PNG")
from screenpilot.agent.picture_grounding import ground_picture
if engine_name == "before":
    sys.path.insert(0, BENCH)
    from ocr_scale import WholePicture
    engine = WholePicture()
else:
    from screenpilot.perception.ocr import RapidOcr
    engine = RapidOcr()
picture = Image.open(io.BytesIO(data.getvalue()))
picture.load()
base = hwm()
t = time.perf_counter()
result = ground_picture(picture, "the Email field", ocr=engine)
print(json.dumps({"base": base, "peak": hwm(), "seconds": time.perf_counter() - t,
                  "status": result.status}))
""".replace("ROOT", repr(str(ROOT))).replace("BENCH", repr(str(ROOT / "bench")))

PICTURES = {
    "blank": "8192x4800 blank PNG",
    "noise": "4000x3000 noise JPEG",
    "form": "3840x2160 form PNG",
}


def memory() -> None:
    print("\n5. playground-size pictures grounded by OCR in a fresh process: peak RSS (VmHWM)")
    print(f"  {'picture':22} {'engine':7} {'decoded MB':>10} {'peak MB':>8} {'s':>6}  answer")
    for kind, title in PICTURES.items():
        for name in ("before", "now"):
            out = subprocess.run(
                [sys.executable, "-c", PEAK, kind, name],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()[-1]
            got = json.loads(out)
            print(
                f"  {title:22} {name:7} {got['base']:10.0f} {got['peak']:8.0f} "
                f"{got['seconds']:6.1f}  {got['status']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--skip-before", action="store_true", help="measure the engine now only")
    args = parser.parse_args()
    engines: dict[str, Any] = {"now": RapidOcr()}
    if not args.skip_before:
        engines = {"before": WholePicture(), **engines}
    construction(args.runs)
    reading(engines, args.steps)
    cost(engines, args.runs, args.steps)
    agreement(engines)
    memory()


if __name__ == "__main__":
    main()

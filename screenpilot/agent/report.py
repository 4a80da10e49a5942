"""A self-contained HTML report of a run, built from its trajectory (so it can always be
rebuilt, even after the run was killed).

Each step shows its screenshot with the grounded box and the click point drawn, the thought,
the action, the verdict and timings; a summary heads the page. Images are embedded, so the
file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from screenpilot.agent.trajectory import read_trajectory

WIDTH = 900


def _picture(folder: Path, record: dict[str, Any], key: str = "screenshot") -> str:
    from PIL import Image, ImageDraw

    name = record.get(key)
    if not name or not (folder / name).exists():
        return "<p class=missing>(no screenshot)</p>"
    try:
        image = Image.open(folder / name).convert("RGB")
    except OSError:
        return "<p class=missing>(screenshot unreadable)</p>"
    draw = ImageDraw.Draw(image)
    geometry = record.get("geometry") or {}
    screen = geometry.get("screen") or {"left": 0, "top": 0}
    sx = image.width / max(1, (geometry.get("screen") or {}).get("width", image.width))
    sy = image.height / max(1, (geometry.get("screen") or {}).get("height", image.height))

    def px(x: float, y: float) -> tuple[float, float]:
        return ((x - screen["left"]) * sx, (y - screen["top"]) * sy)

    box = record.get("box") if key == "screenshot" else None
    if box:
        draw.rectangle(
            (*px(box["x1"], box["y1"]), *px(box["x2"], box["y2"])), outline=(255, 40, 40), width=4
        )
    point = record.get("point") if key == "screenshot" else None
    if point:
        x, y = px(point["x"], point["y"])
        draw.ellipse((x - 9, y - 9, x + 9, y + 9), outline=(255, 200, 0), width=4)
    image.thumbnail((WIDTH, WIDTH * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img src="data:image/jpeg;base64,{data}" alt="step screenshot">'


def build_report(folder: Path) -> Path:
    """Write `report.html` into a run folder from its trajectory; returns its path."""
    records = read_trajectory(folder)
    start = next((r for r in records if r["kind"] == "start"), {})
    end = next((r for r in records if r["kind"] == "end"), None)
    steps = [r for r in records if r["kind"] == "step"]
    e = html.escape
    status = (
        f"{end.get('status')} - {end.get('message', '')}"
        if end
        else "unfinished (the run was stopped)"
    )
    rows = []
    for step in steps:
        ok = step.get("ok")
        verdict = "ok" if ok else ("planned (dry run)" if ok is None else "FAILED")
        confidence = step.get("confidence")
        action = e(json.dumps(step.get("action"), ensure_ascii=False))
        before, after = _picture(folder, step), _picture(folder, step, "after")
        rows.append(
            f"<section class={'ok' if ok else 'bad'}><h2>Step {step.get('index')}: "
            f"{e(step.get('summary', ''))}</h2>"
            f"<div class=pics><figure>{before}<figcaption>before</figcaption></figure>"
            f"<figure>{after}<figcaption>after</figcaption></figure></div><dl>"
            f"<dt>thought</dt><dd>{e(step.get('thought') or '-')}</dd>"
            f"<dt>action</dt><dd><code>{action}</code></dd>"
            f"<dt>expected</dt><dd>{e(step.get('expect') or '-')}</dd>"
            f"<dt>grounding</dt><dd>{e(str(step.get('grounding') or '-'))}"
            f"{'' if confidence is None else f', confidence {confidence:.2f}'}</dd>"
            f"<dt>verdict</dt><dd>{verdict}: {e(step.get('reason', ''))}</dd>"
            f"<dt>safety</dt><dd>{e(step.get('safety', 'allow'))}</dd>"
            f"<dt>time</dt><dd>{step.get('seconds', 0):.2f} s</dd></dl></section>"
        )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>screenpilot run: {e(start.get("instruction", ""))}</title>
<style>body{{font:15px sans-serif;margin:24px;max-width:1000px}}
section{{border:1px solid #ccc;margin:16px 0;padding:12px}}section.bad{{border-color:#c33}}
img{{max-width:100%}}dt{{font-weight:bold}}dd{{margin:0 0 6px 0}}
.pics{{display:flex;gap:8px}}figure{{margin:0;flex:1}}
.summary td{{padding:2px 12px 2px 0}}</style></head><body>
<h1>{e(start.get("instruction", "(no instruction)"))}</h1>
<table class=summary><tr><td>status</td><td>{e(status)}</td></tr>
<tr><td>policy</td><td>{e(str(start.get("policy", "")))}</td></tr>
<tr><td>device</td><td>{e(str(start.get("device", "")))}</td></tr>
<tr><td>steps</td><td>{len(steps)} ({sum(1 for s in steps if s.get("ok"))} verified)</td></tr>
<tr><td>model calls</td><td>{end.get("model_calls", "?") if end else "?"}</td></tr>
<tr><td>duration</td><td>{end.get("seconds", 0) if end else 0:.1f} s</td></tr></table>
{"".join(rows)}</body></html>"""
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path

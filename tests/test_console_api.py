"""The web console's JSON API, served for real by uvicorn on loopback, driving the Tk form on
the test desktop: live events, confirming and refusing, stopping, the playground's upload
checks, the token and the other request guards."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont

from screenpilot.devices.virtual_display import XSession
from screenpilot.web.console import create_app
from screenpilot.web.runner import Runner
from screenpilot.web.serving import BackgroundServer
from tests.desktop_apps import start_tk_form

TOKEN = "t0ken-for-the-console-tests"


@pytest.fixture
def console(tmp_path: Path) -> Iterator[httpx.Client]:
    """A console on loopback with no token, recording runs in tmp_path/runs."""
    runner = Runner(tmp_path / "runs", confirm_timeout=30)
    with BackgroundServer(create_app(runner)) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def events(client: httpx.Client, run_id: str, until: str = "end") -> Iterator[dict[str, Any]]:
    """The run's server-sent events, parsed, up to and including the first `until` event."""
    with client.stream("GET", f"/api/runs/{run_id}/events", timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                if not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
                continue
            if "event" in fields:
                event = {"id": int(fields["id"]), "kind": fields["event"]}
                event.update(json.loads(fields["data"]))
                yield event
                if event["kind"] == until:
                    return
            fields = {}


def test_a_run_streams_verified_steps_with_screenshots_and_boxes(
    xsession: XSession, tk_form: Path, console: httpx.Client
) -> None:
    started = console.post(
        "/api/runs",
        json={"instruction": "type bob@example.org into the Email field, click Submit"},
    )
    assert started.status_code == 202, started.text
    run = started.json()
    seen = list(events(console, run["id"]))
    steps = [e for e in seen if e["kind"] == "step"]
    assert [s["summary"] for s in steps] == [
        "type 'bob@example.org' into the Email field",
        "click Submit",
    ]
    assert all(s["ok"] for s in steps)
    for step in steps:
        box = step["box_fraction"]
        assert 0 < box["left"] < 1 and 0 < box["top"] < 1 and 0 < box["width"] < 0.5
        shot = console.get(step["screenshot_url"])
        assert shot.status_code == 200 and shot.content.startswith(b"\x89PNG")
    ended = seen[-1]
    assert ended["kind"] == "end" and ended["status"] == "success", ended
    assert json.loads(tk_form.read_text(encoding="utf-8"))["email"] == "bob@example.org"

    # The run is on disk now: listed with its report, which is served.
    listed = console.get("/api/history").json()
    assert listed[0]["status"] == "success" and listed[0]["steps"] == 2
    report = console.get(listed[0]["report"])
    assert report.status_code == 200 and "bob@example.org" in report.text
    # A viewer that comes late still gets the whole run, from its first event.
    again = list(events(console, run["id"]))
    assert [e["kind"] for e in again] == [e["kind"] for e in seen]
    assert console.get(f"/api/runs/{run['id']}").json()["status"] == "success"


def test_a_risky_action_waits_for_a_person_and_a_refusal_ends_the_run(
    xsession: XSession, tmp_path: Path, console: httpx.Client
) -> None:
    saved = tmp_path / "order.json"
    form = start_tk_form(xsession, saved, "Name", "Order")
    try:
        run = console.post(
            "/api/runs",
            json={
                # Typing into a field is not asked about; clicking words that say "order"
                # is (the Order field's label, read by OCR as text).
                "instruction": "type Ann into the Name field, click Order, click Submit"
            },
        ).json()
        stream = events(console, run["id"], until="confirm")
        asked = list(stream)[-1]
        assert asked["kind"] == "confirm"
        assert asked["action"]["type"] == "click" and "order" in asked["reason"]
        state = console.get(f"/api/runs/{run['id']}").json()
        assert state["status"] == "waiting" and state["waiting_for"]["id"] == asked["id"]
        # The desktop is busy with this run: a second one is turned away.
        busy = console.post("/api/runs", json={"instruction": "click Submit"})
        assert busy.status_code == 409 and "busy" in busy.json()["detail"]
        wrong = console.post(f"/api/runs/{run['id']}/confirm", json={"id": "nope", "allow": True})
        assert wrong.status_code == 409

        answer = console.post(
            f"/api/runs/{run['id']}/confirm", json={"id": asked["id"], "allow": False}
        )
        assert answer.status_code == 200
        rest = list(events(console, run["id"]))
        assert rest[-1]["status"] == "refused", rest[-1]
        assert any(e["kind"] == "confirmed" and e["allowed"] is False for e in rest)
        assert not saved.exists()  # Submit never ran
    finally:
        xsession.stop(form)


def test_stop_ends_a_run_after_the_step_under_way(
    xsession: XSession, console: httpx.Client
) -> None:
    run = console.post("/api/runs", json={"instruction": ", ".join(["wait 1 seconds"] * 8)}).json()
    first = list(events(console, run["id"], until="step"))[-1]
    assert first["kind"] == "step"
    stopped = console.post(f"/api/runs/{run['id']}/stop")
    assert stopped.status_code == 200
    last = list(events(console, run["id"]))
    assert last[-1]["status"] == "cancelled"
    assert sum(e["kind"] == "step" for e in last) < 8


def test_requests_it_cannot_run_are_refused_with_reasons(console: httpx.Client) -> None:
    cases = {
        "unknown device": ({"instruction": "click OK", "device": "toaster"}, "toaster"),
        "model policy, no model": (
            {"instruction": "click OK", "policy": "planned"},
            "needs a model",
        ),
        "unreadable": ({"instruction": "make me a sandwich"}, "cannot read"),
        "unknown field": ({"instruction": "click OK", "speed": 11}, "speed"),
        "empty": ({"instruction": ""}, "instruction"),
        "bad temperature": ({"instruction": "click OK", "temperature": -1}, "temperature"),
    }
    for name, (body, words) in cases.items():
        response = console.post("/api/runs", json=body)
        assert response.status_code == 422, name
        assert words in response.text, (name, response.text)
    assert console.get("/api/runs/doesnotexist").status_code == 404
    assert console.post("/api/runs/doesnotexist/stop").status_code == 404
    assert console.get("/runs/..%2F..%2Fetc/passwd").status_code == 404
    assert console.get("/api/runs").json() == []


def test_the_api_is_described_by_an_openapi_document(console: httpx.Client) -> None:
    document = console.get("/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/events",
        "/api/runs/{run_id}/confirm",
        "/api/runs/{run_id}/stop",
        "/api/history",
        "/api/ground",
    ):
        assert path in paths, path
    run_request = document["components"]["schemas"]["RunRequest"]["properties"]
    assert {"temperature", "thinking", "max_steps", "visual_tokens"} <= set(run_request)


# ---------------------------------------------------------------------- the playground
def picture(kind: str = "PNG") -> bytes:
    """A small form drawn with a real font: a Name label and a Submit button."""
    image = Image.new("RGB", (640, 360), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    draw.text((40, 60), "Name", fill="black", font=font)
    draw.rectangle((160, 55, 560, 100), outline="black", width=2)
    draw.rectangle((400, 250, 560, 310), outline="black", width=2, fill="#e6e6e6")
    draw.text((430, 262), "Submit", fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def ground(client: httpx.Client, data: bytes, description: str, name: str = "a.png") -> Any:
    return client.post(
        "/api/ground",
        files={"image": (name, data, "image/png")},
        data={"description": description},
    )


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_the_playground_grounds_an_uploaded_picture(console: httpx.Client, kind: str) -> None:
    response = ground(console, picture(kind), "the Submit button")
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["status"] == "found" and found["by"] == "ocr"
    ((x1, y1, x2, y2),) = found["bbox"]
    assert 400 <= (x1 + x2) / 2 <= 560 and 250 <= (y1 + y2) / 2 <= 310
    assert 0 < found["confidence"][0] <= 1
    assert (found["width"], found["height"]) == (640, 360)
    assert found["overlay"].startswith("data:image/png;base64,")
    missing = ground(console, picture(kind), "the Cancel button").json()
    assert missing["status"] == "not_found" and missing["bbox"] == []
    assert "Cancel" in missing["answer"]


def test_uploads_are_checked_for_kind_and_size(console: httpx.Client) -> None:
    text = ground(console, b"just some text, not a picture", "x", name="note.png")
    assert text.status_code == 415 and "PNG, JPEG or WEBP" in text.json()["detail"]
    broken = ground(console, b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "x")
    assert broken.status_code == 400 and "broken PNG" in broken.json()["detail"]
    big = ground(console, b"\x89PNG\r\n\x1a\n" + b"\0" * (21 * 1024 * 1024), "x")
    assert big.status_code == 413 and "20 MB" in big.json()["detail"]
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, "PNG")  # small file, 81 M pixels
    bomb = ground(console, buffer.getvalue(), "x")
    assert bomb.status_code == 413 and "too many pixels" in bomb.json()["detail"]
    no_model = console.post(
        "/api/ground",
        files={"image": ("a.png", picture(), "image/png")},
        data={"description": "Submit", "engine": "model"},
    )
    assert no_model.status_code == 422 and "no model" in no_model.json()["detail"]


# ---------------------------------------------------------------------- who may ask
def test_a_token_console_refuses_requests_without_it(tmp_path: Path) -> None:
    app = create_app(Runner(tmp_path / "runs"), token=TOKEN, loopback=False)
    with BackgroundServer(app) as url, httpx.Client(base_url=url) as client:
        refused = client.get("/api/history")
        assert refused.status_code == 401 and "token" in refused.json()["detail"]
        assert client.get("/api/history", headers={"Authorization": "Bearer wrong"}).status_code
        assert (
            client.get("/api/history", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 200
        )
        assert client.get("/openapi.json").status_code == 401
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 401
        # The printed link sets a cookie and leaves the token out of the address bar.
        link = client.get(f"/?token={TOKEN}")
        assert link.status_code == 303 and link.headers["location"] == "/"
        assert "httponly" in link.headers["set-cookie"].lower()
        page = client.get("/")
        assert page.status_code == 200 and "screenpilot console" in page.text


def test_loopback_console_refuses_other_host_names_and_foreign_origins(
    console: httpx.Client,
) -> None:
    rebound = console.get("/api/history", headers={"Host": "attacker.example:7860"})
    assert rebound.status_code == 403 and "loopback" in rebound.json()["detail"]
    foreign = console.post(
        "/api/runs",
        json={"instruction": "click OK"},
        headers={"Origin": "http://attacker.example"},
    )
    assert foreign.status_code == 403
    own = str(console.base_url).rstrip("/")
    assert (
        console.post("/api/runs/none/stop", headers={"Origin": own}).status_code == 404
    )  # past the guard

"""The console's runs without a display (fast tier): the feed's step events, the history
read from run folders, one run per device, confirmations answered, refused, stopped and timed
out, the Host guard held to Starlette's decisions, the OpenAPI document, and a whole run
through the API on the fake desktop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from screenpilot.actions.guard import SafetyDecision
from screenpilot.actions.vocabulary import Click, Drag
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.trajectory.records import (
    PlacedTarget,
    RunEnded,
    RunStarted,
    Status,
    StepRecorded,
)
from screenpilot.trajectory.store import TrajectoryWriter
from screenpilot.web.board import Board, DeviceBusyError, LiveRun, RunRequest
from screenpilot.web.console import create_app
from screenpilot.web.events import (
    ConfirmAnswered,
    ConfirmAsked,
    ConsoleEvent,
    RunOver,
    StepShown,
)
from screenpilot.web.feed import ConsoleFeed
from screenpilot.web.runner import Runner
from screenpilot.web.security import LOOPBACK_NAMES, Guard
from tests.fake_device import FakeDesktop, Widget

WAIT = 10.0  # the most any test here waits for a run's thread


def step(**fields: Any) -> StepRecorded:
    defaults: dict[str, Any] = {
        "time": 1.0,
        "index": 1,
        "summary": "click Submit",
        "action": Click(target=ScreenPoint(x=2112, y=488)),
        "ok": True,
        "reason": "the screen changed",
    }
    return StepRecorded(**(defaults | fields))


# ---------------------------------------------------------------------- the feed
def test_the_feed_turns_a_recorded_step_into_the_event_the_page_draws(tmp_path: Path) -> None:
    # A 1280x1024 monitor right of and below another: its screen starts at (1920, 200).
    geometry = ScreenGeometry.for_screen(1280, 1024, left=1920, top=200)
    box = ScreenBox(x1=2048, y1=456, x2=2176, y2=520)
    record = step(
        geometry=geometry,
        screenshot="step-0001.png",
        safety=SafetyDecision(decision="ask", reason="the target says 'submit'", confirmed=True),
        targets=[
            PlacedTarget(
                point=box.center,
                box=box,
                source="ocr",
                element_role="button",
                name="Submit",
                why="exact text",
            )
        ],
    )
    live = LiveRun(RunRequest(instruction="click Submit"))
    folder = tmp_path / "20250101-120000-click-submit"
    feed = ConsoleFeed(live, lambda: folder)
    feed.started(RunStarted(time=0, instruction="click Submit", policy="rules", device="Fake"))
    assert live.folder == folder  # known to the run's summary from its first record
    feed.after_action(record, frames=None)  # type: ignore[arg-type]

    (event,) = live.events_after(0, timeout=0)
    assert event.kind == "step" and event.id == 1
    shown = event.data
    assert isinstance(shown, StepShown)
    assert (shown.index, shown.summary, shown.ok) == (1, "click Submit", True)
    assert shown.reason == "the screen changed"
    assert shown.safety == "asked (the target says 'submit'): confirmed"
    assert shown.grounding == "ocr button 'Submit' (exact text)"
    assert shown.screenshot_url == f"/runs/{folder.name}/step-0001.png"
    fraction = shown.box_fraction
    assert fraction is not None
    assert (fraction.left, fraction.top) == pytest.approx((0.1, 0.25))
    assert (fraction.width, fraction.height) == pytest.approx((0.1, 0.0625))
    point = shown.point_fraction
    assert point is not None and (point.x, point.y) == pytest.approx((0.15, 0.28125))
    # The page reads these names from the event's JSON.
    page_reads = {"index", "summary", "ok", "reason", "safety", "grounding", "screenshot_url"}
    assert (
        page_reads | {"box_fraction", "point_fraction"}
        <= json.loads(shown.model_dump_json()).keys()
    )


def test_a_gesture_shows_its_end_and_an_unrecorded_step_no_screenshot() -> None:
    geometry = ScreenGeometry.for_screen(1000, 500)
    record = step(
        action=Drag(start=ScreenPoint(x=100, y=100), end=ScreenPoint(x=900, y=400)),
        geometry=geometry,
        screenshot="step-0001.png",
        targets=[
            PlacedTarget(role="start", point=ScreenPoint(x=100, y=100)),
            PlacedTarget(role="end", point=ScreenPoint(x=900, y=400)),
        ],
    )
    from screenpilot.web.feed import step_shown

    shown = step_shown(record, folder=None)
    assert shown.screenshot_url is None and shown.box_fraction is None
    assert shown.point_fraction is not None
    assert (shown.point_fraction.x, shown.point_fraction.y) == pytest.approx((0.9, 0.8))
    assert shown.grounding is None and shown.safety == "allow"
    bare = step_shown(step(), folder="run")  # no geometry, no targets: nothing to draw
    assert bare.box_fraction is None and bare.point_fraction is None


# ---------------------------------------------------------------------- the history
def write_run(folder: Path, started: float, *, steps: int, end: Status | None) -> None:
    folder.mkdir(parents=True)
    writer = TrajectoryWriter(folder)
    writer.write(
        RunStarted(time=started, instruction=f"run {folder.name}", policy="rules", device="Fake")
    )
    for n in range(1, steps + 1):
        writer.write(step(index=n, time=started + n))
    if end is not None:
        writer.write(
            RunEnded(time=started + 9, status=end, message=f"{end}!", steps=steps, seconds=9.0)
        )
    writer.close()


def test_the_history_lists_recorded_runs_newest_first_and_unreadable_ones_as_such(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    # Same second, so the names alone do not tell which started first.
    write_run(runs / "20250101-120000-b", 1000.0, steps=2, end="success")
    write_run(runs / "20250101-120000-a", 2000.0, steps=1, end="failure")
    write_run(runs / "20250101-110000-killed", 500.0, steps=3, end=None)
    (runs / "20250101-110000-no-trajectory").mkdir()
    (runs / "20250101-090000-not-a-record").mkdir()
    (runs / "20250101-090000-not-a-record" / "trajectory.jsonl").write_text(
        '{"kind": "teapot"}\n', encoding="utf-8"
    )
    (runs / "20250101-080000-binary").mkdir()
    (runs / "20250101-080000-binary" / "trajectory.jsonl").write_bytes(b"\xff\xfe\x00garbage")

    listed = Board(runs, lambda live: None).history()

    assert [e.folder for e in listed] == [
        "20250101-120000-a",
        "20250101-120000-b",
        "20250101-110000-killed",
        "20250101-090000-not-a-record",
        "20250101-080000-binary",
    ]  # a folder without a trajectory is no run
    newest, older, killed, teapot, binary = listed
    assert (newest.status, newest.message, newest.steps) == ("failure", "failure!", 1)
    assert (older.status, older.steps, older.seconds) == ("success", 2, 9.0)
    assert older.instruction == "run 20250101-120000-b" and older.policy == "rules"
    assert (killed.status, killed.steps, killed.seconds) == ("unfinished", 3, None)
    assert teapot.status == "unreadable" and "line 1" in teapot.message
    assert binary.status == "unreadable" and binary.message
    assert all(e.report is None for e in listed)


def test_a_history_entry_links_its_report(tmp_path: Path) -> None:
    folder = tmp_path / "20250101-120000-x"
    write_run(folder, 1.0, steps=0, end="success")
    (folder / "report.html").write_text("<p>report</p>", encoding="utf-8")
    (entry,) = Board(tmp_path, lambda live: None).history()
    assert entry.report == "/runs/20250101-120000-x/report.html"
    assert Board(tmp_path / "nothing-yet", lambda live: None).history() == []


# ---------------------------------------------------------------------- runs on the board
def events_until(live: LiveRun, kind: str) -> list[ConsoleEvent]:
    """The run's events up to and including its first `kind` event (waits on the run)."""
    seen: list[ConsoleEvent] = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        seen += live.events_after(len(seen), timeout=deadline - time.monotonic())
        for n, event in enumerate(seen):
            if event.kind == kind:
                return seen[: n + 1]
    raise AssertionError(f"no {kind} event in {WAIT} s: {[e.kind for e in seen]}")


def test_one_run_per_device_at_a_time(tmp_path: Path) -> None:
    release = threading.Event()

    def execute(live: LiveRun) -> None:
        release.wait(WAIT)
        live.set_status("success", "done")

    board = Board(tmp_path, execute)
    first = board.start(RunRequest(instruction="click OK"))
    with pytest.raises(DeviceBusyError, match=f"desktop is busy with run {first.id}"):
        board.start(RunRequest(instruction="click Cancel"))
    phone = board.start(RunRequest(instruction="tap OK", device="android"))  # another device
    release.set()
    for live in (first, phone):
        assert events_until(live, "end")[-1].data == RunOver(status="success", message="done")
    again = board.start(RunRequest(instruction="click Cancel"))  # the desktop is free again
    assert events_until(again, "end")[-1].data.status == "success"  # type: ignore[union-attr]
    assert [r.id for r in board.live()][-1] == first.id  # newest first


def test_a_run_that_crashes_or_says_nothing_ends_as_an_error(tmp_path: Path) -> None:
    def crash(live: LiveRun) -> None:
        raise RuntimeError("a bug")

    board = Board(tmp_path, crash)
    ended = events_until(board.start(RunRequest(instruction="click OK")), "end")[-1].data
    assert ended == RunOver(status="error", message="internal error: RuntimeError: a bug")
    silent = Board(tmp_path, lambda live: None).start(RunRequest(instruction="click OK"))
    assert events_until(silent, "end")[-1].data.message == "the run ended without a result"  # type: ignore[union-attr]


RISKY = Click(target=ScreenPoint(x=10, y=10))


def asking_board(tmp_path: Path, timeout: float) -> Board:
    def execute(live: LiveRun) -> None:
        allowed = live.ask(RISKY, "the target says 'delete'")
        live.set_status("success" if allowed else "refused", "")

    return Board(tmp_path, execute, confirm_timeout=timeout)


@pytest.mark.parametrize(
    ("answer", "status", "how"),
    [
        ("allow", "success", "allowed"),
        ("refuse", "refused", "refused"),
        ("stop", "refused", "refused"),
        ("nobody", "refused", "no answer in time: refused"),
    ],
)
def test_a_risky_action_waits_for_an_answer(
    tmp_path: Path, answer: str, status: str, how: str
) -> None:
    board = asking_board(tmp_path, timeout=0.05 if answer == "nobody" else WAIT)
    live = board.start(RunRequest(instruction="click Delete"))
    asked = events_until(live, "confirm")[-1].data
    assert isinstance(asked, ConfirmAsked) and asked.action == RISKY
    if answer != "nobody":  # (with no answer the wait may already be over)
        waiting = live.summary().waiting_for
        assert waiting is not None and waiting.id == asked.id and waiting.action == RISKY
        assert live.summary().status == "waiting"
        with pytest.raises(LookupError, match="not waiting for confirmation 'nope'"):
            live.answer("nope", True)
    if answer in ("allow", "refuse"):
        live.answer(asked.id, answer == "allow")
    elif answer == "stop":
        live.stop()
    seen = events_until(live, "end")
    (answered,) = [e.data for e in seen if isinstance(e.data, ConfirmAnswered)]
    assert answered == ConfirmAnswered(id=asked.id, allowed=answer == "allow", how=how)
    assert seen[-1].data.status == status  # type: ignore[union-attr]
    assert live.summary().waiting_for is None
    with pytest.raises(LookupError):  # answered once, not twice
        live.answer(asked.id, True)


# ---------------------------------------------------------------------- the Host guard
def answered_status(app: ASGIApp, host: str | None) -> int:
    """The status `app` answers a GET / with this Host header (None: no Host at all)."""
    scope: Scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [] if host is None else [(b"host", host.encode("latin-1"))],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 7860),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return int(sent[0]["status"])


async def accept(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


HOSTS = [
    "localhost", "localhost:7860", "LocalHost:7860", "127.0.0.1", "127.0.0.1:7860", "[::1]",
    "[::1]:7860", None, "", "::1", "[::1", "127.0.0.1:abc", "127.0.0.1:", "localhost.",
    "attacker.example", "attacker.example:7860", "127.0.0.1.nip.io", "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:0:0:1]", "[zz::1]:80", "attacker@127.0.0.1", "127.0.0.1 ", "localhost:7860:1",
]  # fmt: skip


@pytest.mark.parametrize("host", HOSTS)
def test_the_host_guard_lets_through_what_trusted_host_middleware_would(host: str | None) -> None:
    ours = Guard(accept, token=None, loopback=True, max_body=1024)
    starlette = TrustedHostMiddleware(accept, allowed_hosts=sorted(LOOPBACK_NAMES))
    theirs = answered_status(starlette, host)
    expected = 200 if theirs == 200 else 403  # they say 400; we say why, as a 403
    assert answered_status(ours, host) == expected


def test_off_loopback_any_host_passes_the_host_check() -> None:
    guard = Guard(accept, token=None, loopback=False, max_body=1024)
    assert answered_status(guard, "console.example:7860") == 200


# ---------------------------------------------------------------------- the API
@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[TestClient, FakeDesktop]]:
    """The console in-process, its runs on a fake desktop with an OK and a Delete button."""
    desktop = FakeDesktop(
        [
            Widget("button", "OK", (300, 150, 390, 180)),
            Widget("button", "Delete account", (420, 150, 600, 180)),
        ]
    )
    runner = Runner(tmp_path / "runs", devices=lambda spec: desktop, read_screen=False)
    with TestClient(create_app(runner), base_url="http://127.0.0.1:7860") as client:
        yield client, desktop


def log_until(client: TestClient, run_id: str, kind: str) -> list[dict[str, Any]]:
    """The run's events from /log, polled until one of `kind` comes."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT
    while not any(e["kind"] == kind for e in seen):
        assert time.monotonic() < deadline, [e["kind"] for e in seen]
        response = client.get(f"/api/runs/{run_id}/log", params={"after": len(seen)})
        assert response.status_code == 200, response.text
        seen += response.json()
        time.sleep(0.01)
    return seen


def test_a_run_through_the_api_streams_its_steps_and_closes_the_device(
    console: tuple[TestClient, FakeDesktop],
) -> None:
    client, desktop = console
    started = client.post("/api/runs", json={"instruction": "click OK"})
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["request"]["instruction"] == "click OK" and run["waiting_for"] is None
    seen = log_until(client, run["id"], "end")
    assert [e["id"] for e in seen] == list(range(1, len(seen) + 1))
    (shown,) = [e["data"] for e in seen if e["kind"] == "step"]
    assert shown["summary"] == "click OK" and shown["ok"] is True
    box = shown["box_fraction"]
    assert box == pytest.approx({"left": 300 / 640, "top": 150 / 480, "width": 90 / 640,
                                 "height": 30 / 480})  # fmt: skip
    assert client.get(shown["screenshot_url"]).content.startswith(b"\x89PNG")
    final = [e["data"] for e in seen if e["kind"] == "status"][-1]
    assert final["status"] == "success" and final["steps"] == 1 and final["report"]
    ended = {"status": "success", "message": final["message"]}
    assert seen[-1] == {"id": len(seen), "kind": "end", "data": ended}
    assert desktop.closed
    # The same events over server-sent events, the stream ending with the run's end.
    with client.stream("GET", f"/api/runs/{run['id']}/events") as stream:
        text = "".join(stream.iter_text())
    blocks = [b for b in text.split("\n\n") if b.strip()]
    assert len(blocks) == len(seen)
    assert blocks[-1].splitlines()[:2] == [f"id: {len(seen)}", "event: end"]
    assert json.loads(blocks[-1].splitlines()[2].removeprefix("data: ")) == seen[-1]["data"]
    listed = client.get("/api/history").json()
    assert [(e["status"], e["steps"]) for e in listed] == [("success", 1)]
    assert client.get(listed[0]["report"]).status_code == 200
    assert client.get("/api/health").json()["running"] == 0


def test_a_risky_step_is_confirmed_through_the_api(
    console: tuple[TestClient, FakeDesktop],
) -> None:
    client, desktop = console
    run = client.post("/api/runs", json={"instruction": "click Delete account"}).json()
    asked = log_until(client, run["id"], "confirm")[-1]["data"]
    assert asked["action"]["type"] == "click" and "delete" in asked["reason"].lower()
    state = client.get(f"/api/runs/{run['id']}").json()
    assert state["status"] == "waiting" and state["waiting_for"]["id"] == asked["id"]
    busy = client.post("/api/runs", json={"instruction": "click OK"})
    assert busy.status_code == 409 and "busy" in busy.json()["detail"]
    wrong = client.post(f"/api/runs/{run['id']}/confirm", json={"id": "nope", "allow": True})
    assert wrong.status_code == 409
    taken = client.post(f"/api/runs/{run['id']}/confirm", json={"id": asked["id"], "allow": True})
    assert taken.json() == {"id": asked["id"], "allowed": True}
    seen = log_until(client, run["id"], "end")
    assert seen[-1]["data"]["status"] == "success"
    assert ("click", ScreenPoint(x=510, y=165)) in desktop.calls


JSON_OUT = {"application/json"}


def test_the_openapi_document_names_a_response_schema_for_every_json_route(
    tmp_path: Path,
) -> None:
    with TestClient(create_app(Runner(tmp_path)), base_url="http://127.0.0.1") as client:
        document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    not_json = {("get", "/api/runs/{run_id}/events"), ("get", "/runs/{folder}/{name}")}
    named: dict[tuple[str, str], str] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (method, path) in not_json:
                continue
            ok = next(code for code in operation["responses"] if code.startswith("2"))
            schema = operation["responses"][ok]["content"]["application/json"]["schema"]
            schema = schema.get("items", schema)
            name = schema.get("$ref", "").rpartition("/")[2] or "union"
            assert (name == "union" and "oneOf" in schema) or name in schemas, (path, schema)
            named[(method, path)] = name
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):  # every refusal is described too
                    assert set(response["content"]) == JSON_OUT, (path, code)
    assert named == {
        ("get", "/api/health"): "Health",
        ("get", "/api/config"): "ConsoleConfig",
        ("post", "/api/runs"): "RunSummary",
        ("get", "/api/runs"): "RunSummary",
        ("get", "/api/runs/{run_id}"): "RunSummary",
        ("get", "/api/runs/{run_id}/log"): "union",
        ("post", "/api/runs/{run_id}/confirm"): "ConfirmationTaken",
        ("post", "/api/runs/{run_id}/stop"): "RunSummary",
        ("get", "/api/history"): "HistoryEntry",
        ("post", "/api/ground"): "Grounded",
    }
    kinds = schemas["StepEvent"]["properties"]["kind"]
    assert kinds.get("const") == "step"
    assert {"box_fraction", "point_fraction", "screenshot_url", "safety"} <= set(
        schemas["StepShown"]["properties"]
    )
    problem = document["paths"]["/api/runs"]["post"]["responses"]["409"]
    assert problem["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")

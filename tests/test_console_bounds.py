"""The console against hostile input (fast tier, in-process): bodies counted as they arrive,
chunked ones included; length limits on request fields; crafted pictures refused from their
headers, never a 500; event streams that hold no thread and are capped; finished runs
forgotten; the API key kept from servers the console does not trust; two names for one
device being one device; a request's secrets kept out of everything the run shows."""

from __future__ import annotations

import asyncio
import io
import json
import random
import resource
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from PIL import Image

from screenpilot.models.runtime import Runtime
from screenpilot.trajectory.redaction import MASK
from screenpilot.web import console as console_module
from screenpilot.web.board import Board, DeviceBusyError, LiveRun, RunRequest
from screenpilot.web.console import MAX_DECODES, MAX_STREAMS, create_app
from screenpilot.web.device_identity import device_identity
from screenpilot.web.runner import Runner
from screenpilot.web.uploads import MAX_UPLOAD_BYTES, UploadError, read_picture
from tests.fake_device import FakeDesktop, Widget

HOST = [(b"host", b"127.0.0.1:7860")]
MB = 1024 * 1024
WAIT = 10.0


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": HOST + headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 7860),
    }


# ---------------------------------------------------------------------- bodies
def post_chunked(app: Any, path: str, content_type: bytes, chunks: Iterator[bytes]) -> Any:
    """POST a chunked body (no Content-Length) to `app`; (status, answer, chunks it pulled)."""
    sent: list[dict[str, Any]] = []
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", content_type), (b"transfer-encoding", b"chunked")]
    asyncio.run(app(scope("POST", path, headers), receive, send))
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), pulled


def megabytes(count: int, first: bytes = b"") -> Iterator[bytes]:
    yield first
    for _ in range(count):
        yield b" " * MB


@pytest.mark.parametrize(
    ("path", "content_type", "first"),
    [
        ("/api/runs", b"application/json", b'{"instruction": "click OK", "device": "'),
        ("/api/ground", b"multipart/form-data; boundary=XyZ", b"--XyZ\r\nContent-Disposition: "
         b'form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'),
        ("/api/runs/none/stop", b"application/octet-stream", b""),
    ],
)  # fmt: skip
def test_a_chunked_body_over_the_limit_is_refused_without_reading_it_all(
    tmp_path: Path, path: str, content_type: bytes, first: bytes
) -> None:
    app = create_app(Runner(tmp_path))
    status, answer, pulled = post_chunked(app, path, content_type, megabytes(200, first))
    if path.endswith("/stop"):  # a route that reads no body: nothing is read at all
        assert status == 404 and pulled <= 1
        return
    assert status == 413, answer
    assert "20 MB" in answer["detail"]
    limit_chunks = MAX_UPLOAD_BYTES // MB + 1
    assert limit_chunks <= pulled <= limit_chunks + 2  # read up to the limit, no further


def test_a_chunked_body_under_the_limit_still_gets_through(tmp_path: Path) -> None:
    body = json.dumps({"instruction": "click OK", "device": "toaster"}).encode()
    status, answer, _ = post_chunked(
        create_app(Runner(tmp_path)), "/api/runs", b"application/json", iter([body[:9], body[9:]])
    )
    assert status == 422 and "toaster" in json.dumps(answer)  # read whole, then judged


# ---------------------------------------------------------------------- fields
@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[TestClient, FakeDesktop]]:
    """The console in-process; its runs on a fake desktop with a Name field and OK."""
    desktop = FakeDesktop(
        [
            Widget("entry", "Name", (100, 100, 400, 130)),
            Widget("button", "OK", (300, 150, 390, 180)),
        ]
    )
    runner = Runner(tmp_path / "runs", devices=lambda spec: desktop, read_screen=False)
    with TestClient(create_app(runner), base_url="http://127.0.0.1:7860") as client:
        yield client, desktop


LONG = "x" * 2001


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"model": LONG}, "model"),
        ({"server": "http://" + LONG}, "server"),
        ({"device": "android:" + "9" * 300}, "device"),
        ({"instruction": "click " + "OK " * 2000}, "instruction"),
        ({"secrets": ["s" * 1001]}, "secrets"),
        ({"secrets": [f"s{n}" for n in range(33)]}, "secrets"),
        ({"secrets": [""]}, "secrets"),
    ],
)
def test_over_long_fields_are_refused_by_name(
    console: tuple[TestClient, FakeDesktop], fields: dict[str, Any], named: str
) -> None:
    client, desktop = console
    response = client.post("/api/runs", json={"instruction": "click OK"} | fields)
    assert response.status_code == 422, response.text
    assert any(named in problem["loc"] for problem in response.json()["detail"]), response.text
    assert client.get("/api/runs").json() == [] and desktop.calls == []


def test_an_over_long_confirmation_id_is_refused(console: tuple[TestClient, FakeDesktop]) -> None:
    client, _ = console
    answer = client.post("/api/runs/nope/confirm", json={"id": "i" * 65, "allow": True})
    assert answer.status_code == 422 and "id" in answer.text


# ---------------------------------------------------------------------- pictures
def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def deflated_zeros(megabytes: int) -> bytes:
    """`megabytes` MB of zeros, deflated (about a thousandth of that), never all in memory."""
    packer = zlib.compressobj(9)
    block = bytes(MB)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def with_chunks(data: bytes, *extra: bytes) -> bytes:
    """The PNG with `extra` chunks right after its IHDR (signature 8 + IHDR 25 bytes)."""
    return data[:33] + b"".join(extra) + data[33:]


def declared_png(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with one row's worth of pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(min(width, 4096) + 1)))
        + chunk(b"IEND", b"")
    )


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(jpeg(Image.new("RGB", (16, 16), "white")))
    at = data.index(b"\xff\xc0")  # SOF0: length(2) precision(1) height(2) width(2)
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP")
    return buffer.getvalue()


SMALL = Image.new("RGB", (64, 48), "white")
BAD_PICTURES: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "iCCP inflating to 64 MB": (
        lambda: with_chunks(png(SMALL), chunk(b"iCCP", b"icc\0\0" + deflated_zeros(64))),
        400,
        "broken PNG",
    ),
    "zTXt inflating to 64 MB": (
        lambda: with_chunks(png(SMALL), chunk(b"zTXt", b"Comment\0\0" + deflated_zeros(64))),
        400,
        "broken PNG",
    ),
    "iTXt inflating to 64 MB": (
        lambda: with_chunks(
            png(SMALL), chunk(b"iTXt", b"Comment\0\x01\0\0\0" + deflated_zeros(64))
        ),
        400,
        "broken PNG",
    ),
    "a 5 MB text chunk": (
        lambda: with_chunks(png(SMALL), chunk(b"tEXt", b"Comment\0" + b"A" * (5 * MB))),
        413,
        "'tEXt' chunk",
    ),
    "1 x 67,108,864": (lambda: declared_png(1, 67_108_864), 413, "too many pixels"),
    "67,108,864 x 1": (lambda: declared_png(67_108_864, 1), 413, "too many pixels"),
    "8192 x 8192, a small file": (
        lambda: png(Image.new("1", (8192, 8192))),
        413,
        "too many pixels",
    ),
    "0 x 0": (lambda: declared_png(0, 0), 400, ""),
    "a JPEG declaring 65000 x 65000": (
        lambda: jpeg_declaring(65000, 65000),
        413,
        "too many pixels",
    ),
    "a truncated PNG": (lambda: png(Image.effect_noise((64, 48), 50))[:900], 400, "broken PNG"),
    "a truncated JPEG": (lambda: jpeg(Image.effect_noise((64, 48), 50))[:300], 400, "JPEG"),
    "a truncated WEBP": (lambda: webp(Image.effect_noise((64, 48), 50))[:40], 400, "WEBP"),
    "a PNG signature alone": (lambda: b"\x89PNG\r\n\x1a\n", 400, "broken PNG"),
    "a bad checksum": (
        lambda: png(SMALL)[:29] + b"\0\0\0\0" + png(SMALL)[33:],
        400,
        "broken PNG",
    ),
    "a GIF": (lambda: b"GIF89a" + bytes(100), 415, "PNG, JPEG or WEBP"),
    "text": (lambda: b"just some text", 415, "PNG, JPEG or WEBP"),
    "nothing": (lambda: b"", 400, "empty"),
    "over 20 MB": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(21 * MB), 413, "20 MB"),
}


@pytest.mark.parametrize("name", BAD_PICTURES)
def test_a_bad_picture_is_refused_with_a_sentence_and_little_memory(name: str) -> None:
    make, status, words = BAD_PICTURES[name]
    data = make()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    started = time.monotonic()
    with pytest.raises(UploadError) as refused:
        read_picture(data)
    assert refused.value.status == status, str(refused.value)
    assert words in str(refused.value)
    assert time.monotonic() - started < 2.0
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 100_000, f"{grown} KB more at the peak"


def test_the_playground_answers_bad_pictures_with_their_status(
    console: tuple[TestClient, FakeDesktop],
) -> None:
    client, _ = console
    for name in ("zTXt inflating to 64 MB", "1 x 67,108,864", "a truncated JPEG", "a GIF"):
        make, status, words = BAD_PICTURES[name]
        answer = client.post(
            "/api/ground",
            files={"image": ("a.png", make(), "image/png")},
            data={"description": "the OK button"},
        )
        assert answer.status_code == status, (name, answer.text)
        assert words in answer.json()["detail"]


def test_the_playground_holds_a_few_decoded_pictures_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, most = 0, 0
    lock = threading.Lock()

    def slow_ground(runner: Runner, picture: Image.Image, description: str, model: bool) -> Any:
        nonlocal held, most
        with lock:
            held += 1
            most = max(most, held)
        time.sleep(0.1)  # OCR reading the picture: it is in memory all this while
        with lock:
            held -= 1
        raise HTTPException(500, "not grounded")

    monkeypatch.setattr(console_module, "_ground", slow_ground)
    app = create_app(Runner(tmp_path))

    async def six_at_once() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            answers = await asyncio.gather(
                *(
                    c.post(
                        "/api/ground",
                        files={"image": ("a.png", png(SMALL), "image/png")},
                        data={"description": "OK", "engine": "ocr"},
                    )
                    for _ in range(6)
                )
            )
        return [a.status_code for a in answers]

    assert asyncio.run(six_at_once()) == [500] * 6
    assert most == MAX_DECODES  # the others waited, still encoded


def test_mangled_pictures_are_read_or_refused_never_a_crash() -> None:
    seeds = [png(Image.effect_noise((40, 30), 60)), jpeg(Image.effect_noise((40, 30), 60))]
    seeds += [webp(Image.effect_noise((40, 30), 60)), png(Image.new("P", (20, 10)))]
    chance = random.Random(16)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(600):
        data = bytearray(chance.choice(seeds))
        for _ in range(chance.randint(1, 8)):
            at = chance.randrange(len(data))
            how = chance.random()
            if how < 0.6:
                data[at] = chance.randrange(256)
            elif how < 0.8:
                del data[at:]
                data += bytes(chance.randrange(3))
            else:
                data[at:at] = chance.randbytes(chance.randint(1, 16))
        try:
            picture = read_picture(bytes(data))
        except UploadError as error:
            assert error.status in (400, 413, 415), error
            outcomes["refused"] += 1
        else:
            assert picture.mode == "RGB" and picture.width * picture.height <= 40_000_000
            outcomes["read"] += 1
    assert outcomes["read"] and outcomes["refused"] > 100, outcomes


def test_a_sound_picture_is_read_at_its_size() -> None:
    for data in (png(SMALL), jpeg(SMALL), webp(SMALL), png(Image.new("P", (30, 20)))):
        picture = read_picture(data)
        assert picture.mode == "RGB" and picture.size in ((64, 48), (30, 20))


# ---------------------------------------------------------------------- streams
class Stream:
    """One GET of a run's events, in flight on the event loop: what came back so far."""

    def __init__(self, app: Any, run_id: str) -> None:
        self.sent: list[dict[str, Any]] = []
        self.gone = asyncio.Event()
        request = scope("GET", f"/api/runs/{run_id}/events", [])
        self.task = asyncio.create_task(app(request, self.receive, self.send))

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        starts = [m["status"] for m in self.sent if m["type"] == "http.response.start"]
        return starts[0] if starts else None

    @property
    def text(self) -> str:
        return b"".join(m.get("body", b"") for m in self.sent[1:]).decode()

    async def started(self) -> int:
        deadline = time.monotonic() + WAIT
        while self.status is None:
            assert time.monotonic() < deadline, "the stream never answered"
            await asyncio.sleep(0.005)
        return self.status


def held_run(tmp_path: Path) -> tuple[Board, threading.Event]:
    """A board whose every run waits until the event returned is set."""
    release = threading.Event()

    def execute(live: LiveRun) -> None:
        live.set_status("running", "held")
        release.wait(WAIT)
        live.set_status("success", "done")

    return Board(tmp_path, execute), release


def test_streams_hold_no_thread_and_one_past_the_cap_is_refused(tmp_path: Path) -> None:
    board, release = held_run(tmp_path)
    app = create_app(Runner(tmp_path), board=board, max_streams=20)
    live = board.start(RunRequest(instruction="click OK"))

    async def scenario() -> None:
        threads = threading.active_count()
        streams = [Stream(app, live.id) for _ in range(20)]
        assert [await s.started() for s in streams] == [200] * 20
        await asyncio.sleep(0.2)  # every stream now waits for the run's next event
        assert threading.active_count() <= threads  # no worker thread per open stream
        refused = Stream(app, live.id)
        assert await refused.started() == 429
        await refused.task
        assert "20 event streams are open" in refused.text
        streams[0].gone.set()  # one viewer leaves: its slot is free again
        await asyncio.wait_for(streams[0].task, WAIT)
        again = Stream(app, live.id)
        assert await again.started() == 200
        release.set()  # the run ends: every stream sends its end and closes by itself
        for stream in [*streams[1:], again]:
            await asyncio.wait_for(stream.task, WAIT)
            assert stream.text.rstrip().splitlines()[-3:-1] == [
                f"id: {len(live.events_after(0, 0))}",
                "event: end",
            ]

    asyncio.run(scenario())
    with TestClient(app, base_url="http://127.0.0.1") as client:  # every slot came back
        assert client.get(f"/api/runs/{live.id}/events").status_code == 200


def test_the_default_cap_serves_two_hundred_viewers_and_refuses_past_its_limit(
    tmp_path: Path,
) -> None:
    board, release = held_run(tmp_path)
    app = create_app(Runner(tmp_path), board=board)
    live = board.start(RunRequest(instruction="click OK"))
    assert MAX_STREAMS >= 200

    async def scenario() -> None:
        streams = [Stream(app, live.id) for _ in range(MAX_STREAMS)]
        assert [await s.started() for s in streams] == [200] * MAX_STREAMS
        refused = Stream(app, live.id)
        assert await refused.started() == 429
        await refused.task
        assert f"{MAX_STREAMS} event streams are open" in refused.text
        release.set()
        for stream in streams:
            await asyncio.wait_for(stream.task, WAIT)

    try:
        asyncio.run(scenario())
    finally:
        release.set()


def test_finished_runs_are_forgotten_after_a_while_or_beyond_a_count(tmp_path: Path) -> None:
    now = [1000.0]
    board = Board(
        tmp_path,
        lambda live: live.set_status("success", "done"),
        keep_finished=3,
        keep_seconds=60,
        clock=lambda: now[0],
    )

    def finished() -> LiveRun:
        live = board.start(RunRequest(instruction="click OK"))
        deadline = time.monotonic() + WAIT
        while live.ended is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        return live

    runs = [finished() for _ in range(5)]
    assert [r.id for r in board.live()] == [r.id for r in reversed(runs[2:])]  # three kept
    with pytest.raises(LookupError, match="its record is in the history"):
        board.get(runs[0].id)
    now[0] += 61
    assert board.live() == []


# ---------------------------------------------------------------------- the API key
class Captured:
    """A runtime factory that notes what it was asked and makes nothing."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, bool]] = []

    def __call__(
        self, model: str | None, server: str | None, *, send_key: bool = True
    ) -> Runtime | None:
        self.asked.append((server, send_key))
        return None


def test_the_api_key_goes_only_to_servers_the_console_trusts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-consoles-own")
    runner = Runner(tmp_path, server="http://127.0.0.1:8000/v1", trusted=["https://gpu.example/v1"])
    keys = {
        url: getattr(runner.runtime(None, url), "api_key", "?")
        for url in (
            "http://127.0.0.1:8000/v1",
            "http://127.0.0.1:8000/v1/",
            "https://gpu.example/v1",
            "http://attacker.example/v1",
            "http://127.0.0.1:8000/v1.attacker.example",
            "http://127.0.0.1:8001/v1",
        )
    }
    assert keys == {
        "http://127.0.0.1:8000/v1": "sk-the-consoles-own",
        "http://127.0.0.1:8000/v1/": "sk-the-consoles-own",
        "https://gpu.example/v1": "sk-the-consoles-own",
        "http://attacker.example/v1": None,
        "http://127.0.0.1:8000/v1.attacker.example": None,
        "http://127.0.0.1:8001/v1": None,
    }
    foreign = runner.runtime(None, "http://attacker.example/v1")
    assert "authorization" not in foreign._http.headers  # type: ignore[union-attr]


def test_a_run_naming_a_foreign_server_is_given_no_key(tmp_path: Path) -> None:
    made = Captured()
    runner = Runner(tmp_path, server="http://127.0.0.1:8000/v1", runtimes=made)
    with TestClient(create_app(runner), base_url="http://127.0.0.1") as client:
        for server in ("http://attacker.example/v1", "http://127.0.0.1:8000/v1"):
            run = client.post(
                "/api/runs",
                json={"instruction": "click OK", "policy": "native", "server": server},
            ).json()
            deadline = time.monotonic() + WAIT
            while client.get(f"/api/runs/{run['id']}").json()["status"] != "error":
                assert time.monotonic() < deadline
                time.sleep(0.01)
    assert made.asked == [("http://attacker.example/v1", False), ("http://127.0.0.1:8000/v1", True)]


# ---------------------------------------------------------------------- devices
def test_a_device_spec_resolves_to_the_device_it_names() -> None:
    def identity(spec: str, attached: list[str], display: str | None = ":1") -> str:
        return device_identity(spec, serials=lambda: attached, display=lambda: display)

    assert identity("android", ["emulator-5554"]) == "android:emulator-5554"
    assert identity("android:emulator-5554", ["emulator-5554"]) == "android:emulator-5554"
    assert identity("android:R58M", []) == "android:R58M"  # named: adb is not asked
    assert identity("android", []) == "android"
    assert identity("android", ["a", "b"]) == "android"  # adb picks none of several
    assert identity("desktop", []) == "desktop::1"
    assert identity("desktop", [], display=None) == "desktop:"


def test_two_names_for_one_phone_are_one_busy_device(tmp_path: Path) -> None:
    release = threading.Event()
    attached = ["emulator-5554"]

    def execute(live: LiveRun) -> None:
        release.wait(WAIT)
        live.set_status("success", "done")

    board = Board(
        tmp_path, execute, identify=lambda spec: device_identity(spec, serials=lambda: attached)
    )
    try:
        first = board.start(RunRequest(instruction="tap OK", device="android"))
        with pytest.raises(DeviceBusyError, match=f"busy with run {first.id} as android "):
            board.start(RunRequest(instruction="tap OK", device="android:emulator-5554"))
        attached.append("emulator-5556")
        other = board.start(RunRequest(instruction="tap OK", device="android:emulator-5556"))
        assert other.device_id == "android:emulator-5556"
    finally:
        release.set()


# ---------------------------------------------------------------------- secrets
def test_a_requests_secret_is_typed_but_never_shown_or_recorded(
    console: tuple[TestClient, FakeDesktop], tmp_path: Path
) -> None:
    client, desktop = console
    secret = "Hunter2-Sekrit"
    started = client.post(
        "/api/runs",
        json={
            "instruction": f"type '{secret}' into the Name field, click OK",
            "secrets": [secret],
        },
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert secret not in started.text and run["request"]["secrets"] == [MASK]
    deadline = time.monotonic() + WAIT
    while client.get(f"/api/runs/{run['id']}").json()["status"] not in ("success", "failure"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    summary = client.get(f"/api/runs/{run['id']}").json()
    assert summary["status"] == "success", summary
    assert any(secret in str(call) for call in desktop.calls)  # the real value was typed
    shown = [
        client.get(f"/api/runs/{run['id']}/log").text,
        client.get(f"/api/runs/{run['id']}").text,
        client.get("/api/runs").text,
        client.get("/api/history").text,
    ]
    with client.stream("GET", f"/api/runs/{run['id']}/events") as stream:
        shown.append("".join(stream.iter_text()))
    assert all(secret not in text for text in shown)
    assert MASK in shown[0]
    (folder,) = (tmp_path / "runs").iterdir()
    assert secret.lower() not in folder.name
    for name in ("trajectory.jsonl", "report.html"):
        assert secret not in (folder / name).read_text(encoding="utf-8"), name


def test_whatever_a_run_says_is_masked_before_a_viewer_sees_it() -> None:
    live = LiveRun(RunRequest(instruction="type 'pw-123' into Password", secrets=["pw-123"]))
    live.set_status("error", "could not type 'pw-123'")
    (event,) = live.events_after(0, timeout=0)
    assert live.message == event.data.message == f"could not type '{MASK}'"  # type: ignore[union-attr]
    assert live.summary().request.instruction == f"type '{MASK}' into Password"
    assert live.request.secrets == ["pw-123"]  # the run itself still has the value

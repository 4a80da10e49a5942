"""What runs a console run: checks a request, builds its policy and device, runs the agent
with the console's feed among its observers (each recorded step reaches the live run), and
closes the device however the run ends. Model runtimes are loaded once and kept for later
runs; the OCR engine is loaded once and shared.

The console's API key (`$OPENAI_API_KEY`) goes only to a server it trusts: its own `--server`
and those named by `--trust-server`. A request may name any other server, which then gets
the run's screenshots but no key."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from screenpilot.agent.assembly import choose_policy, make_policy, make_runtime, open_device
from screenpilot.devices.protocol import Device
from screenpilot.models.runtime import Runtime
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from screenpilot.perception.sizing import VisualBudget
from screenpilot.web.board import LiveRun, RunRequest
from screenpilot.web.events import RunStatus
from screenpilot.web.feed import ConsoleFeed


class RuntimeFactory(Protocol):
    """What makes a model runtime (`make_runtime`)."""

    def __call__(
        self, model: str | None, server: str | None, *, send_key: bool = True
    ) -> Runtime | None: ...


def same_server(a: str, b: str) -> bool:
    """Whether two server URLs are the same one, as written (a trailing slash aside):
    anything else, even another spelling of the host, is another server."""
    return a.strip().rstrip("/") == b.strip().rstrip("/")


class Runner:
    """Runs console requests, sharing one OCR engine and the loaded model runtimes.

    `devices` opens a device from its spec (`open_device`); with `read_screen` False runs
    see only the elements a device reports itself (no OCR: the fast tests' fake desktop).
    `trusted` are servers besides `server` that may have the key; `runtimes` makes a model
    runtime (`make_runtime`, called with `send_key=`)."""

    def __init__(
        self,
        output: Path,
        *,
        model: str | None = None,
        server: str | None = None,
        confirm_timeout: float = 300.0,
        devices: Callable[[str], Device] = open_device,
        read_screen: bool = True,
        trusted: Iterable[str] = (),
        runtimes: RuntimeFactory = make_runtime,
    ) -> None:
        self.output = output
        self.model, self.server = model, server
        self.trusted = [url for url in (server, *trusted) if url]
        self._make_runtime = runtimes
        self.confirm_timeout = confirm_timeout
        self.devices, self.read_screen = devices, read_screen
        self._ocr: RapidOcr | None = None
        self._runtimes: dict[tuple[str | None, str | None], Runtime] = {}
        # Apart: loading a model takes minutes and must not hold up OCR-only runs.
        self._ocr_lock = threading.Lock()
        self._runtime_lock = threading.Lock()

    @property
    def ocr(self) -> RapidOcr:
        """The OCR engine, loaded on first use (a second or two)."""
        with self._ocr_lock:
            if self._ocr is None:
                self._ocr = RapidOcr()
            return self._ocr

    def model_for(self, request: RunRequest) -> tuple[str | None, str | None]:
        """The model and server a request runs with: its own, else the console's."""
        if request.model or request.server:
            return request.model, request.server
        return self.model, self.server

    def check(self, request: RunRequest) -> str:
        """The policy the request will run with; InvalidInputError or PolicyError when it
        cannot run (a model policy with no model, an instruction the rules cannot read)."""
        model, server = self.model_for(request)
        chosen = choose_policy(request.policy, has_model=bool(model or server))
        if chosen == "rules":
            from screenpilot.policies.rules import read_instruction

            read_instruction(request.instruction)
        return chosen

    def trusts(self, server: str) -> bool:
        """Whether `server` may have the console's API key."""
        return any(same_server(server, known) for known in self.trusted)

    def runtime(self, model: str | None, server: str | None) -> Runtime | None:
        """The runtime for this model and server, made once; a server the console does not
        trust gets no API key."""
        key = (model, server)
        with self._runtime_lock:
            if key not in self._runtimes:
                send_key = server is not None and self.trusts(server)
                loaded = self._make_runtime(model, server, send_key=send_key)
                if loaded is None:
                    return None
                self._runtimes[key] = loaded
            return self._runtimes[key]

    def __call__(self, live: LiveRun) -> None:
        from screenpilot.agent.loop import Agent, Budgets

        request = live.request
        chosen = self.check(request)
        runtime = None
        if chosen != "rules":
            model, server = self.model_for(request)
            live.set_status("loading", f"loading {model or server}")
            runtime = self.runtime(model, server)
        policy = make_policy(
            chosen,
            runtime,
            device=request.device,
            temperature=request.temperature,
            thinking=request.thinking,
            budget=VisualBudget(max_tokens=request.visual_tokens),
        )
        reader = ScreenReader(self.ocr) if self.read_screen else None
        if live.stopped:
            live.set_status("cancelled", "stopped before it started")
            return
        live.set_status("opening", f"opening {request.device}")
        with self.devices(request.device) as device:
            agent = Agent(
                device,
                policy,
                reader=reader,
                confirm=live.ask,
                budgets=Budgets(max_steps=request.max_steps),
                output=self.output,
                dry_run=request.dry_run,
                secrets=request.secrets,
                observers=[ConsoleFeed(live, lambda: agent.folder)],
            )
            live.attach(agent.cancel)
            live.set_status("running", f"{policy.name} policy on {request.device}")
            result = agent.run(request.instruction)
        live.folder = result.folder
        report = (
            f"/runs/{result.folder.name}/report.html"
            if result.folder is not None and result.report is not None
            else None
        )
        live.set_outcome(
            RunStatus(
                status=result.status,
                message=result.message,
                steps=result.steps,
                model_calls=result.model_calls,
                seconds=round(result.seconds, 2),
                folder=result.folder.name if result.folder else None,
                report=report,
                answers=result.answers,
            )
        )

"""The recorder: the sink every source feeds, and the loop that turns its events into steps.

A source delivers events and snapshots from its own threads. The recorder keeps the last
few snapshots in a ring and hands events, in order, to a `Collapser` in the thread that
called `run`, which is also where naming (and OCR) happens; each step that becomes final goes
to `on_step` at once, so a person sees the recording grow. An event waits (briefly) until a
snapshot begun after it has arrived, so the screen "just before" it is the newest one taken
before it, not an older one that happened to finish first.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

from screenpilot.recording.collapse import Collapser
from screenpilot.recording.events import InputEvent, Snapshot
from screenpilot.recording.naming import Namer, PixelReader
from screenpilot.recording.steps import RecordedStep, Source

#: Snapshots kept once every event delivered has been named: enough to reach back past any
#: press still being collapsed. While naming runs behind (OCR on a busy machine), the
#: snapshots the events waiting to be named need are kept too, up to `MOST_KEPT`.
RING = 24
MOST_KEPT = 400
#: How long an event waits for the snapshot that closes the moment before it.
SNAPSHOT_WAIT = 1.5


class Recorder:
    """Records from `source` until `stop` is set (or Ctrl+C, or the source fails: its
    `failure` then says why) and returns the steps."""

    def __init__(
        self,
        source: Source,
        *,
        read_pixels: PixelReader | None = None,
        on_step: Callable[[RecordedStep], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.on_step = on_step
        self.clock = clock
        self.namer = Namer(read_pixels)
        self.collapser = Collapser(self.before, self.namer, touch=source.touch)
        self.steps: list[RecordedStep] = []
        self._events: queue.Queue[InputEvent] = queue.Queue()
        self._ring: deque[Snapshot] = deque()
        self._waiting: deque[float] = deque()  # times of events delivered, not yet named
        self._lock = threading.Lock()
        self._fresh = threading.Condition(self._lock)

    # ------------------------------------------------------------------ the sink
    def event(self, event: InputEvent) -> None:
        with self._lock:
            self._waiting.append(event.time)
        self._events.put(event)

    def snapshot(self, snapshot: Snapshot) -> None:
        with self._fresh:
            self._ring.append(snapshot)
            self._trim()
            self._fresh.notify_all()

    def _trim(self) -> None:
        """Drop the oldest snapshots past `RING`, but not one the oldest event waiting to
        be named may need: the newest begun before it stays (up to `MOST_KEPT`)."""
        ring = self._ring
        while len(ring) > RING:
            needed = self._waiting[0] if self._waiting else None
            if len(ring) <= MOST_KEPT and needed is not None and ring[1].time > needed:
                return
            ring.popleft()

    # ------------------------------------------------------------------ reading the ring
    def before(self, moment: float) -> Snapshot | None:
        """The newest snapshot begun at or before `moment` (None when there is none)."""
        with self._lock:
            found = [s for s in self._ring if s.time <= moment]
            return found[-1] if found else None

    def latest(self) -> Snapshot | None:
        with self._lock:
            return self._ring[-1] if self._ring else None

    def _wait_for_after(self, moment: float, timeout: float) -> None:
        end = self.clock() + timeout
        with self._fresh:
            while not (self._ring and self._ring[-1].time > moment):
                left = end - self.clock()
                if left <= 0:
                    return
                self._fresh.wait(min(left, 0.05))

    # ------------------------------------------------------------------ recording
    def run(
        self, stop: threading.Event, *, ready: Callable[[], None] | None = None
    ) -> list[RecordedStep]:
        """Start the source, collapse what it delivers until `stop` is set or the user
        presses Ctrl+C, stop the source, and return every step (the last ones closed).
        `ready` is called once the source sees input: what a person does from then on is
        recorded. Ctrl+C sets `stop` (a second one interrupts): naming runs behind the
        events, and the event being named when it comes still counts."""
        self.source.start(self)
        if ready is not None:
            ready()
        try:
            with _interrupt_sets(stop):
                while not stop.is_set() and self.source.failure is None:
                    try:
                        event = self._events.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    self._take(event)
        except KeyboardInterrupt:
            pass
        finally:
            self.source.stop()
        while True:  # what arrived before the source stopped still counts
            try:
                self._take(self._events.get_nowait(), wait=False)
            except queue.Empty:
                break
        self._publish(self.collapser.finish(self.latest()))
        return self.steps

    def _take(self, event: InputEvent, *, wait: bool = True) -> None:
        try:
            if wait:
                self._wait_for_after(event.time, SNAPSHOT_WAIT)
            self._publish(self.collapser.feed(event))
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting.popleft()
                self._trim()

    def _publish(self, steps: list[RecordedStep]) -> None:
        for step in steps:
            self.steps.append(step)
            if self.on_step is not None:
                self.on_step(step)


@contextlib.contextmanager
def _interrupt_sets(stop: threading.Event) -> Iterator[None]:
    """While inside, the first SIGINT (Ctrl+C) sets `stop` instead of raising
    KeyboardInterrupt wherever the main thread happens to be; the next one interrupts as
    usual. Outside the main thread (where no handler can be set) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def first(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)

"""Runs one action on a device and proves it worked.

For every action: observe (screenshot + elements), place the target (a point, a box, an
element of the observation, or words grounded just now on this very screenshot), act through
the device, wait until the screen settles, then check the action's effect
(`actions.verification`). "No visible effect" is a failed step, never a silent success.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from screenpilot.actions.guard import ALLOWED, Guard, RefusedError, SafetyDecision
from screenpilot.actions.placement import (
    GroundingError,
    Placed,
    element_at,
    intent_of,
    main_placement,
    needs_elements,
    only_editable,
    swipe_end,
    under_pointer,
)
from screenpilot.actions.retyping import Typing, first_try, retry
from screenpilot.actions.targets import Description, ElementRef, Target, WindowPoint
from screenpilot.actions.verification import TREE_SOURCES, Verdict, field_region, verify
from screenpilot.actions.vocabulary import (
    Action,
    Answer,
    Click,
    Drag,
    Finish,
    Hover,
    Key,
    LongPress,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.devices.protocol import CachesElements, Device
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.change import Frame, wait_for_change, wait_until_stable
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import Rect, ScreenBox, ScreenPoint
from screenpilot.perception.grounding import Found, Intent, NotFound, ground
from screenpilot.perception.ocr import ScreenReader, text_in
from screenpilot.perception.screenshot import Observation, Screenshot

log = logging.getLogger(__name__)

#: Share of pixels that may differ between two frames still called "the same": a blinking
#: text caret is a few dozen of the two million pixels of a 1080p screen; this allows ~100.
SETTLE_NOISE = 0.00005
#: How long a click into a field may take to show (a caret, a focus ring) before typing, and
#: how often the screen is looked at meanwhile (a capture and compare is ~2 ms; a toolkit
#: shows the focus within a few ms of the click).
FOCUS_WAIT, FOCUS_POLL = 0.5, 0.01


#: Longest gap between two clicks that toolkits take as a double click (GTK's default 400 ms,
#: Qt's and X's 400-500 ms), with a margin.
DOUBLE_CLICK_TIME = 0.55

__all__ = ["GroundingError", "Placed", "RefusedError"]


class StepFailedError(ScreenpilotError):
    """An action ran but its effect could not be seen."""

    def __init__(self, result: StepResult) -> None:
        self.result = result
        super().__init__(f"{result.action.type} failed verification: {result.verdict.reason}")


@dataclass(frozen=True)
class Timings:
    """Where one step's seconds went."""

    ground: float = 0.0  # observing and placing the targets
    act: float = 0.0  # sending the input
    settle: float = 0.0  # waiting for the screen to hold still
    verify: float = 0.0  # checking the effect


@dataclass(frozen=True)
class Pacing:
    """How the executor waits for the screen: it must hold still for two frames
    `settle_interval` apart (giving up after `settle_timeout`), and an unchanged screen is
    not trusted as settled before `react` seconds, the time an application gets to start
    drawing its answer."""

    settle_timeout: float = 3.0
    settle_interval: float = 0.05
    react: float = 0.1
    #: How long a key chord or typing whose effect was not seen is watched further before
    #: it fails (a Save dialog that opens slowly): a retry must not press ctrl+s twice.
    late: float = 1.5


@dataclass(frozen=True)
class StepResult:
    """What one action did and whether its effect was seen."""

    action: Action
    verdict: Verdict
    placements: tuple[Placed, ...]
    seconds: float
    settled: bool
    observation: Observation  # what the screen was when the action was placed
    after: Screenshot | None = None  # the settled screen the verdict was read from
    safety: SafetyDecision = ALLOWED
    timings: Timings = Timings()

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def placed(self) -> Placed | None:
        """The placement a person looks at first (see `main_placement`)."""
        return main_placement(self.placements)


class Executor:
    """Acts on a device with verification. `reader` adds OCR and pixel-found fields when
    the device's own elements (accessibility) do not have what a description names.
    `guard` judges every action once its targets are placed and before any input is sent;
    an action it blocks raises `RefusedError`. Waiting follows `Pacing` (the keyword
    arguments of the same names set it field by field)."""

    def __init__(
        self,
        device: Device,
        *,
        reader: ScreenReader | None = None,
        guard: Guard | None = None,
        pacing: Pacing | None = None,
        settle_timeout: float | None = None,
        settle_interval: float | None = None,
        react: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.device = device
        self.reader = reader
        self.guard = guard
        pacing = pacing or Pacing()
        self.settle_timeout = pacing.settle_timeout if settle_timeout is None else settle_timeout
        self.settle_interval = (
            pacing.settle_interval if settle_interval is None else settle_interval
        )
        self.react = pacing.react if react is None else react
        self.late = pacing.late
        self.clock = clock
        self.sleep = sleep
        self.probe = ExecutorProbe(self)
        self._last_click: tuple[ScreenPoint | None, float] | None = None
        #: The typing step whose verification failed last, and the value it aimed at: the
        #: same step run next is a retry, typed so that it cannot double the text.
        self._unfinished: tuple[TypeText, str | None] | None = None
        self._typing: Typing | None = None  # what the current typing step sent

    # ------------------------------------------------------------------ seeing
    def observe(self, *, with_elements: bool = True, with_ocr: bool = False) -> Observation:
        """A screenshot and its elements: the device's own, plus OCR when asked for or
        when the device has none. Without `with_elements`, just the screenshot (reading an
        accessibility tree costs ~15 ms; a click on a point does not need it)."""
        shot = self.device.screenshot()
        if not with_elements:
            return Observation(shot, [])
        elements = self.device.elements()
        if self.reader is not None and (with_ocr or not elements):
            elements = elements + self._read_pixels(shot)
        return Observation(shot, elements)

    def _read_pixels(self, shot: Screenshot) -> list[Element]:
        """OCR text and drawn controls, those inside the active window marked as such (a
        dialog in front wins a tie with the window behind it)."""
        assert self.reader is not None
        found = self.reader.elements(shot.pixels, shot.geometry)
        box = self.device.active_window_box()
        if box is None:
            return found
        return [
            e.model_copy(update={"states": e.states | {"active-window"}})
            if box.contains(e.box.center)
            else e
            for e in found
        ]

    def place(
        self, target: Target, observation: Observation, intent: Intent = "any"
    ) -> tuple[Placed, Observation]:
        """The screen point for a target on this observation (grounding words if needed,
        for an action that will `intent` it); returns the observation too, as grounding may
        have added OCR elements to it."""
        # A bare point or box is placed with the element under it, so the guard judges
        # what a model's `left_click [x, y]` really presses.
        if isinstance(target, ScreenPoint):
            under, observation = self._under(target, observation)
            return Placed(target, element=under), observation
        if isinstance(target, ScreenBox):
            under, observation = self._under(target.center, observation)
            return Placed(target.center, box=target, element=under), observation
        if isinstance(target, WindowPoint):
            return self._in_window(target, observation)
        if isinstance(target, ElementRef):
            for element in observation.elements:
                if element.id == target.id:
                    return Placed(element.box.center, element.box, element), observation
            raise GroundingError(NotFound(f"element {target.id!r}"), observation)
        assert isinstance(target, Description)
        result = ground(target.text, observation.elements, intent=intent)
        has_ocr = any(e.source in ("ocr", "pixels") for e in observation.elements)
        if not isinstance(result, Found) and self.reader is not None and not has_ocr:
            # The device's own elements lack it (a Tk window among GTK ones): read the pixels.
            shot = observation.screenshot
            observation = Observation(shot, observation.elements + self._read_pixels(shot))
            result = ground(target.text, observation.elements, intent=intent)
        if not isinstance(result, Found):
            raise GroundingError(result, observation)
        point = observation.geometry.guard(result.point)
        return Placed(point, result.box, result.element, result), observation

    def _in_window(
        self, target: WindowPoint, observation: Observation
    ) -> tuple[Placed, Observation]:
        """A point relative to the active window, placed where that window is now."""
        box = self.device.active_window_box()
        if box is None:
            what = f"({target.x:.0f}, {target.y:.0f}) in the active window"
            raise GroundingError(
                NotFound(what, note="this device cannot tell where its active window is"),
                observation,
            )
        point = observation.geometry.guard(ScreenPoint(x=box.x1 + target.x, y=box.y1 + target.y))
        under, observation = self._under(point, observation)
        return Placed(point, element=under), observation

    def _under(
        self, point: ScreenPoint, observation: Observation
    ) -> tuple[Element | None, Observation]:
        """The element under a point; when the device's own elements have nothing there (a
        Tk window among GTK ones) and a guard must judge it, what OCR reads there."""
        under = element_at(observation, point)
        has_ocr = any(e.source in ("ocr", "pixels") for e in observation.elements)
        if under is None and self.guard is not None and self.reader is not None and not has_ocr:
            shot = observation.screenshot
            observation = Observation(shot, observation.elements + self._read_pixels(shot))
            under = element_at(observation, point)
        return under, observation

    def place_all(
        self, action: Action, observation: Observation
    ) -> tuple[tuple[Placed, ...], Observation]:
        """Every target of the action placed on this observation, each with its role (a
        swipe given by direction gets its computed end too; a guarded click or scroll with
        no target, the pointer's place when the device can tell it). Raises GroundingError."""
        placements: list[Placed] = []
        for role, target in action.targets:
            intent = intent_of(action) if role == "target" else "any"
            placed, observation = self.place(target, observation, intent)
            placements.append(replace(placed, role=role))
        if isinstance(action, TypeText) and action.target is None:
            only = only_editable(observation)
            if only is not None:
                placements.append(only)
        if isinstance(action, Swipe) and action.direction is not None:
            placements.append(swipe_end(action, placements, observation))
        if isinstance(action, Click | Scroll) and action.target is None and self.guard is not None:
            pointer = under_pointer(self.device, observation)
            if pointer is not None:  # the click lands where the pointer is: judge that place
                placements.append(pointer)
        return tuple(placements), observation

    # ------------------------------------------------------------------ acting
    def run(self, action: Action) -> StepResult:
        """Do one action and check its effect. Raises GroundingError when a target cannot
        be placed and RefusedError when the guard blocks it; returns a result with `ok`
        False when the effect is not seen."""
        start = self.clock()
        guarded = self.guard is not None
        before = self.observe(with_elements=needs_elements(action, guarded=guarded))
        placements, before = self.place_all(action, before)
        safety = self.guard(action, placements, before) if self.guard is not None else ALLOWED
        if safety.blocked:
            raise RefusedError(action, safety, before, placements)
        placed = main_placement(placements)
        placed_at = self.clock()
        already = _already(action, placed)
        if already is not None:
            # "check Subscribe" on a ticked box: clicking would untick it.
            timings = Timings(ground=placed_at - start)
            log.info("%s -> ok (%s)", action.type, already.reason)
            return StepResult(
                action, already, placements, placed_at - start, True, before, None, safety, timings
            )
        self._typing = None
        self._act(action, placements, before)
        acted_at = self.clock()
        if self.reader is not None and isinstance(action, TypeText | Key):
            keyed = placed.box if placed is not None else None
            self.reader.keys_went_to(field_region(keyed, before) if keyed is not None else None)
        after, settled = self._settle(action, before, _checked_elsewhere(action, placed, before))
        settled_at = self.clock()
        verdict, after = self._verify(action, placed, before, after)
        done = self.clock()
        timings = Timings(placed_at - start, acted_at - placed_at, settled_at - acted_at,
                          done - settled_at)  # fmt: skip
        log.info("%s -> %s (%s)", action.type, "ok" if verdict.ok else "FAILED", verdict.reason)
        return StepResult(
            action, verdict, placements, done - start, settled, before, after, safety, timings
        )

    def run_all(self, actions: Iterable[Action]) -> list[StepResult]:
        """Run actions in order; stop with StepFailedError at the first one whose effect is not
        seen (the results so far are on the exception's `result`)."""
        results = []
        for action in actions:
            result = self.run(action)
            results.append(result)
            if not result.ok:
                raise StepFailedError(result)
        return results

    def _act(self, action: Action, placements: tuple[Placed, ...], before: Observation) -> None:
        d = self.device
        at_role = {p.role: p.point for p in placements}
        at = at_role.get("target")
        match action:
            case Click(button=button, count=count):
                self._apart_from_the_last_click(at)
                d.click(at, button, count)
                self._last_click = (at, self.clock())
            case Hover():
                assert at is not None
                d.move(at)
            case LongPress(duration=seconds):
                assert at is not None
                d.long_press(at, seconds)
            case Drag(duration=seconds):
                d.drag(at_role.get("start"), at_role["end"], seconds)
            case Swipe(duration=seconds):
                first = at_role.get("start") or before.geometry.screen_box.center
                d.drag(first, at_role["end"], seconds)
            case Scroll(direction=direction, amount=amount):
                d.scroll(direction, amount, at)
            case TypeText(press_enter=enter):
                target = main_placement(placements)
                typing = self._typing = self._plan_typing(action, target, before)
                if typing.note:
                    log.info("%s", typing.note)
                if at is not None:
                    d.click(at)
                    # Let the field take the focus before the first key: a browser busy with
                    # the click drops a keystroke that arrives too early. The focus shows (a
                    # caret, a ring) as soon as the click is taken; the screen need not be
                    # still (a GTK theme fades the ring in over 200 ms). A field the tree
                    # says is focused already shows nothing new.
                    if target is None or not _has_focus(target):
                        self._focus_shown(before.screenshot.raw)
                if typing.clear:
                    # End, then Shift+Home selects the line in Tk, GTK and browsers alike
                    # (Ctrl+A does not select all in Tk).
                    d.key(["end"])
                    d.key(["shift", "home"])
                    d.key(["backspace"])
                elif at is not None:
                    # The click put the caret wherever it landed, maybe mid-text: adding
                    # to a field means adding at its end.
                    d.key(["end"])
                if typing.text:
                    d.type_text(typing.text)
                if enter:
                    d.key(["enter"])
            case Key(keys=keys):
                d.key(keys)
            case SystemButton(button=button):
                d.system_button(button)
            case OpenApp(app=app):
                d.open_app(app)
            case Wait(seconds=seconds) if seconds is not None:
                self.sleep(seconds)
            case Wait() | Answer() | Finish():
                pass

    def _focus_shown(self, before: Frame) -> None:
        """Wait (briefly) for the screen to show that a click was taken."""
        wait_for_change(
            lambda: self.device.screenshot().raw,
            before,
            timeout=FOCUS_WAIT,
            interval=min(FOCUS_POLL, self.settle_interval / 2),
            max_changed=SETTLE_NOISE,
            clock=self.clock,
            sleep=self.sleep,
        )

    def _plan_typing(self, action: TypeText, placed: Placed | None, before: Observation) -> Typing:
        """The step as written, or, when it is the retry of the typing that failed last,
        only what the field lacks (see `actions.retyping`)."""
        read = None
        element = placed.element if placed is not None else None
        readable = element is None or element.source not in TREE_SOURCES
        if self.reader is not None and placed is not None and placed.box is not None and readable:
            read = self.probe.read_text(before.screenshot.pixels, field_region(placed.box, before))
        last = self._unfinished
        if last is not None and last[0] == action:
            return retry(action, placed, last[1], read)
        return first_try(action, placed, read)

    def _verify(
        self, action: Action, placed: Placed | None, before: Observation, after: Screenshot | None
    ) -> tuple[Verdict, Screenshot | None]:
        """The verdict on the settled screen; a key chord or typing not seen to work is
        watched for `late` seconds more before it fails, so a late effect is not retried."""
        typing = self._typing
        intended = typing.intended if typing is not None else None
        verdict = verify(action, placed, before, after, self.probe, intended=intended)
        pause = max(self.settle_interval, 0.05) * 2
        deadline, looks = self.clock() + self.late, int(self.late / pause)
        # An event the toolkit should have sent may never have come (a field seen holding
        # "bob" on the screen stayed '' in the cached tree for 1.5 s): the first late look
        # reads the tree afresh; later ones take the events that read has in hand again.
        doubt = isinstance(self.device, CachesElements)
        while not verdict.ok and isinstance(action, Key | TypeText) and looks > 0:
            if self.clock() >= deadline:
                break
            self.sleep(pause)
            looks -= 1
            if doubt and isinstance(self.device, CachesElements):
                self.device.forget_elements()
                doubt = False
            after = self.device.screenshot()
            verdict = verify(action, placed, before, after, self.probe, intended=intended)
            if verdict.ok:
                verdict = replace(verdict, reason=f"{verdict.reason} (seen late)")
        if typing is not None and typing.note:
            verdict = replace(verdict, reason=f"{typing.note}; {verdict.reason}")
        failed = isinstance(action, TypeText) and not verdict.ok
        self._unfinished = (action, intended) if isinstance(action, TypeText) and failed else None
        return verdict, after

    def _apart_from_the_last_click(self, at: ScreenPoint | None) -> None:
        """Two clicks on one spot in quick succession are a double click to the toolkit (a
        calculator's "0", "0" would give one 0): the second waits out the double-click time."""
        if self._last_click is None or at is None:
            return
        last, when = self._last_click
        if last is None or abs(last.x - at.x) > 4 or abs(last.y - at.y) > 4:
            return
        left = DOUBLE_CLICK_TIME - (self.clock() - when)
        if left > 0:
            self.sleep(left)

    def _settle(
        self, action: Action, before: Observation, changing: list[Rect]
    ) -> tuple[Screenshot | None, bool]:
        if isinstance(action, Answer | Finish):
            return None, True
        shots: list[Screenshot] = []

        def grab() -> Frame:
            shots[:] = [self.device.screenshot()]
            return shots[0].raw

        settled = wait_until_stable(
            grab,
            timeout=self.settle_timeout,
            interval=self.settle_interval,
            max_changed=SETTLE_NOISE,
            react=self.react,
            changing=changing,
            # Typed text is drawn before the wait begins: seeing it there is the reaction.
            # A click's first sign (a button pressed) may come well before its effect, so
            # its wait keeps the floor.
            since=before.screenshot.raw if isinstance(action, TypeText) else None,
            clock=self.clock,
            sleep=self.sleep,
        )
        return shots[0], settled.stable


def _checked_elsewhere(action: Action, placed: Placed | None, before: Observation) -> list[Rect]:
    """The pixels that need not be still after typing into a field whose text the
    accessibility tree tells (verification reads it there): that field and the one that had
    the focus, whose focus rings fade in and out (over 200 ms in GTK's theme) and whose
    carets blink. None for a field read by OCR, which must be still to be read."""
    if not isinstance(action, TypeText) or placed is None or placed.box is None:
        return []
    if placed.element is None or placed.element.source not in TREE_SOURCES:
        return []
    losing = [
        e.box
        for e in before.elements
        if "focused" in e.states and e.source in TREE_SOURCES and e is not placed.element
    ]
    return [field_region(box, before) for box in (placed.box, *losing)]


def _has_focus(placed: Placed) -> bool:
    """The accessibility tree says the field has the keyboard focus already: a click into
    it changes nothing to wait for."""
    return placed.element is not None and "focused" in placed.element.states


def _already(action: Action, placed: Placed | None) -> Verdict | None:
    """A passed verdict when a click that ensures a state finds it there already."""
    if not isinstance(action, Click) or action.ensure is None or placed is None:
        return None
    element = placed.element
    if element is None or element.checked is None:
        return None  # the state is not known: click, and let verification judge
    if element.checked == (action.ensure == "checked"):
        return Verdict(True, f"{element.name or 'it'!r} is {action.ensure} already")
    return None


class ExecutorProbe:
    """What verification may do on the executor's device: look again (with OCR), read the
    device's elements, read text in a region, pause between looks, tell the time."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    @property
    def can_read(self) -> bool:
        return self._executor.reader is not None

    def observe(self) -> Observation:
        return self._executor.observe(with_ocr=True)

    def elements(self) -> list[Element]:
        return self._executor.device.elements()

    def read_text(self, pixels: Frame, region: Rect) -> str:
        reader = self._executor.reader
        return text_in(reader.read_region(pixels, region)) if reader is not None else ""

    def settle(self) -> None:
        self._executor.sleep(self._executor.settle_interval * 4)

    def now(self) -> float:
        return self._executor.clock()

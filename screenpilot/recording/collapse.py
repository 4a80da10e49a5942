"""From input events to task steps, as a person would write them down.

The `Collapser` is fed events in order (`feed`) and hands back the steps that are final; a
step stays open while the next events may still belong to it:

- keystrokes into one field become one `type` step with that field as its target; the click
  that put the focus there is folded in (a type step clicks its target first); Backspace
  takes back a typed character; Enter ends the text (`press_enter`);
- a shortcut (a key with Ctrl, Alt or Super held, or a key that types nothing: Tab, Escape,
  F5, arrows) is a `key` step; modifiers alone are nothing;
- a run of wheel clicks one way over one place is one `scroll`;
- press, move, release is a `drag` (on a touch screen a `swipe`); a touch held still is a
  `long_press`; two clicks on one place in quick succession are one double click;
- a field's text read from the screen (`TextChanged`, a phone's soft keyboard) is a `type`
  step that replaces what the field held.

Targets are named on the snapshot from just before the press (`naming`). Typing into a
password field keeps `${password}` instead of the text. After a step that opened or closed a
window or changed most of the screen, a `wait` for text the new screen shows is inserted, so
a replay does not race the program.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from screenpilot.actions.keys import MODIFIERS
from screenpilot.actions.targets import Target
from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Drag,
    Key,
    LongPress,
    MouseButton,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.perception.change import changed_fraction
from screenpilot.perception.elements import INPUT_ROLES, Element
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.perception.grounding import Intent
from screenpilot.recording.events import (
    InputEvent,
    KeyPress,
    Motion,
    Press,
    Release,
    Snapshot,
    TextChanged,
    Wheel,
)
from screenpilot.recording.naming import Named, Namer, holds_a_password
from screenpilot.recording.steps import RecordedStep

#: A press that moves farther than this (px) before it is released drags; a touch swipes
#: past Android's touch slop (8 dp, about 24 px on a phone).
DRAG_DISTANCE = 12.0
TOUCH_SLOP = 24.0
#: A second click within this many seconds on the same place makes a double click.
DOUBLE_CLICK_SECONDS = 0.45
DOUBLE_CLICK_DISTANCE = 6.0
#: A touch held still this long is a long press (Android's default long-press timeout).
LONG_PRESS_SECONDS = 0.5
#: The share of a phone screen's height at its bottom where the navigation bar's Back,
#: Home and Recents sit (left to right), below anything uiautomator dumps.
NAVIGATION_BAR = 0.06
#: Wheel clicks this close together in time and place are one scroll.
SCROLL_GAP_SECONDS = 1.5
SCROLL_DISTANCE = 60.0
#: A step after which this share of the screen changed gets a wait for the new screen.
MOST_OF_THE_SCREEN = 0.5
#: How long a replay waits for the screen a step opens.
WAIT_TIMEOUT = 10.0
#: Touch keys that are a phone's system buttons.
_SYSTEM_KEYS = {"back": "back", "home": "home", "recents": "recents", "enter": "enter"}

#: Finds the snapshot from just before a time (None when there is none yet).
Frames = Callable[[float], Snapshot | None]


@dataclass
class _Press:
    event: Press
    before: Snapshot | None
    farthest: float = 0.0
    last: ScreenPoint | None = None


@dataclass
class _Typing:
    """A type step being written: its text so far, where it goes, what the screen was."""

    text: str
    named: Named | None
    before: Snapshot | None
    field_element: Element | None = None
    replace: bool = False
    enter: bool = False


@dataclass
class _Click:
    event: Press
    before: Snapshot | None
    count: int = 1


@dataclass
class _Scroll:
    event: Wheel
    before: Snapshot | None
    amount: int = 1
    last_time: float = 0.0


@dataclass
class _Emitted:
    """A finished step and the snapshot from before it, kept to see what it changed."""

    step: RecordedStep
    before: Snapshot | None
    done_at: float


@dataclass
class Collapser:
    """Turns events into steps. `frames(t)` gives the snapshot from just before `t`;
    `touch` reads gestures as a touch screen's."""

    frames: Frames
    namer: Namer
    touch: bool = False
    _press: _Press | None = None
    _click: _Click | None = None
    _typing: _Typing | None = None
    _scroll: _Scroll | None = None
    _last: _Emitted | None = None
    _secrets: dict[str, str] = field(default_factory=dict)
    #: A click on something that is not an input, just before typing: its own step, written
    #: out when the typing ends.
    _pending_click_step: tuple[Action, Named, Snapshot | None] | None = None

    # ------------------------------------------------------------------ feeding
    def feed(self, event: InputEvent) -> list[RecordedStep]:
        """Take one event; return the steps it made final (in order)."""
        done: list[RecordedStep] = []
        if isinstance(event, Press):
            done += self._settle_before(event.time)
            self._press = _Press(event, self.frames(event.time), last=event.point)
        elif isinstance(event, Motion):
            if self._press is not None:
                self._press.farthest = max(
                    self._press.farthest, _distance(self._press.event.point, event.point)
                )
                self._press.last = event.point
        elif isinstance(event, Release):
            done += self._released(event)
        elif isinstance(event, Wheel):
            done += self._wheel(event)
        elif isinstance(event, KeyPress):
            done += self._key(event)
        elif isinstance(event, TextChanged):
            done += self._text_changed(event)
        return done

    def finish(self, final: Snapshot | None = None) -> list[RecordedStep]:
        """Close whatever is open; `final` is the screen at the end (for a last wait)."""
        done = self._close_all(final.time if final is not None else None)
        if final is not None:
            done += self._wait_after(final)
        self._last = None
        return done

    # ------------------------------------------------------------------ pointer
    def _released(self, event: Release) -> list[RecordedStep]:
        press, self._press = self._press, None
        if press is None:
            return []
        farthest = max(press.farthest, _distance(press.event.point, event.point))
        if farthest > (TOUCH_SLOP if self.touch else DRAG_DISTANCE):
            done = self._close_click()
            return done + self._emit(self._gesture(press, event.point), press.before, event.time)
        held = event.time - press.event.time
        if self.touch and held >= LONG_PRESS_SECONDS:
            done = self._close_click()
            named = self._name(press.before, press.event.point, "click")
            duration = round(min(max(held, 0.1), 60.0), 2)
            long_press = LongPress(target=named.target, duration=duration)
            return done + self._emit((long_press, named), press.before, event.time)
        previous = self._click
        if (
            previous is not None
            and previous.event.button == press.event.button
            and previous.count < 3
            and press.event.time - previous.event.time <= DOUBLE_CLICK_SECONDS * previous.count
            and _distance(previous.event.point, press.event.point) <= DOUBLE_CLICK_DISTANCE
        ):
            previous.count += 1
            return []
        done = self._close_click()
        self._click = _Click(press.event, press.before)
        return done

    def _gesture(self, press: _Press, end: ScreenPoint) -> tuple[Action, Named]:
        start = self._name(press.before, press.event.point, "any")
        finish = self._name(press.before, end, "any")
        if self.touch:
            return Swipe(start=start.target, end=finish.target), start
        return Drag(start=start.target, end=finish.target), start

    def _wheel(self, event: Wheel) -> list[RecordedStep]:
        scroll = self._scroll
        if (
            scroll is not None
            and scroll.event.direction == event.direction
            and event.time - scroll.last_time <= SCROLL_GAP_SECONDS
            and _distance(scroll.event.point, event.point) <= SCROLL_DISTANCE
            and scroll.amount < 1000
        ):
            scroll.amount += 1
            scroll.last_time = event.time
            return []
        done = self._settle_before(event.time)
        self._scroll = _Scroll(event, self.frames(event.time), last_time=event.time)
        return done

    # ------------------------------------------------------------------ keys
    def _key(self, event: KeyPress) -> list[RecordedStep]:
        if self.touch and event.key in _SYSTEM_KEYS:
            done = self._close_all(event.time)
            button = SystemButton.model_validate({"button": _SYSTEM_KEYS[event.key]})
            return done + self._emit((button, None), self.frames(event.time), event.time)
        if event.key in MODIFIERS:
            return []
        held = event.modifiers - {"shift"}
        typing = self._typing
        if not held and event.text:
            done = self._close_pointer_except_click()
            if typing is None:
                typing = self._typing = self._start_typing(event.time)
            typing.text += event.text
            return done
        if typing is not None and not held and event.key == "backspace" and typing.text:
            typing.text = typing.text[:-1]
            return []
        if typing is not None and not held and event.key == "enter":
            typing.enter = True
            return self._close_typing(event.time)
        done = self._close_all(event.time)
        chord = [m for m in ("ctrl", "alt", "shift", "super") if m in event.modifiers]
        key = Key(keys=[*chord, event.key])
        return done + self._emit((key, None), self.frames(event.time), event.time)

    def _start_typing(self, time: float) -> _Typing:
        """Where typed text goes: the field just clicked (the click folds into the type
        step), else the focused input the snapshot shows, else wherever the focus is."""
        click = self._click
        if click is not None and click.count == 1 and click.event.button == "left":
            self._click = None
            named = self._name(click.before, click.event.point, "type")
            if named.element is None or named.element.role in INPUT_ROLES | {"text", "other"}:
                return _Typing("", named, click.before, named.element)
            # A click on a button before typing is its own step; the text goes to the focus.
            self._pending_click_step = (Click(target=named.target), named, click.before)
        before = self.frames(time)
        focused = _focused_input(before)
        if focused is not None and before is not None:
            named = self._name(before, focused.box.center, "type")
            return _Typing("", named, before, focused)
        return _Typing("", None, before)

    def _text_changed(self, event: TextChanged) -> list[RecordedStep]:
        typing = self._typing
        field = typing.field_element if typing is not None else None
        if typing is not None and field is not None and _same_field(field, event.field):
            typing.text = event.text
            return []
        done = self._close_typing(event.time)
        click = self._click
        before = self.frames(event.time)
        if click is not None and event.field.box.contains(click.event.point):
            self._click = None
            before = click.before
        else:
            done += self._close_click()
        point = event.field.box.center
        named = self._name(before, point, "type") if before is not None else None
        self._typing = _Typing(
            event.text, named, before, event.field, replace=bool(event.field.value)
        )
        return done

    # ------------------------------------------------------------------ closing
    def _settle_before(self, time: float) -> list[RecordedStep]:
        """Close everything a new press or wheel run ends (typing, a scroll, an earlier
        click that is not part of a double click)."""
        done = self._close_typing(time)
        done += self._close_scroll()
        click = self._click
        if click is not None and time - click.event.time > DOUBLE_CLICK_SECONDS * click.count:
            done += self._close_click()
        return done

    def _close_all(self, time: float | None = None) -> list[RecordedStep]:
        return self._close_click() + self._close_typing(time) + self._close_scroll()

    def _close_pointer_except_click(self) -> list[RecordedStep]:
        return self._close_scroll()

    def _close_click(self) -> list[RecordedStep]:
        click, self._click = self._click, None
        if click is None:
            return []
        named = self._name(click.before, click.event.point, "click")
        system = self._navigation_button(click, named)
        if system is not None:
            return self._emit((system, named), click.before, click.event.time)
        button: MouseButton = click.event.button
        count = click.count if click.count in (1, 2, 3) else 1
        action = Click.model_validate({"target": named.target, "button": button, "count": count})
        return self._emit((action, named), click.before, click.event.time)

    def _navigation_button(self, click: _Click, named: Named) -> SystemButton | None:
        """A tap nothing names in a phone's navigation bar: Back, Home or Recents by where
        across the bar it landed."""
        if not self.touch or named.in_words or click.before is None:
            return None
        screen = click.before.observation.geometry.screen_box
        point = click.event.point
        if point.y < screen.y2 - NAVIGATION_BAR * screen.height:
            return None
        third = min(int(3 * (point.x - screen.x1) / max(screen.width, 1)), 2)
        return SystemButton.model_validate({"button": ("back", "home", "recents")[third]})

    def _close_scroll(self) -> list[RecordedStep]:
        scroll, self._scroll = self._scroll, None
        if scroll is None:
            return []
        named = self._name(scroll.before, scroll.event.point, "any")
        target = named.target if named.in_words else None
        action = Scroll(direction=scroll.event.direction, amount=scroll.amount, target=target)
        return self._emit((action, named), scroll.before, scroll.last_time)

    def _close_typing(self, time: float | None) -> list[RecordedStep]:
        done: list[RecordedStep] = []
        pending, self._pending_click_step = self._pending_click_step, None
        if pending is not None:
            action, named, before = pending
            done += self._emit((action, named), before, time or 0.0)
        typing, self._typing = self._typing, None
        if typing is None or (not typing.text and not typing.replace and not typing.enter):
            return done
        target: Target | None = typing.named.target if typing.named is not None else None
        label = typing.named.label if typing.named is not None else ""
        element = typing.field_element or (typing.named.element if typing.named else None)
        secret = None
        text = typing.text
        if holds_a_password(element, label):
            secret = self._secret_for(element, label)
            text = "${" + secret + "}"
        replace = typing.replace or self._replaced(typing, time)
        if not text and typing.enter:
            return done + self._emit(
                (Key(keys=["enter"]), typing.named), typing.before, time or 0.0
            )
        action = TypeText(
            text=text,
            target=target,
            clear_first=replace,
            press_enter=typing.enter,
        )
        return done + self._emit((action, typing.named), typing.before, time or 0.0, secret)

    def _replaced(self, typing: _Typing, time: float | None) -> bool:
        """Whether the typing replaced what the field held (its text was selected, as a
        Save dialog selects the name it offers): the field held something before and holds
        just the typed text after, as the screen from before the next event shows."""
        field = typing.field_element or (typing.named.element if typing.named else None)
        if field is None or not field.value or time is None or not typing.text:
            return False
        after = self.frames(time)
        if after is None:
            return False
        for element in after.observation.elements:
            if element.role in INPUT_ROLES and _same_field(field, element):
                return element.value.strip() == typing.text.strip() != field.value.strip()
        return False

    def _secret_for(self, element: Element | None, label: str) -> str:
        key = element.id if element is not None else label
        if key not in self._secrets:
            n = len(self._secrets) + 1
            self._secrets[key] = "password" if n == 1 else f"password_{n}"
        return self._secrets[key]

    # ------------------------------------------------------------------ emitting
    def _emit(
        self,
        made: tuple[Action, Named | None],
        before: Snapshot | None,
        time: float,
        secret: str | None = None,
    ) -> list[RecordedStep]:
        action, named = made
        done: list[RecordedStep] = []
        if self._last is not None and before is not None:
            done += self._wait_after(before)
        how = named.how if named is not None else ""
        step = RecordedStep(action, how=how, secret=secret)
        done.append(step)
        self._last = _Emitted(step, before, time)
        return done

    def _wait_after(self, after: Snapshot) -> list[RecordedStep]:
        """A wait for the screen the last step opened, when it opened or closed a window or
        changed most of the screen; nothing otherwise."""
        last, self._last = self._last, None
        if last is None or last.before is None or isinstance(last.step, Wait):
            return []
        before = last.before
        if before.window_id and after.window_id:
            new_window = after.window_id != before.window_id
        else:
            new_window = after.window != before.window and bool(after.window)
        if not new_window and _changed(before, after) < MOST_OF_THE_SCREEN:
            return []
        text = self._new_text(before, after)
        if text is None:
            return []
        wait = Wait(until_text=text, timeout=WAIT_TIMEOUT)
        return [RecordedStep(wait, how="the screen it opened")]

    def _new_text(self, before: Snapshot, after: Snapshot) -> str | None:
        """A text the screen after shows that the screen before did not: the new window's
        title when it is shown, else the first new text in reading order."""
        for with_ocr in (False, True):
            seen = {_norm(e.name) for e in self.namer.elements(before, with_ocr=with_ocr)}
            shown = [e for e in self.namer.elements(after, with_ocr=with_ocr) if len(e.name) >= 3]
            fresh = [e for e in shown if _norm(e.name) not in seen and len(e.name) <= 60]
            titled = [e for e in fresh if after.window and e.name == after.window]
            if titled:
                return titled[0].name
            fresh.sort(key=lambda e: (e.role == "window", round(e.box.y1 / 8), e.box.x1))
            if fresh:
                return fresh[0].name.strip()
        return None

    def _name(self, snapshot: Snapshot | None, point: ScreenPoint, intent: Intent) -> Named:
        if snapshot is None:
            return Named(point, "a point on the screen: no screenshot came before it")
        return self.namer.name(snapshot, point, intent)


def _focused_input(snapshot: Snapshot | None) -> Element | None:
    if snapshot is None:
        return None
    for element in snapshot.observation.elements:
        if "focused" in element.states and element.role in INPUT_ROLES:
            return element
    return None


def _same_field(a: Element, b: Element) -> bool:
    return a.id == b.id or (a.box.contains(b.box.center) and b.box.contains(a.box.center))


def _distance(a: ScreenPoint, b: ScreenPoint) -> float:
    return float(np.hypot(a.x - b.x, a.y - b.y))


def _changed(before: Snapshot, after: Snapshot) -> float:
    a, b = before.observation.screenshot.pixels, after.observation.screenshot.pixels
    if a.shape != b.shape:
        return 1.0
    return changed_fraction(a, b)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()

"""How one clause of a plain instruction reads: the readers of every verb family, tried in
order, and those of waiting, the system buttons, checking, scrolling, swiping and opening
apps.

A reader gets a `Clause` (quotes masked) and returns its parts: steps with typed actions,
targets in words and the effect each should have; or raises `ClauseError` saying what the
verb needed. Pointing verbs live in `pointing`, typing verbs and statements of values in
`filling`, choosing in `choosing`, sums in `calculator`, whole everyday phrasings (log in
as, answer yes, confirm, save as, the terminal) in `phrasings`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from screenpilot.actions.vocabulary import (
    Click,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.policies import calculator, choosing, filling, phrasings, pointing
from screenpilot.policies.base import Step
from screenpilot.policies.clauses import (
    MASKED,
    Clause,
    ClauseError,
    Part,
    Readers,
    focus_word,
    has_role,
    times,
    trim,
    verb_kind,
)
from screenpilot.policies.filling import toggles
from screenpilot.policies.pointing import CLOSE_SIGNS, CLOSE_WORDS, close_part

# The order matters where patterns overlap: "Close the window by clicking the x" before
# "close", "check that Saved appears" before "check", "press back" before "press",
# "set Wi-Fi to on" before "set Country to France", "select all" before "select".
_FIRST, _MIDDLE, _LAST = Readers(), Readers(), Readers()
_ORDER = (
    _FIRST,
    phrasings.READERS,
    calculator.READERS,
    pointing.READERS,
    _MIDDLE,
    choosing.READERS,
    filling.READERS,
    _LAST,
)


def read(clause: Clause) -> list[Part]:
    """The parts one clause asks for; ClauseError when no reader can read it."""
    for readers in _ORDER:
        for pattern, reader in readers.entries:
            m = pattern.match(clause.text)
            if m is not None:
                return reader(clause, m)
    verb = verb_kind(clause.text)
    if verb is None:
        raise ClauseError("it does not start with a verb I know")
    word = clause.text.split()[0].lower()
    example = _EXAMPLES.get(word, "click Submit")
    raise ClauseError(f"{word!r} needs other words here, e.g. {example!r}")


_EXAMPLES = {
    "click": "click Submit", "tap": "tap Sign in", "drag": "drag the file onto the Trash",
    "turn": "turn on Wi-Fi", "switch": "switch off Wi-Fi", "scroll": "scroll down 3 times",
    "swipe": "swipe up", "wait": "wait 2 seconds", "fill": "fill Email with bob@example.org",
    "add": "add milk to the end of Notes", "set": "set Country to France", "run":
    "run ls in the terminal", "save": "click Save", "search": "search for cats",
}  # fmt: skip


@_FIRST(
    r"^(?P<purpose>.+?)\s+by\s+(?P<how>click|tap|press|hitt|choos|select)ing(?:\s+on)?\s+(?P<x>.+)$"
)
def _by_doing(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "Close the window by clicking the x": the "by" part says what to do.
    closing = re.match(r"(?:close|exit|quit|dismiss)\b", m["purpose"], re.I)
    if closing and (CLOSE_WORDS.match(trim(m["x"])) or CLOSE_SIGNS.match(trim(m["x"]))):
        return [close_part(clause, m["purpose"])]
    verb = {"hitt": "hit", "choos": "choose"}.get(m["how"].lower(), m["how"].lower())
    parts = read(Clause(f"{verb} {m['x']}", clause.quotes))
    return [replace(p, thought=clause.written()) if isinstance(p, Step) else p for p in parts]


_APPEARS = (
    r"(?:appears?|shows(?:\s+up)?|comes\s+up|"
    r"is\s+(?:shown|visible|displayed|there|on\s+(?:the\s+)?screen))"
)


@_FIRST(
    rf"^(?:check|verify|make\s+sure|ensure|confirm)\s+(?:that\s+|if\s+)?(?P<x>.+?)\s+{_APPEARS}$"
)
def _verify(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [_wait_for(clause, m["x"], None)]


@_FIRST(
    r"^wait(?:\s+for)?\s+(?P<n>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?$"
)
def _wait_seconds(clause: Clause, m: re.Match[str]) -> list[Part]:
    unit = (m["unit"] or "s").lower()
    scale = 0.001 if unit.startswith(("ms", "milli")) else 60.0 if unit.startswith("m") else 1.0
    seconds = round(float(m["n"]) * scale, 3)
    return [clause.step(Wait(seconds=seconds), f"{seconds:g} seconds pass")]


_SHORT_WAITS = {"second": 1.0, "sec": 1.0, "while": 5.0, "few seconds": 3.0}


@_FIRST(
    r"^wait(?:\s+(?:a\s+)?"
    r"(?P<a>second|sec|moment|bit|little(?:\s+bit)?|while|few\s+seconds|briefly))?$"
)
def _wait_short(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "wait" alone (after a click, say) is a short pause: 2 seconds.
    seconds = _SHORT_WAITS.get(" ".join((m["a"] or "").lower().split()), 2.0)
    return [clause.step(Wait(seconds=seconds), f"{seconds:g} seconds pass")]


_GONE = re.compile(
    r"\s+(?:to\s+)?(?:disappears?|vanish(?:es)?|go(?:es)?\s+away|is\s+gone|close[sd]?)$", re.I
)
_SHOWN = re.compile(
    rf"\s+(?:to\s+)?(?:{_APPEARS}|be\s+(?:shown|visible)|show(?:\s+up)?|load(?:s|ed)?|"
    r"finish(?:es)?\s+loading)$",
    re.I,
)


@_FIRST(
    r"^wait\s+(?:(?:for\s+)?(?:up\s+to|at\s+most|no\s+more\s+than)\s+(?P<t>\d+(?:\.\d+)?)\s*"
    r"(?:s|secs?|seconds?)\s+)?(?:for|until|till)\s+(?P<x>.+)$"
)
def _wait_until(clause: Clause, m: re.Match[str]) -> list[Part]:
    x = m["x"]
    if _GONE.search(x):
        raise ClauseError("waiting for something to go away is not an action; wait a few seconds")
    shown = _SHOWN.search(x)
    if shown:
        x = x[: shown.start()]
        if re.fullmatch(r"(?:the\s+)?(?:page|screen|app|it|everything)", trim(x), re.I):
            return [clause.step(Wait(seconds=3.0), "the page has loaded")]
    return [_wait_for(clause, x, float(m["t"]) if m["t"] else None)]


def _wait_for(clause: Clause, span: str, timeout: float | None) -> Step:
    span = trim(span)
    if not span:
        raise ClauseError("say what to wait for, e.g. 'wait for Saved'")
    if has_role(span) and not MASKED.fullmatch(span):
        words = clause.words(span)  # "the OK button": an element, found by grounding
        return clause.step(Wait(until_element=words, timeout=timeout), f"{words} appears")
    text = clause.value(span)
    return clause.step(Wait(until_text=text, timeout=timeout), f"{text!r} appears")


@_FIRST(
    r"^(?:(?:go|navigate|head|move)\s+back(?:wards)?|(?:press|hit|push)\s+(?:the\s+)?back"
    r"(?:\s+(?:button|key))?)$"
)
def _back(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [clause.step(SystemButton(button="back"), "the previous screen shows")]


@_FIRST(
    r"^(?:(?:go|navigate|head|return)\s+(?:back\s+)?(?:to\s+)?(?:the\s+)?home(?:\s+screen)?|"
    r"(?:press|hit|push)\s+(?:the\s+)?home(?:\s+(?:button|key))?)$"
)
def _home(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [clause.step(SystemButton(button="home"), "the home screen shows")]


@_FIRST(
    r"^(?:open|show|press|hit|go\s+to)\s+(?:the\s+)?(?:recents|recent\s+(?:apps|applications)|"
    r"app\s+switcher|overview)(?:\s+(?:screen|button|key))?$"
)
def _recents(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [clause.step(SystemButton(button="recents"), "the recent apps show")]


@_MIDDLE(r"^switch\s+(?:over\s+)?to\s+(?P<x>.+)$")
def _switch_to(clause: Clause, m: re.Match[str]) -> list[Part]:
    target = clause.target(m["x"])
    return [clause.step(Click(target=target), f"{target.text} shows")]


_STATE = {"check": "checked", "tick": "checked", "uncheck": "unchecked", "untick": "unchecked",
          "toggle": "toggled"}  # fmt: skip


@_MIDDLE(
    r"^(?P<verb>check|tick|uncheck|untick|enable|disable|activate|deactivate|toggle|"
    r"(?:turn|switch)\s+(?:on|off))\s+(?P<x>.+)$"
)
def _toggle(clause: Clause, m: re.Match[str]) -> list[Part]:
    verb = " ".join(m["verb"].lower().split())
    on = verb in ("enable", "activate", "turn on", "switch on")
    state = _STATE.get(verb) or ("on" if on else "off")
    return toggles(clause, m["x"], state)


_ON_OFF = {"on": "on", "off": "off", "enabled": "on", "disabled": "off", "checked": "checked",
           "unchecked": "unchecked", "true": "on", "false": "off"}  # fmt: skip


@_MIDDLE(
    r"^(?:turn|switch|set)\s+(?P<x>.+?)\s+(?:to\s+)?"
    r"(?P<s>on|off|enabled|disabled|checked|unchecked|true|false)$"
)
def _toggle_after(clause: Clause, m: re.Match[str]) -> list[Part]:
    return toggles(clause, m["x"], _ON_OFF[m["s"].lower()])


_OPENS_BY_CLICK = re.compile(r"\b(?:dialog|page|panel|drawer|sidebar|section)s?$", re.I)


@_LAST(r"^(?:open|launch|start)\b\s*(?P<x>.*)$")
def _open(clause: Clause, m: re.Match[str]) -> list[Part]:
    span = trim(m["x"])
    if not span:
        raise ClauseError("say what to open, e.g. 'open Settings' or 'open com.android.settings'")
    if has_role(span) or _OPENS_BY_CLICK.search(span):
        target = clause.target(span)  # "open the File menu": a control on the screen
        return [clause.step(Click(target=target), f"{target.text} opens")]
    app = re.sub(r"^(?:the\s+)?(?:app(?:lication)?\s+)?", "", span, flags=re.I)
    app = re.sub(r"\s+(?:app|application)$", "", app, flags=re.I)
    name = clause.value(app)
    return [clause.step(OpenApp(app=name), f"{name} opens")]


@_LAST(
    r"^run\s+(?P<v>.+?)\s+(?:in|on|inside)\s+(?:the\s+|a\s+)?(?:terminal|shell|console|"
    r"command\s+line)$"
)
def _run(clause: Clause, m: re.Match[str]) -> list[Part]:
    text = clause.value(m["v"])
    action = TypeText(text=text, target=None, press_enter=True)
    return [clause.step(action, f"{text!r} runs")]


_DIRECTION = r"(?P<dir>up|down|left|right|sideways)"
_AMOUNTS = {"once": 1, "twice": 2, "thrice": 3, "a bit": 1, "a little": 1, "a little bit": 1,
            "a lot": 10}  # fmt: skip


@_LAST(
    rf"^scroll(?:\s+(?P<pre>(?:the|this)\s+.+?))?(?:\s+{_DIRECTION})?"
    r"(?:\s+(?P<n>\d+)(?:\s*times?)?|"
    r"\s+(?P<word>once|twice|thrice|a\s+(?:little\s+)?bit|a\s+little|a\s+lot))?"
    r"(?:\s+(?:in|on|over|inside|within|through)\s+(?P<post>.+)|\s+(?P<bare>(?:the|this)\s+.+))?$"
)
def _scroll(clause: Clause, m: re.Match[str]) -> list[Part]:
    direction = (m["dir"] or "down").lower()
    if direction == "sideways":
        raise ClauseError("scroll up, down, left or right")
    amount = int(m["n"]) if m["n"] else _AMOUNTS.get(" ".join((m["word"] or "").lower().split()), 3)
    place = m["pre"] or m["post"] or m["bare"]
    # "scroll down the page": the page is wherever the pointer is, not an element.
    target = clause.target(place) if place and not focus_word(place) else None
    action = Scroll(direction=direction, amount=amount, target=target)
    return [clause.step(action, f"the view scrolls {direction}")]


@_LAST(r"^swipe\b(?P<rest>.*)$")
def _swipe(clause: Clause, m: re.Match[str]) -> list[Part]:
    rest, n = times(m["rest"])
    form = re.fullmatch(
        r"(?:\s+(?P<pre>(?:the|this)\s+.+?))?\s+(?P<dir>up|down|left|right)"
        r"(?:\s+(?:on|over|across|in)\s+(?P<post>.+))?",
        rest,
        re.I,
    )
    if form is None:
        raise ClauseError("swipe needs a direction: swipe up, down, left or right")
    direction = form["dir"].lower()
    place = form["pre"] or form["post"]
    start = clause.target(place) if place else None
    action = Swipe(direction=direction, start=start)
    return [clause.step(action, f"the screen is swiped {direction}")] * n


@_LAST(r"^(?:go|navigate|head)\b")
def _go(clause: Clause, m: re.Match[str]) -> list[Part]:
    raise ClauseError(
        "'go' reads as 'go back' or 'go home'; to reach a page or tab, say 'click' it"
    )

# ruff: noqa: RUF001, RUF003  (the look-alike close signs are the point here)
"""Readers of the verbs that point at something: click, tap, press (a key or a button), long
press, hover, drag, focus, close, and the words that are a button's own ("Sign in", "Accept
all"). "press X" is a key when X names a key or chord (`key_chord`), else a click on X.
"""

from __future__ import annotations

import re

from screenpilot.actions.keys import normalise_chord, split_chord
from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click, Drag, Hover, Key, LongPress
from screenpilot.policies.base import Step
from screenpilot.policies.clauses import (
    LABEL_VERBS,
    MASKED,
    Choice,
    Clause,
    ClauseError,
    Part,
    Readers,
    times,
    trim,
)

READERS = Readers()

# What a person calls a close control. The signs alone are left to grounding outside a
# "close" clause: on a calculator × multiplies.
CLOSE_WORDS = re.compile(
    r"^(?:the\s+)?(?:(?:x|cross)(?:\s+(?:button|icon|sign|mark))?|close\s+(?:icon|sign|mark|x))$",
    re.I,
)
CLOSE_SIGNS = re.compile(r"^(?:the\s+)?[×✕✖╳](?:\s+(?:button|icon|sign|mark))?$")
_CLOSE = Description(text="the close button")
_CLOSE_IN_DIALOG = Description(text="the close button in the dialog")
_DIALOG_WORDS = re.compile(r"\b(?:dialog|popup|pop-up|modal|overlay|prompt|alert)\b", re.I)


def close_step(clause: Clause) -> Step:
    # The close control, whatever it looks like (grounding knows x, ×, ✕); never Alt+F4,
    # which closes whatever has the focus.
    return clause.step(Click(target=_CLOSE), "the window or dialog closes")


def close_part(clause: Clause, what: str) -> Part:
    """Closing something. A dialog is closed by its own close control, else by Escape (GTK,
    Qt and web dialogs all take it; a page without one shows no change, so the step fails
    without harm); anything else by its close control. A dialog is never closed by "the"
    close control found elsewhere: on a screen read by OCR that is as likely the browser's
    tab as the dialog's."""
    if not _DIALOG_WORDS.search(what):
        return close_step(clause)
    effect = "the dialog closes"
    return Choice(
        readings=(
            (clause.step(Click(target=_CLOSE_IN_DIALOG), effect),),
            (clause.step(Key(keys=["escape"]), effect),),
        )
    )


def _click_target(clause: Clause, span: str) -> Description:
    return _CLOSE if CLOSE_WORDS.match(trim(span)) else clause.target(span)


@READERS(
    r"^(?:long[- ]?(?:press|tap)|(?:press|tap|touch)\s+and\s+hold|hold\s+down)(?:\s+on\b)?\s*"
    r"(?P<x>.*?)(?:\s+for\s+(?P<s>\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?))?$"
)
def _long_press(clause: Clause, m: re.Match[str]) -> list[Part]:
    target = clause.target(m["x"])
    action = LongPress(target=target, duration=float(m["s"]) if m["s"] else 1.0)
    return [clause.step(action, f"{target.text} responds to the long press")]


@READERS(r"^(?P<verb>accept|allow|reject|decline|deny|block)\s+(?P<all>all\s+)?(?:the\s+)?cookies$")
def _cookies(clause: Clause, m: re.Match[str]) -> list[Part]:
    # Banners say "Accept", "Accept all", "Accept all cookies": the verb is the common part.
    label = m["verb"].capitalize() + (" all" if m["all"] else "")
    return [clause.step(Click(target=label), "the cookie banner goes away")]


@READERS(
    rf"^(?P<label>(?:{LABEL_VERBS})(?:\s+all)?)"
    r"(?:\s+(?:now|the\s+form|it|this|the\s+changes|changes))?$"
)
def _label(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "Sign in", "Submit", "Accept all": the words of the button to press.
    label = m["label"]
    return [clause.step(Click(target=label), f"{label} responds to the click")]


@READERS(
    r"^(?:(?:accept|agree\s+(?:to|with)|consent\s+to)\s+\S.*|(?:sign|log)\s+(?:in|up)\s+"
    r"(?:with|using|via)\s+\S.*|continue\s+(?:with|as)\s+\S.*)$"
)
def _label_phrase(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "accept the terms", "Sign in with Google": the whole phrase is the control's label.
    target = clause.target(clause.text)
    return [clause.step(Click(target=target), f"{target.text} responds to the click")]


@READERS(
    r"^(?P<verb>click|tap|touch|double[- ]?(?:click|tap)|triple[- ]?click|right[- ]?click|"
    r"middle[- ]?click)(?:\s+(?:on|at|onto|in|into)\b)?\s*(?P<x>.*)$"
)
def _click(clause: Clause, m: re.Match[str]) -> list[Part]:
    verb = re.sub(r"[- ]", "", m["verb"].lower())
    span, n = times(m["x"])
    if not trim(span):
        raise ClauseError(f"say what to {m['verb'].lower()}, e.g. '{m['verb'].lower()} Submit'")
    return _clicks(clause, span, n, verb)


def _clicks(clause: Clause, span: str, n: int, verb: str = "click") -> list[Part]:
    count = 2 if verb.startswith("double") else 3 if verb.startswith("triple") else 1
    button = "right" if verb.startswith("right") else "middle" if verb.startswith("mid") else "left"
    target = _click_target(clause, span)
    action = Click(target=target, button=button, count=count)
    return [clause.step(action, f"{target.text} responds to the click")] * n


_KEY_WORD = re.compile(r"^(?:the\s+)?(?P<k>.+?)\s+key$", re.I)
_ARROW = re.compile(
    r"^(?:(?P<a>up|down|left|right)\s+arrow|arrow\s+(?P<b>up|down|left|right))$", re.I
)
_CHORDISH = re.compile(r"^[^\s+]+(?:\s*\+\s*[^\s+]*)+$")
_HYPHEN_CHORD = re.compile(r"^(?:ctrl|control|alt|shift|super|cmd|win|meta)(?:-[^\s-]+)+$", re.I)
# Key names (or aliases) that are far more often the words on a button: "press Next".
_BUTTON_WORDS = frozenset(
    {"next", "prior", "print", "break", "apps", "option", "command", "cmd", "win", "windows",
     "logo", "meta", "back", "home"}
)  # fmt: skip


def key_chord(span: str) -> list[str] | None:
    """The keys "press X" means when X names a key or chord ("Enter", "ctrl+s", "the Tab
    key", "page down", "up arrow"), None when it names something to click. A chord with a
    wrong key in it is ClauseError, naming the nearest keys."""
    span = trim(span)
    if MASKED.search(span):
        return None  # a quoted name is written on a button
    named = _KEY_WORD.match(span)
    words = re.sub(r"^the\s+", "", named["k"] if named else span, flags=re.I)
    arrow = _ARROW.match(words)
    if arrow:
        return [(arrow["a"] or arrow["b"]).lower()]
    must = named is not None
    try:
        if _CHORDISH.match(words):
            must, keys = True, split_chord(words)
        elif _HYPHEN_CHORD.match(words):
            must, keys = True, words.split("-")
        elif must or (len(words.split()) <= 2 and words.lower() not in _BUTTON_WORDS):
            keys = [words]
        else:
            return None
        return normalise_chord(keys)
    except ValueError as error:
        if must:
            raise ClauseError(str(error)) from None
        return None


@READERS(r"^(?:press|hit|push)(?:\s+on\b)?\s*(?P<x>.*)$")
def _press(clause: Clause, m: re.Match[str]) -> list[Part]:
    span, n = times(m["x"])
    if not trim(span):
        raise ClauseError("say what to press: a key ('press Enter', 'press ctrl+s') or a button")
    keys = key_chord(span)
    if keys is None:
        return _clicks(clause, span, n)
    chord = "+".join(keys)
    return [clause.step(Key(keys=keys), f"the screen reacts to {chord}")] * n


@READERS(r"^focus(?:\s+(?:on|in|into)\b)?\s*(?P<x>.*)$")
def _focus(clause: Clause, m: re.Match[str]) -> list[Part]:
    target = clause.target(m["x"])
    return [clause.step(Click(target=target), f"{target.text} has the focus")]


@READERS(r"^(?:hover|mouse)(?:\s+(?:over|on|above)\b)?\s*(?P<x>.*)$")
def _hover(clause: Clause, m: re.Match[str]) -> list[Part]:
    target = clause.target(m["x"])
    return [clause.step(Hover(target=target), f"{target.text} shows its hover state")]


@READERS(r"^drag(?:\s+and\s+drop)?\s+(?P<a>.+?)\s+(?:to|onto|into|over)\s+(?P<b>.+)$")
def _drag(clause: Clause, m: re.Match[str]) -> list[Part]:
    start, end = clause.target(m["a"]), clause.target(m["b"])
    return [clause.step(Drag(start=start, end=end), f"{start.text} is on {end.text}")]


@READERS(r"^(?:close|exit|quit|dismiss)\b(?P<x>.*)$")
def _close_reader(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [close_part(clause, m["x"])]


@READERS(r"^[\ue000-\uefff]$")
def _quoted(clause: Clause, m: re.Match[str]) -> list[Part]:
    # A clause that is only a quoted name ('"Accept all"') is that control, to click.
    target = clause.target(clause.text)
    return [clause.step(Click(target=target), f"{target.text} responds to the click")]

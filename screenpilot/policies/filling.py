"""Readers of the verbs that type (type, enter, write, put, fill, set, change, replace,
clear, append, search), and what they share with select/check/tick: where the text goes
(`fill`) and the items of a list (`items`).

Typing into a named field replaces what it holds: "enter 42 in the Age box" means the box
should hold 42. Typing where the focus is (no target, "into the terminal") keeps what is
there, and so does appending.
"""

from __future__ import annotations

import re
from typing import Literal

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click, Key, TypeText
from screenpilot.policies.base import Step
from screenpilot.policies.clauses import (
    Choice,
    Clause,
    ClauseError,
    EachField,
    Part,
    Readers,
    focus_word,
    has_role,
    many_fields,
    names_a_place,
    ordinal,
    trim,
    typing_effect,
)

READERS = Readers()


def fill(
    clause: Clause, span: str | None, text: str, *, clear: bool | None, choice: bool = False
) -> list[Part]:
    """Type `text` into what `span` names: nothing or a focus word (where the focus is),
    "both"/"all" fields of a kind, or one described element.

    `clear` None clears a named target only; `choice` also reads the clause as picking
    `text` from a list named `span` ("set Country to France"), tried first."""
    span = span or ""
    many = many_fields(span) if trim(span) else None
    replace = True if clear is None else clear
    if many is not None:
        kind, role = many
        if kind == "both":
            return [
                _typed(clause, text, Description(text=f"the {ordinal(n)} {role}"), replace)
                for n in (1, 2)
            ]
        return [EachField(text=text, role=role, clause=clause, clear=replace)]
    if not trim(span) or focus_word(span):
        return [_typed(clause, text, None, bool(clear))]
    target = clause.target(span)
    typed = _typed(clause, text, target, replace)
    if not choice:
        return [typed]
    # A list is tried first: a click on a text field only focuses it, and a missing option
    # fails without side effects, while typing into a closed list leaves it open.
    option = Description(text=text)
    pick = (
        clause.step(Click(target=target), f"{target.text} opens"),
        clause.step(Click(target=option), f"{text} is chosen in {target.text}"),
    )
    return [Choice(readings=(pick, (typed,)))]


def _typed(clause: Clause, text: str, target: Description | None, clear: bool) -> Step:
    action = TypeText(text=text, target=target, clear_first=clear)
    return clause.step(action, typing_effect(action))


_CHOICE = re.compile(r"[^\W\d_]+(?:[ '’&-]+[^\W\d_]+){0,2}")  # noqa: RUF001


def looks_like_choice(value: str) -> bool:
    """Whether a value could be an option in a list: one to three words of letters
    ("France", "Dark mode"); numbers, addresses and sentences are typed."""
    return bool(_CHOICE.fullmatch(value.strip()))


_LIST = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|&)\s+", re.I)
# Labels with "and" inside that people tick or pick whole.
_IDIOMS = re.compile(
    r"\b(?:terms(?:\s+of\s+(?:use|service))?\s+(?:and|&)\s+(?:conditions|privacy)|"
    r"privacy\s+(?:and|&)\s+(?:security|terms|cookies)|save\s+(?:and|&)\s+\w+|"
    r"read\s+(?:and|&)\s+(?:accept|agree|understood)|black\s+(?:and|&)\s+white|"
    r"(?:accept|agree)\s+(?:and|&)\s+continue)\b",
    re.I,
)
_SENTENCE = re.compile(r"^(?:i|i'm|i've|i’m|i’ve|we|you)\b", re.I)  # noqa: RUF001


def items(span: str) -> list[str]:
    """The things a select/check/tick clause names, one click each.

    "Red, Green and Blue" and "Red and Blue" are lists. A span stays whole when an item
    would be longer than three words ("I agree to the Terms and Conditions"), when it
    starts like a sentence ("I have read and accept"), when it holds a known label with
    "and" in it ("Terms and Conditions", "Save and Close"), or when two items without a
    comma read as one sentence-case label ("Black and white")."""
    parts = [p for p in (trim(p) for p in _LIST.split(span)) if p]
    if len(parts) < 2 or _IDIOMS.search(span) or _SENTENCE.match(trim(span)):
        return [span]
    if any(len(p.split()) > 3 for p in parts):
        return [span]
    if "," not in span and len(parts) == 2 and parts[0][:1].isupper() and parts[1][:1].islower():
        return [span]
    return parts


#: What a clause's wanted state asks the click to make sure of ("toggled" just clicks).
_ENSURE: dict[str, Literal["checked", "unchecked"]] = {
    "checked": "checked", "on": "checked", "unchecked": "unchecked", "off": "unchecked",
}  # fmt: skip


def toggles(clause: Clause, span: str, state: str) -> list[Part]:
    """One click per item on its checkbox (or the switch, radio... the words name)."""
    out: list[Part] = []
    for item in items(span):
        words = clause.words(item)
        if not words:
            raise ClauseError("say what to check, e.g. 'check Subscribe'")
        target = Description(text=words if has_role(item) else f"{words} checkbox")
        ensure = _ENSURE.get(state)
        out.append(clause.step(Click(target=target, ensure=ensure), f"{words} is {state}"))
    return out


@READERS(
    r"^search\s+(?:for\s+)?(?P<v>.+?)(?:\s+(?:in|on|using|with)\s+(?P<x>(?:the|a|an|this)\s+.+))?$"
)
def _search(clause: Clause, m: re.Match[str]) -> list[Part]:
    text = clause.value(m["v"])
    target = clause.target(m["x"]) if m["x"] else Description(text="the search box")
    action = TypeText(text=text, target=target, clear_first=True, press_enter=True)
    return [clause.step(action, f"results for {text!r} show")]


@READERS(
    r"^(?:clear|empty|erase|wipe)(?:\s+out)?(?:\s+(?:the\s+(?:text|contents?|value)\s+"
    r"(?:of|in)\s+)?(?P<x>.+))?$"
)
def _clear(clause: Clause, m: re.Match[str]) -> list[Part]:
    return fill(clause, m["x"], "", clear=True)


@READERS(
    r"^replace\s+(?:the\s+(?:text|contents?|value)\s+(?:of|in)\s+)?(?P<x>.+?)\s+with\s+(?P<v>.+)$"
)
def _replace(clause: Clause, m: re.Match[str]) -> list[Part]:
    return fill(clause, m["x"], clause.value(m["v"]), clear=True)


@READERS(
    r"^(?:set|change|update|switch)\s+(?:the\s+value\s+of\s+)?(?P<x>.+?)\s+(?:to|as)\s+(?P<v>.+)$"
)
def _set(clause: Clause, m: re.Match[str]) -> list[Part]:
    value = clause.value(m["v"])
    return fill(clause, m["x"], value, clear=True, choice=looks_like_choice(value))


@READERS(r"^fill(?:\s+(?:in|out))?\s+(?P<x>.+?)\s+with\s+(?P<v>.+)$")
def _fill(clause: Clause, m: re.Match[str]) -> list[Part]:
    return fill(clause, m["x"], clause.value(m["v"]), clear=True)


@READERS(r"^(?:append|add)\s+(?P<rest>.+)$")
def _append(clause: Clause, m: re.Match[str]) -> list[Part]:
    rest = m["rest"]
    ends = list(re.finditer(r"\s+(?:to|at)\s+the\s+end\s+of\s+|\s+to\s+", rest, re.I))
    if not ends:
        raise ClauseError("say where it goes: 'append milk to Notes'")
    end = ends[-1]
    return fill(clause, rest[end.end() :], clause.value(rest[: end.start()]), clear=False)


_STRONG_INTO = re.compile(r"\s+(?:into|onto)\s+(?=\S)", re.I)
_WEAK_INTO = re.compile(r"\s+(?:in|inside|on|within)\s+(?=\S)", re.I)


@READERS(r"^(?P<verb>type|enter|write|input|put|insert|key\s+in)\b\s*(?P<rest>.*)$")
def _type(clause: Clause, m: re.Match[str]) -> list[Part]:
    verb, rest = " ".join(m["verb"].lower().split()), m["rest"]
    if not trim(rest):
        if verb == "enter":
            return [clause.step(Key(keys=["enter"]), "the screen reacts to enter")]
        raise ClauseError(f"say what to {verb}, e.g. '{verb} hello into Name'")
    if re.match(r"in\s", rest, re.I) and _STRONG_INTO.search(rest):
        rest = rest[3:]  # "type in bob into Name"
    if re.search(r"(?:^|\s)(?:into|onto|in)$", trim(rest), re.I):
        raise ClauseError(f"say what to {verb} into, e.g. '{verb} hello into Name'")
    padded = " " + rest
    place: str | None = None
    strong = list(_STRONG_INTO.finditer(padded))
    if strong:
        padded, place = padded[: strong[-1].start()], padded[strong[-1].end() :]
    else:
        for weak in reversed(list(_WEAK_INTO.finditer(padded))):
            if names_a_place(padded[weak.end() :], capitalised=True):
                padded, place = padded[: weak.start()], padded[weak.end() :]
                break
    if not trim(padded):
        raise ClauseError(f"nothing to {verb} before {trim(rest).split()[0]!r}")
    if place is None and verb == "put":
        raise ClauseError("say where to put it, e.g. 'put 42 in the Age box'")
    return fill(clause, place, clause.value(padded), clear=None)

"""Readers of choosing: "select all", "select Red and Blue", "choose France from Country",
"pick France as the country and the Pro plan".

An option named without a list is clicked so that it ends up chosen (`ensure="checked"`:
grounding looks for the radio or checkbox of that label, else clicks the label itself, and
the click is skipped when the control shows the state already). "the Medium size", "the Pro
plan" name the option "Medium" or "Pro" by what it is: the option's own name is tried
first, the words whole next. An option in a list opens the list first (described as a list,
"the Country list", so that grounding looks for the combo), and is clicked where it is when
what holds it is no list to open (a calendar, radio buttons, a list already shown).
"""

from __future__ import annotations

import re

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click, Key
from screenpilot.policies.clauses import (
    MASKED,
    Choice,
    Clause,
    Part,
    Readers,
    has_role,
    names_a_place,
    trim,
)
from screenpilot.policies.filling import as_list, items

READERS = Readers()


@READERS(r"^(?:select|choose|pick)\s+(?:all(?:\s+(?:the\s+)?text)?|everything)$")
def _select_all(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [clause.step(Key(keys=["ctrl", "a"]), "all the text is selected")]


_AS = re.compile(r"\s+as\s+(?=(?:the|my|your|a|an)\s+\S)", re.I)
_GROUP = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+(?=(?:the|my|your|a|an)\s)", re.I)


@READERS(r"^(?:select|choose|pick)\s+(?P<x>.+)$")
def _select(clause: Clause, m: re.Match[str]) -> list[Part]:
    span = m["x"]
    if _AS.search(span):
        # "Pick France as the country and the Pro plan": each piece on its own.
        return [p for piece in _GROUP.split(span) if trim(piece) for p in _one(clause, piece)]
    return _one(clause, span)


def _one(clause: Clause, span: str) -> list[Part]:
    named = _AS.search(span)
    where = (span[: named.start()], span[named.end() :]) if named else _list_source(span)
    if where is None:
        return [_option(clause, item) for item in items(span)]
    value, source = where
    opener = as_list(clause, source)
    steps: list[Part] = []
    for item in items(value):
        option = clause.target(item)
        pick = (
            clause.step(Click(target=opener), f"{opener.text} opens"),
            clause.step(Click(target=option), f"{option.text} is chosen in {opener.text}"),
        )
        direct = (clause.step(Click(target=option), f"{option.text} is selected"),)
        steps.append(Choice(readings=(pick, direct)))
    return steps


# "the Medium size", "the Pro plan": a capitalised name, then a plain noun that is no role.
_NAME_THEN_KIND = re.compile(r"^the\s+(?P<name>[A-Z0-9][\w'-]*(?:\s+[A-Z0-9][\w'-]*)*)\s+[a-z]+$")


def _option(clause: Clause, item: str) -> Part:
    target = clause.target(item)
    whole = clause.step(Click(target=target, ensure="checked"), f"{target.text} is selected")
    m = _NAME_THEN_KIND.match(trim(item))
    if m is None or has_role(item) or MASKED.search(item):
        return whole
    name = Description(text=m["name"])
    own = clause.step(Click(target=name, ensure="checked"), f"{name.text} is selected")
    return Choice(readings=((own,), (whole,)))


def _list_source(span: str) -> tuple[str, str] | None:
    """("France", "Country") for "France from Country"; "in"/"on" only before a place."""
    found = list(re.finditer(r"\s+from\s+(?=\S)", span, re.I))
    if found:
        return span[: found[-1].start()], span[found[-1].end() :]
    for m in reversed(list(re.finditer(r"\s+(?:in|on|under|within|inside)\s+(?=\S)", span, re.I))):
        if names_a_place(span[m.end() :], capitalised=False):
            return span[: m.start()], span[m.end() :]
    return None

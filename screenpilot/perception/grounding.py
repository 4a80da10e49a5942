"""Grounding without a model: from words ("the Email field") to an element and a box.

A description is taken apart by `perception.descriptions` (role, name, ordinal, relation).
What the action needs fills in a role the words leave out (`Intent`): typing wants something
editable, checking a checkbox or radio, selecting a combo, clicking anything one can click,
controls before plain text of the same name. Every element is scored on how well its name
(or its placeholder) matches and whether its role fits. A label that matches stands in for
the control it labels: the input to its right on the same row or just below it, the
checkbox or radio to its left; text inside a drawn box stands in for the box. That is how
an OCR-only screen (Tk, a screenshot) finds its controls.

Ties are explicit. When candidates tie, the one in the active (focused, topmost) window
wins; otherwise the answer is `Ambiguous` with the close candidates, never a silent pick.
`NotFound` says what was read and the nearest misses.

A dense page read by OCR holds thousands of elements, so nothing here compares everything
with everything. Names are scored only for the elements a `NameIndex` says may come within
reach of a decision (`_FLOOR`: the least score that can win or tie); labels find their
controls through a `BoxGrid` of the controls. Both are exact, and so is the ranking they
give: the full ranking with the hopeless tail left out, in the same order. Only a `NotFound`
lists that tail (its nearest misses), and it is then ranked in full.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from screenpilot.perception.descriptions import (
    NameIndex,
    Query,
    name_similarity,
    parse_description,
    wants_input,
)
from screenpilot.perception.elements import INPUT_ROLES, Element, Role
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.perception.spatial import BoxGrid

#: What the action will do with its target, which implies a role when the words name none.
Intent = Literal["any", "click", "type", "check", "select"]
_INTENT_ROLES: dict[str, frozenset[Role]] = {
    "type": frozenset({"entry", "field", "combo"}),
    "check": frozenset({"checkbox", "radio"}),
    "select": frozenset({"combo"}),
}
#: Roles one acts on, preferred over static text of the same name when clicking.
CONTROL_ROLES: frozenset[Role] = frozenset(
    {"button", "entry", "checkbox", "radio", "combo", "link", "menu", "tab", "field"}
)
_CHECKABLE: frozenset[Role] = frozenset({"checkbox", "radio"})
ACTIVE = "active-window"

_DIALOG = re.compile(r"\b(?:dialog|popup|pop-up|modal)\b", re.I)

#: A best score under this is no match.
MIN_SCORE = 0.6
#: Candidates within this of the best make the answer ambiguous.
AMBIGUITY_MARGIN = 0.05
#: How far (px) a label may be from the control it names.
LABEL_REACH = 400
#: Candidates scoring under this can neither win nor tie with a winner: a ranking may leave
#: them out (the slack covers rounding in `best - c <= AMBIGUITY_MARGIN`).
_FLOOR = MIN_SCORE - AMBIGUITY_MARGIN - 1e-9


@dataclass(frozen=True)
class Candidate:
    """An element (or the control a label stands for) and how well it fits."""

    element: Element
    score: float
    why: str
    label: Element | None = None

    def describe(self) -> str:
        e = self.element
        via = f" (labelled {self.label.name!r})" if self.label else ""
        where = f"at {_box_text(e.box)} from {e.source}"
        return f"{e.role} {e.name!r}{via} {where}, score {self.score:.2f}"


@dataclass(frozen=True)
class Found:
    """The description resolves to one element."""

    element: Element
    confidence: float
    why: str
    label: Element | None = None

    @property
    def box(self) -> ScreenBox:
        return self.element.box

    @property
    def point(self) -> ScreenPoint:
        return self.element.box.center


@dataclass(frozen=True)
class Ambiguous:
    """Several elements fit about equally well."""

    description: str
    candidates: list[Candidate] = field(default_factory=list)

    def message(self) -> str:
        listed = "; ".join(c.describe() for c in self.candidates)
        return (
            f"{self.description!r} is ambiguous: {listed}. "
            "Say which one (a role, an ordinal such as 'the second', a neighbour)."
        )


@dataclass(frozen=True)
class NotFound:
    """Nothing fits well enough."""

    description: str
    candidates: list[Candidate] = field(default_factory=list)
    read: str = ""  # what the screen was read as, e.g. "7 texts and 2 entries (ocr)"
    note: str = ""  # why the nearest thing does not count

    def message(self) -> str:
        seen = f" ({self.read} read)" if self.read else " (no elements were read)"
        text = f"nothing on the screen matches {self.description!r}{seen}"
        if self.note:
            text += f"; {self.note}"
        if self.candidates:
            text += "; nearest: " + "; ".join(c.describe() for c in self.candidates)
        return text


Grounding = Found | Ambiguous | NotFound


def ground(description: str, elements: Sequence[Element], *, intent: Intent = "any") -> Grounding:
    """Resolve a description against the observation's elements, for an action that will
    `intent` (type into, check, select from, click) what it finds."""
    query = parse_description(description)
    screen = _Screen(elements)
    if intent == "check" and not query.roles:
        # "select Medium": the radio or checkbox it labels, else whatever is named so (a list
        # item, a button) to click.
        checkable = _ground(description, query, screen, "check", misses=False)
        if isinstance(checkable, Found):
            return checkable
        found = _ground(description, query, screen, "any")
        if isinstance(found, Found):
            return found
        if isinstance(checkable, NotFound):  # now worth its nearest misses
            return _ground(description, query, screen, "check")
        return checkable
    return _ground(description, query, screen, intent)


def _ground(
    description: str, query: Query, screen: _Screen, intent: Intent, *, misses: bool = True
) -> Grounding:
    """`misses=False` spares ranking the hopeless tail a `NotFound` lists, for an answer
    that will be thrown away when it is one."""
    elements = screen.elements
    roles = query.roles or _INTENT_ROLES.get(intent, frozenset())
    if not query.name and not roles and query.ordinal is None:
        return NotFound(description, read=summarise(elements))
    ranked_query, ranked_roles = query, roles
    ranked = _rank(query, roles, screen, intent)
    if query.relation is not None and not _good(ranked):
        # "Sign in with Google" is a name, not a relation: read the words whole.
        ranked_query = Query(text=query.text, name=query.text)
        ranked_roles = _INTENT_ROLES.get(intent, frozenset())
        ranked = _rank(ranked_query, ranked_roles, screen, intent)
    if query.ordinal is not None:
        return _nth(description, query, roles, ranked, elements)
    if not _good(ranked):
        if misses:
            ranked = _rank(ranked_query, ranked_roles, screen, intent, full=True)
        return NotFound(
            description, ranked[:5], summarise(elements), _why_not(query, roles, screen)
        )
    best = ranked[0]
    rivals = [
        c
        for c in ranked[1:]
        if best.score - c.score <= AMBIGUITY_MARGIN and not _same_place(c.element, best.element)
    ]
    if rivals:
        tied = [best, *rivals]
        active = [c for c in tied if ACTIVE in c.element.states]
        pages = [e.box for e in elements if "document" in e.states]
        in_page = [c for c in tied if any(_within(c.element.box, p) for p in pages)]
        if len(active) == 1:
            best = active[0]  # a dialog in front wins over the window behind it
        elif len(in_page) == 1:
            best = in_page[0]  # the page's own search box, not the browser's address bar
        else:
            return Ambiguous(description, tied[:6])
    return Found(best.element, round(best.score, 3), best.why, best.label)


def _good(ranked: list[Candidate]) -> bool:
    return bool(ranked) and ranked[0].score >= MIN_SCORE


class _Screen:
    """One `ground` call's elements and what is worth working out once for all its rankings:
    the name indexes, the controls of each set of roles with their grid, which elements share
    a box."""

    def __init__(self, elements: Sequence[Element]) -> None:
        self.elements = elements
        self._names: NameIndex | None = None
        self._placeholders: tuple[list[int], NameIndex] | None = None
        self._purposes: dict[str, list[int]] | None = None
        self._pairings: dict[frozenset[Role], _Pairing] = {}

    @property
    def names(self) -> NameIndex:
        if self._names is None:
            self._names = NameIndex([e.name for e in self.elements])
        return self._names

    def maybe_named(self, name: str, at_least: float = _FLOOR) -> set[int]:
        """Indices of the elements whose name, placeholder or purpose may score `at_least`
        for `name` in `_by_name`; every other element scores less."""
        found = set(self.names.candidates(name, at_least))
        if self._placeholders is None:
            held = [i for i, e in enumerate(self.elements) if e.placeholder.strip()]
            index = NameIndex([self.elements[i].placeholder for i in held])
            self._placeholders = (held, index)
        held, index = self._placeholders
        if held:
            found.update(held[j] for j in index.candidates(name, at_least))
        if self._purposes is None:
            self._purposes = {}
            for i, e in enumerate(self.elements):
                if e.role in INPUT_ROLES and (purpose := _purpose(e)):
                    self._purposes.setdefault(purpose, []).append(i)
        for purpose, indices in self._purposes.items():
            if 0.9 * name_similarity(name, purpose) >= at_least:
                found.update(indices)
        return found

    def same_box(self, elements: list[Element]) -> set[int]:
        """Indices of every element whose box is that of one of `elements`."""
        keys = {_key(e.box) for e in elements}
        lefts = {k[0] for k in keys}
        return {i for i, e in enumerate(self.elements) if e.box.x1 in lefts and _key(e.box) in keys}

    def pairing(self, roles: frozenset[Role]) -> _Pairing:
        """Labels paired with the controls of these roles (built once per set of roles)."""
        if roles not in self._pairings:
            controls = [e for e in self.elements if e.role in roles]
            texts = [e for e in self.elements if e.role == "text"] if roles & _CHECKABLE else []
            self._pairings[roles] = _Pairing(controls, roles, texts)
        return self._pairings[roles]


def _rank(
    query: Query, roles: frozenset[Role], screen: _Screen, intent: Intent, *, full: bool = False
) -> list[Candidate]:
    """Candidates best first. Unless `full`, a ranking by name leaves out candidates under
    `_FLOOR`; those it keeps are in the full ranking's order."""
    elements = screen.elements
    if query.anchor is not None:
        return _rank_related(query, roles, screen, intent)
    if not query.name:
        # "the checkbox", "the second field": any element of the role. An element whose
        # name is that very word ("Menu") still wins.
        named = [elements[i] for i in screen.names.same_words(query.text)]
        return _best_first(
            [Candidate(e, 0.7 * e.score, "role") for e in elements if e.role in roles]
            + [Candidate(e, e.score, "name") for e in named]
        )
    passes = [(query.name, roles)]
    if query.whole:
        # A role word may be part of the name itself: "Entry 1", "Tab 2", "Menu".
        passes.append((query.whole, _INTENT_ROLES.get(intent, frozenset())))
    if full:
        pool = range(len(elements))
        scored = [_by_name(name, r, screen, pool) for name, r in passes]
    else:
        # Only the elements whose names may reach the floor. Every element that shares a box
        # with a candidate is scored too, low as it may be: the full ranking keeps the box in
        # the place its first candidate gave it, which is what breaks ties.
        indices: set[int] = set()
        for name, _ in passes:
            indices |= screen.maybe_named(name)
        scored = [_by_name(name, r, screen, sorted(indices)) for name, r in passes]
        found = [c.element for by_element in scored for cs in by_element.values() for c in cs]
        more = sorted(screen.same_box(found) - indices)
        if more:
            for (name, r), by_element in zip(passes, scored, strict=True):
                by_element.update(_by_name(name, r, screen, more))
    # In the order a scan of every element, pass after pass, would have listed them.
    return _best_first([c for by in scored for i in sorted(by) for c in by[i]])


def _by_name(
    name: str, roles: frozenset[Role], screen: _Screen, pool: Sequence[int]
) -> dict[int, list[Candidate]]:
    """Candidates by name among the elements of `pool` (indices): for each element that
    has some, its own first, then the control it labels or its caption."""
    by_element: dict[int, list[Candidate]] = {}
    elements = screen.elements
    for i in pool:
        if candidates := _named(name, roles, screen, elements[i]):
            by_element[i] = candidates
    return by_element


def _named(name: str, roles: frozenset[Role], screen: _Screen, element: Element) -> list[Candidate]:
    """The candidates one element gives for a name: itself, the control it labels or its
    caption."""
    by_name = name_similarity(name, element.name)
    name_score = max(
        by_name,
        0.95 * name_similarity(name, element.placeholder),
        0.9 * name_similarity(name, _purpose(element)),
    )
    if name_score <= 0:
        return []
    candidates: list[Candidate] = []
    if not roles or element.role in roles:
        weight = 1.0 if roles else _default_role_weight(element.role)
        why = "name" if name_score == by_name else "placeholder"
        candidates.append(Candidate(element, name_score * weight * element.score, why))
    if element.role != "text" or name_score < MIN_SCORE or not roles:
        return candidates
    # A label (or OCR'd words) stands in for the control it names.
    target = screen.pairing(roles).control_for(element)
    if target is not None:
        # A drawn box the finder is unsure of (a spin box read as a bare "field", 0.6)
        # still is what the label names: its doubt weighs half.
        score = name_score * 0.95 * element.score * (0.5 + 0.5 * target.score)
        candidates.append(Candidate(target, score, "label", label=element))
    elif roles & (_CHECKABLE | {"button", "tab", "link", "menu"}) and not wants_input(roles):
        # OCR reads a checkbox's or button's caption but not the widget; the caption is
        # part of the click target in every toolkit the project drives.
        candidates.append(Candidate(element, name_score * 0.9 * element.score, "caption"))
    return candidates


def _rank_related(
    query: Query, roles: frozenset[Role], screen: _Screen, intent: Intent
) -> list[Candidate]:
    assert query.anchor is not None and query.relation is not None
    elements = screen.elements
    anchor_query = query.anchor
    anchor_roles = anchor_query.roles
    anchors = [a for a in _rank(anchor_query, anchor_roles, screen, "any") if a.score >= MIN_SCORE]
    if query.relation == "in":
        return _rank_inside(query, roles, anchors, screen)
    # "The field right of Name" is measured from the label "Name", not from an input that
    # an accessibility tree also named "Name".
    roles = roles or INPUT_ROLES
    anchors.sort(key=lambda a: (a.element.role in roles, -a.score))
    if not anchors:
        return []
    anchor = anchors[0].element
    named = set(screen.names.candidates(query.name, MIN_SCORE)) if query.name else set()
    candidates = []
    for i, element in enumerate(elements):
        if element is anchor or element.role not in roles or _same_place(element, anchor):
            continue
        if query.name and (i not in named or name_similarity(query.name, element.name) < MIN_SCORE):
            continue
        gap = _gap(anchor.box, element.box, query.relation)
        if gap is None:
            continue
        # Nearer is better; 0 px scores 1.0, 500 px about 0.67.
        score = anchors[0].score / (1 + gap / 1000)
        candidates.append(Candidate(element, score, f"{query.relation} of {anchor.name!r}"))
    return _best_first(candidates)


def _rank_inside(
    query: Query, roles: frozenset[Role], anchors: list[Candidate], screen: _Screen
) -> list[Candidate]:
    """'The close button in the dialog': what matches the head inside the anchor's box.
    A bare role as anchor ("the dialog") means the innermost one that holds a match: the
    dialog, not the browser window around it."""
    if query.anchor is None or not query.anchor.name:
        anchors.sort(key=lambda a: a.element.box.width * a.element.box.height)
    if query.anchor is not None and _DIALOG.search(query.anchor.text):
        # "the dialog" is a dialog, never the application window around it.
        anchors = [a for a in anchors if "dialog" in a.element.states]
    if query.name:
        head = Query(text=query.name, name=query.name, roles=query.roles)
        matches = [c for c in _rank(head, roles, screen, "click") if c.score >= MIN_SCORE]
    else:
        matches = [Candidate(e, 0.9, "role") for e in screen.elements if e.role in roles]
    for anchor in anchors:
        box = anchor.element.box
        inside = [
            Candidate(c.element, c.score * anchor.score, f"in {anchor.element.name!r}", c.label)
            for c in matches
            if c.element is not anchor.element and _within(c.element.box, box)
        ]
        if inside:
            return _best_first(inside)
    return []


def _within(inner: ScreenBox, outer: ScreenBox) -> bool:
    c = inner.center
    return outer.x1 <= c.x <= outer.x2 and outer.y1 <= c.y <= outer.y2 and inner != outer


def _nth(
    description: str,
    query: Query,
    roles: frozenset[Role],
    ranked: list[Candidate],
    elements: Sequence[Element],
) -> Grounding:
    """The n-th of the matching elements in reading order (top to bottom, left to right)."""
    assert query.ordinal is not None
    if query.name:
        pool = [
            c for c in ranked if c.score >= MIN_SCORE and (not roles or c.element.role in roles)
        ]
    else:
        pool = [Candidate(e, 1.0, "role") for e in elements if e.role in roles]
    unique: list[Candidate] = []
    for c in sorted(pool, key=lambda c: (round(c.element.box.y1 / 8), c.element.box.x1)):
        if not any(_same_place(c.element, u.element) for u in unique):
            unique.append(c)
    index = query.ordinal - 1 if query.ordinal > 0 else len(unique) + query.ordinal
    if not 0 <= index < len(unique):
        return NotFound(
            description,
            unique[:5],
            summarise(elements),
            f"there {'is' if len(unique) == 1 else 'are'} {len(unique)} such on the screen",
        )
    pick = unique[index]
    return Found(pick.element, round(min(1.0, pick.score), 3), f"number {index + 1}", pick.label)


_PURPOSES = {"email": "email", "tel": "phone", "url": "website", "search": "search",
             "password": "password", "number": "number"}  # fmt: skip
_EXAMPLE_EMAIL = re.compile(r"^\S+@\S+\.\w+$")


def _purpose(element: Element) -> str:
    """What an unnamed field is for when its type or example says so: an input of type email,
    or one whose placeholder is an address ("you@example.com"), is the email field."""
    if element.role not in INPUT_ROLES:
        return ""
    for state in element.states:
        if state.startswith("input:"):
            return _PURPOSES.get(state[6:], "")
    # Chromium names an unlabelled input by its placeholder.
    if any(_EXAMPLE_EMAIL.match(t.strip()) for t in (element.placeholder, element.name)):
        return "email"
    return ""


def labelled_control(
    label: Element,
    controls: Sequence[Element],
    roles: frozenset[Role] = INPUT_ROLES,
    texts: Sequence[Element] = (),
) -> Element | None:
    """The control a label names: one whose box holds the label's text (a placeholder, a
    button's caption), else for inputs the nearest to its right on the same row, else just
    below; for checkboxes and radios the nearest to its left, else one to its right that no
    other caption of `texts` claims (in a row "( ) Standard ( ) Express", the circle after
    Standard is Express's). Of equals the first in `controls` wins."""
    return _Pairing(controls, roles, texts).control_for(label)


#: Margin (px) around a search area, so rounding never keeps a box out of it.
_SLACK = 1.0


class _Pairing:
    """`labelled_control` for many labels over the same controls: the controls (and the
    captions that may claim one) in `BoxGrid`s, so a label looks only at those that can be
    in reach: the ones holding its centre, in its row's strip beside it, in the band below."""

    def __init__(
        self, controls: Sequence[Element], roles: frozenset[Role], texts: Sequence[Element]
    ) -> None:
        self._controls = list(controls)
        self._roles = roles
        self._texts = list(texts)
        self._grid = BoxGrid([c.box for c in self._controls])
        self._text_grid: BoxGrid | None = None
        self._known: dict[int, tuple[Element, Element | None]] = {}
        self._order = (
            (("left", 0.0), ("right", 20.0))
            if roles & _CHECKABLE and not wants_input(roles)
            else (("right", 0.0), ("below", 40.0))
        )

    def control_for(self, label: Element) -> Element | None:
        """`labelled_control(label, controls, roles, texts)`; asked again (the words read
        whole, a second pass), the same answer without the search."""
        known = self._known.get(id(label))
        if known is not None and known[0] is label:
            return known[1]
        found = self._search(label)
        self._known[id(label)] = (label, found)
        return found

    def _search(self, label: Element) -> Element | None:
        box = label.box
        c = box.center
        for i in self._grid.meeting(c.x - _SLACK, c.y - _SLACK, c.x + _SLACK, c.y + _SLACK):
            element = self._controls[i]
            if element is not label and element.role != "text" and _holds(element.box, box):
                return element
        best: tuple[float, Element] | None = None
        for relation, penalty in self._order:
            for i in self._grid.meeting(*_reach(box, relation, LABEL_REACH)):
                element = self._controls[i]
                if element.role not in self._roles or element is label or element.role == "text":
                    continue
                gap = _gap(box, element.box, relation)
                if (
                    gap is None
                    or gap > LABEL_REACH
                    or (best is not None and gap + penalty >= best[0])
                ):
                    continue
                if relation == "right" and penalty and self._claimed(element, label):
                    continue
                best = (gap + penalty, element)
        return best[1] if best else None

    def _claimed(self, control: Element, label: Element) -> bool:
        """Another caption starts just right of this checkbox or radio: it is that one's."""
        reach = 2 * max(control.box.height, 12)
        if self._text_grid is None:
            self._text_grid = BoxGrid([t.box for t in self._texts])
        for i in self._text_grid.meeting(*_reach(control.box, "right", reach)):
            text = self._texts[i]
            if text is label or _same_place(text, label):
                continue
            gap = _gap(control.box, text.box, "right")
            if gap is not None and gap <= reach:
                return True
        return False


def _reach(box: ScreenBox, relation: str, reach: float) -> tuple[float, float, float, float]:
    """The area every box with a `_gap` of at most `reach` in that direction meets: one
    starting within reach beside the box and sharing some of its rows, or one starting
    within reach below it and sharing some of its columns (or of the 40 px after its left
    edge), with `_SLACK` around."""
    s = _SLACK
    if relation == "right":
        return box.x2 - 4 - s, box.y1 - s, box.x2 + reach + s, box.y2 + s
    if relation == "left":
        return box.x1 - reach - s, box.y1 - s, box.x1 + 4 + s, box.y2 + s
    if relation == "below":
        right = max(box.x2, box.x1 + 40)
        return box.x1 - s, box.y2 - 4 - s, right + s, box.y2 + reach + s
    raise ValueError(f"no reach for {relation!r}")


def labelled_input(
    label: Element, elements: Sequence[Element], roles: frozenset[Role] = INPUT_ROLES
) -> Element | None:
    """The input a label sits beside (kept for callers that name inputs only)."""
    return labelled_control(label, [e for e in elements if e.role in roles], roles)


def _holds(outer: ScreenBox, inner: ScreenBox) -> bool:
    c = inner.center
    return (
        outer.x1 <= c.x <= outer.x2
        and outer.y1 <= c.y <= outer.y2
        and inner.width < outer.width
        and inner.height <= outer.height
    )


def _same_place(a: Element, b: Element) -> bool:
    """Two readings of one thing: the same box, or one box holding the other's centre
    (an OCR'd caption inside the accessible button)."""
    return a.box == b.box or _holds(a.box, b.box) or _holds(b.box, a.box)


def _gap(anchor: ScreenBox, box: ScreenBox, relation: str) -> float | None:
    """Distance from anchor to box in the relation's direction, or None when the box is not
    in that direction (it must overlap the anchor across the other axis by half)."""
    if relation in ("right", "left"):
        overlap = min(anchor.y2, box.y2) - max(anchor.y1, box.y1)
        if overlap < 0.5 * min(anchor.height, box.height):
            return None
        gap = box.x1 - anchor.x2 if relation == "right" else anchor.x1 - box.x2
    else:
        overlap = min(anchor.x2, box.x2) - max(anchor.x1, box.x1)
        if overlap < 0.3 * min(anchor.width, box.width) and not (
            box.x1 - 40 <= anchor.x1 <= box.x2
        ):
            return None
        gap = box.y1 - anchor.y2 if relation == "below" else anchor.y1 - box.y2
    return gap if gap >= -4 else None


def _default_role_weight(role: Role) -> float:
    # With no role asked for, prefer things one acts on over static text: "click Sign in"
    # means the button, not the page title that says the same.
    if role in CONTROL_ROLES:
        return 1.0
    return 0.9 if role == "text" else 0.85


_BoxKey = tuple[float, float, float, float]


def _key(box: ScreenBox) -> _BoxKey:
    return (box.x1, box.y1, box.x2, box.y2)


def _best_first(candidates: list[Candidate]) -> list[Candidate]:
    # The same element may arrive twice (by name and through its label): keep its best.
    best: dict[_BoxKey, Candidate] = {}
    for c in candidates:
        key = _key(c.element.box)
        if key not in best or c.score > best[key].score:
            best[key] = c
    return sorted(best.values(), key=lambda c: -c.score)


def summarise(elements: Sequence[Element]) -> str:
    """What a screen was read as: "7 texts and 2 entries (ocr, pixels)"."""
    if not elements:
        return ""
    counts = Counter(e.role for e in elements)
    plural = {"text": "texts", "entry": "entries", "box": "boxes"}
    parts = [f"{n} {plural.get(r, r + 's') if n != 1 else r}" for r, n in counts.most_common()]
    sources = ", ".join(sorted({e.source for e in elements}))
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"{listed} ({sources})"


def _why_not(query: Query, roles: frozenset[Role], screen: _Screen) -> str:
    """When the name is on the screen but not on anything of the wanted role, say so."""
    if not query.name or not roles:
        return ""
    named = [
        e
        for i in screen.names.candidates(query.name, MIN_SCORE)
        if name_similarity(query.name, (e := screen.elements[i]).name) >= MIN_SCORE
    ]
    if not named or any(e.role in roles for e in named):
        return ""
    kinds = "/".join(sorted(roles))
    e = named[0]
    return f"{e.role} {e.name!r} is there at {_box_text(e.box)} but no {kinds} near it"


def _box_text(box: ScreenBox) -> str:
    return f"({box.x1:.0f}, {box.y1:.0f})-({box.x2:.0f}, {box.y2:.0f})"

"""Grounding without a model: from words ("the Email field") to an element and a box.

A description is read as an optional role ("field", "button", "checkbox"...), a name
("Email") and an optional layout relation to another element ("the field right of Name").
Every element is scored on how well its name matches (exact, whole words, or fuzzy) and
whether its role fits. A label that matches stands in for the input it labels: the nearest
input to its right on the same row, or just below it - the layout every form uses, and
the only way to find an input on a screen read by OCR, where inputs have no names.

The result is explicit: `Found` with a confidence, `Ambiguous` with the close candidates,
or `NotFound` with the nearest misses. Nothing here guesses silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from screenpilot.perception.elements import INPUT_ROLES, Element, Role
from screenpilot.perception.geometry import ScreenBox, ScreenPoint

# Words that name a role, longest first so "text box" wins over "box".
_ROLE_WORDS: list[tuple[str, frozenset[Role]]] = [
    ("text field", frozenset({"entry", "field"})),
    ("text box", frozenset({"entry", "field"})),
    ("input box", frozenset({"entry", "field"})),
    ("check box", frozenset({"checkbox"})),
    ("drop down", frozenset({"combo"})),
    ("radio button", frozenset({"radio"})),
    ("field", frozenset({"entry", "field", "combo"})),
    ("input", frozenset({"entry", "field", "combo"})),
    ("entry", frozenset({"entry", "field"})),
    ("textbox", frozenset({"entry", "field"})),
    ("box", frozenset({"entry", "field", "checkbox"})),
    ("button", frozenset({"button"})),
    ("checkbox", frozenset({"checkbox"})),
    ("toggle", frozenset({"checkbox"})),
    ("switch", frozenset({"checkbox"})),
    ("dropdown", frozenset({"combo"})),
    ("combo", frozenset({"combo"})),
    ("select", frozenset({"combo"})),
    ("menu", frozenset({"combo", "menu"})),
    ("radio", frozenset({"radio"})),
    ("link", frozenset({"link"})),
    ("tab", frozenset({"tab"})),
    ("label", frozenset({"text"})),
]
_RELATIONS = {
    "to the right of": "right", "right of": "right", "next to": "right", "beside": "right",
    "after": "right", "to the left of": "left", "left of": "left", "below": "below",
    "under": "below", "underneath": "below", "above": "above", "over": "above",
}  # fmt: skip
_ARTICLES = re.compile(r"^(?:the|a|an)\s+")

#: A best score under this is no match.
MIN_SCORE = 0.6
#: Candidates within this of the best make the answer ambiguous.
AMBIGUITY_MARGIN = 0.05


@dataclass(frozen=True)
class Query:
    """A description, taken apart."""

    text: str
    name: str
    roles: frozenset[Role] = frozenset()
    relation: str | None = None
    anchor: Query | None = None


def parse_description(text: str) -> Query:
    """Split "the field right of Name" into role, name and relation."""
    clean = " ".join(text.strip().strip("\"'").split())
    low = clean.lower()
    for phrase, relation in sorted(_RELATIONS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(rf"\s+{re.escape(phrase)}\s+", f" {low} ")
        if m:
            cut = m.start()
            head = clean[: max(0, cut)]
            tail = clean[cut + len(m.group(0)) - 1 :]
            head_query = parse_description(head) if head.strip() else Query(text="", name="")
            return Query(
                text=clean,
                name=head_query.name,
                roles=head_query.roles or INPUT_ROLES,
                relation=relation,
                anchor=parse_description(tail),
            )
    bare = _bare_role(clean)
    if bare:
        return Query(text=clean, name="", roles=bare)
    words = _ARTICLES.sub("", clean)
    roles: frozenset[Role] = frozenset()
    low = words.lower()
    for phrase, role_set in _ROLE_WORDS:
        for pattern in (rf"^{re.escape(phrase)}s?\b\s*", rf"\s*\b{re.escape(phrase)}s?$"):
            m = re.search(pattern, low)
            if m and m.group(0).strip() and low.strip() != phrase:
                roles = role_set
                words = (words[: m.start()] + words[m.end() :]).strip()
                low = words.lower()
                break
        if roles:
            break
    return Query(text=clean, name=_ARTICLES.sub("", words).strip(), roles=roles)


def _bare_role(text: str) -> frozenset[Role]:
    """The roles of a description that is only a role word ("the field", "checkbox")."""
    bare = _ARTICLES.sub("", text.lower()).rstrip("s")
    for phrase, roles in _ROLE_WORDS:
        if bare == phrase:
            return roles
    return frozenset()


@dataclass(frozen=True)
class Candidate:
    """An element (or the input a label stands for) and how well it fits."""

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
        return f"{self.description!r} is ambiguous: {listed}. Say which one (a role, a neighbour)."


@dataclass(frozen=True)
class NotFound:
    """Nothing fits well enough."""

    description: str
    candidates: list[Candidate] = field(default_factory=list)

    def message(self) -> str:
        if not self.candidates:
            return f"nothing on the screen matches {self.description!r} (no elements were read)"
        listed = "; ".join(c.describe() for c in self.candidates)
        return f"nothing on the screen matches {self.description!r}; nearest: {listed}"


Grounding = Found | Ambiguous | NotFound


def ground(description: str, elements: Sequence[Element]) -> Grounding:
    """Resolve a description against the observation's elements."""
    query = parse_description(description)
    if not query.name and not query.roles:
        return NotFound(description)
    ranked = _rank(query, elements)
    if not ranked or ranked[0].score < MIN_SCORE:
        return NotFound(description, ranked[:5])
    best = ranked[0]
    rivals = [
        c
        for c in ranked[1:]
        if best.score - c.score <= AMBIGUITY_MARGIN and c.element.box != best.element.box
    ]
    if rivals:
        return Ambiguous(description, [best, *rivals][:6])
    return Found(best.element, round(best.score, 3), best.why, best.label)


def _rank(query: Query, elements: Sequence[Element]) -> list[Candidate]:
    if query.anchor is not None:
        return _rank_related(query, elements)
    if not query.name:
        # "the checkbox": any element of the role; one is an answer, several are ambiguous.
        # An element whose name is that very word ("Menu") still wins.
        word = _ARTICLES.sub("", query.text.lower())
        return _best_first(
            [Candidate(e, 0.7 * e.score, "role") for e in elements if e.role in query.roles]
            + [Candidate(e, e.score, "name") for e in elements if _normal(e.name) == word]
        )
    candidates: list[Candidate] = []
    for element in elements:
        name_score = name_similarity(query.name, element.name)
        if name_score <= 0:
            continue
        if not query.roles or element.role in query.roles:
            fit = 1.0 if query.roles else _default_role_weight(element.role)
            candidates.append(Candidate(element, name_score * fit * element.score, "name"))
        if query.roles & INPUT_ROLES and element.role == "text":
            # A label stands in for the input next to it.
            target = labelled_input(element, elements, query.roles)
            if target is not None:
                score = name_score * 0.95 * min(element.score, target.score)
                candidates.append(Candidate(target, score, "label", label=element))
        elif (
            query.roles and element.role == "text" and query.roles & {"checkbox", "radio", "button"}
        ):
            # OCR reads a checkbox's or button's caption but not the widget; the caption is
            # part of the click target in every toolkit the project drives.
            candidates.append(Candidate(element, name_score * 0.9 * element.score, "caption"))
    return _best_first(candidates)


def _rank_related(query: Query, elements: Sequence[Element]) -> list[Candidate]:
    assert query.anchor is not None and query.relation is not None
    anchors = [a for a in _rank(query.anchor, elements) if a.score >= MIN_SCORE]
    # "The field right of Name" is measured from the label "Name", not from an input that
    # an accessibility tree also named "Name".
    anchors.sort(key=lambda a: (a.element.role in query.roles, -a.score))
    if not anchors:
        return []
    anchor = anchors[0].element
    candidates = []
    for element in elements:
        if element is anchor or element.role not in query.roles:
            continue
        if query.name and name_similarity(query.name, element.name) < MIN_SCORE:
            continue
        gap = _gap(anchor.box, element.box, query.relation)
        if gap is None:
            continue
        # Nearer is better; 0 px scores 1.0, 500 px about 0.67.
        score = anchors[0].score / (1 + gap / 1000)
        candidates.append(Candidate(element, score, f"{query.relation} of {anchor.name!r}"))
    return _best_first(candidates)


def labelled_input(
    label: Element, elements: Sequence[Element], roles: frozenset[Role] = INPUT_ROLES
) -> Element | None:
    """The input a label sits beside: nearest to its right on the same row, else just below."""
    best: tuple[float, Element] | None = None
    for relation, penalty in (("right", 0.0), ("below", 40.0)):
        for element in elements:
            if element.role not in roles or element is label:
                continue
            gap = _gap(label.box, element.box, relation)
            if gap is not None and gap <= 400 and (best is None or gap + penalty < best[0]):
                best = (gap + penalty, element)
    return best[1] if best else None


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
    return 1.0 if role != "text" else 0.9


def _best_first(candidates: list[Candidate]) -> list[Candidate]:
    # The same element may arrive twice (by name and through its label): keep its best.
    best: dict[tuple[float, float, float, float], Candidate] = {}
    for c in candidates:
        key = (c.element.box.x1, c.element.box.y1, c.element.box.x2, c.element.box.y2)
        if key not in best or c.score > best[key].score:
            best[key] = c
    return sorted(best.values(), key=lambda c: -c.score)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s@.+-]", " ", text.lower()).split())


def name_similarity(wanted: str, name: str) -> float:
    """1.0 for the same words, 0.9 when all wanted words appear in the name (or the name's
    words in what is wanted), otherwise the fuzzy ratio scaled below 0.85."""
    a, b = _normal(wanted), _normal(name)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    aw, bw = set(a.split()), set(b.split())
    if aw <= bw:
        return 0.9 * (0.9 + 0.1 * len(aw) / len(bw))
    if bw <= aw:
        return 0.85 * len(bw) / len(aw) + 0.05
    return 0.85 * difflib.SequenceMatcher(None, a, b).ratio()


def _box_text(box: ScreenBox) -> str:
    return f"({box.x1:.0f}, {box.y1:.0f})-({box.x2:.0f}, {box.y2:.0f})"

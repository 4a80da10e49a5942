# ruff: noqa: RUF001  (the multiplication sign on calculator buttons is the point)
"""The indexed grounding answers exactly as the plain one did (tests/grounding_reference.py).

Random small screens made of a few names that collide (typos, shared words, signs, CJK,
placeholders, duplicated boxes, rows of labels and controls close together) and random
descriptions (roles, ordinals, relations, quotes) are grounded both ways; the answers must
be equal in every field, messages included. The grids are forced on for small screens too,
so the spatial index, not its scan for few boxes, is what is compared.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screenpilot.perception import grounding, spatial
from screenpilot.perception.descriptions import NameIndex, name_similarity
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.grounding import ground, labelled_control
from screenpilot.perception.spatial import BoxGrid
from tests import grounding_reference as reference

NAMES = [
    "", "", "Email", "Email address", "email", "Emial", "Name", "Names", "Submit", "Sign in",
    "Sign in with Google", "Entry 1", "Entry 2", "Tab 2", "OK", "Ok", "=", "×", "*", "x", "X",
    "-", "−", "<-", "+", "Close", "close", "Medium", "Subscribe", "Search", "Search the docs",
    "Save and Close", "15", "16", "名前", "メールアドレス", "メール", "Remember me", "label 3",
    "you@example.com", "Your email", "Preferences", "Country", "Standard", "Express",
]  # fmt: skip
ROLES = [
    "text", "text", "text", "text", "field", "entry", "entry", "checkbox", "radio", "button",
    "button", "combo", "link", "tab", "menu", "window", "other",
]  # fmt: skip
STATES = ["active-window", "document", "dialog", "input:email", "input:tel", "focused"]
WORDS = [
    "Email", "email address", "Name", "Submit", "Sign in", "Sign in with Google", "Entry 1",
    "Tab 2", "OK", "=", "×", "x", "-", "<-", "+", "close", "Close", "Medium", "Subscribe",
    "search", "Save and Close", "15", "名前", "メール", "Remember me", "label", "Emial",
    "Country", "Express", "your email", "Preferences", "Nothing here",
]  # fmt: skip
ROLE_WORDS = ["field", "button", "checkbox", "radio button", "box", "text box", "link", "tab",
              "dialog", "option", "list", "search box", "label"]  # fmt: skip
ORDINALS = ["first", "second", "third", "last", "2nd"]
RELATIONS = ["right of", "left of", "below", "above", "in", "next to"]
INTENTS = ["any", "click", "type", "check", "select"]


@st.composite
def boxes(draw: st.DrawFn) -> ScreenBox:
    # A coarse grid: rows and columns line up, neighbours touch, boxes nest.
    x = draw(st.integers(0, 24)) * 20 + draw(st.sampled_from([0, 0, 3, -3]))
    y = draw(st.integers(0, 12)) * 20 + draw(st.sampled_from([0, 0, 2, -2]))
    w = draw(st.sampled_from([16, 20, 40, 60, 80, 120, 300, 500]))
    h = draw(st.sampled_from([16, 18, 20, 30, 40, 200]))
    return ScreenBox(x1=x, y1=y, x2=x + w, y2=y + h)


@st.composite
def screens(draw: st.DrawFn, most: int = 14) -> list[Element]:
    n = draw(st.integers(0, most))
    found: list[Element] = []
    for i in range(n):
        if found and draw(st.integers(0, 5)) == 0:
            box = draw(st.sampled_from(found)).box  # two readings of one thing
        else:
            box = draw(boxes())
        found.append(
            Element(
                id=f"e{i}",
                role=draw(st.sampled_from(ROLES)),
                name=draw(st.sampled_from(NAMES)),
                placeholder=draw(st.sampled_from(["", "", "", "Your email", "Search the docs"])),
                states=frozenset(draw(st.lists(st.sampled_from(STATES), max_size=2))),
                box=box,
                source=draw(st.sampled_from(["ocr", "a11y", "pixels"])),
                score=draw(st.sampled_from([1.0, 1.0, 0.99, 0.9, 0.6, 0.5])),
            )
        )
    return found


@st.composite
def descriptions(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(WORDS))
    role = draw(st.sampled_from(ROLE_WORDS))
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return word
    if kind == 1:
        return f"the {word} {role}"
    if kind == 2:
        return f"the {draw(st.sampled_from(ORDINALS))} {role}"
    if kind == 3:
        return f"the {draw(st.sampled_from(ORDINALS))} {word}"
    if kind == 4:
        other = draw(st.sampled_from(WORDS))
        return f"the {role} {draw(st.sampled_from(RELATIONS))} {other}"
    if kind == 5:
        return f'the {role} "{word}"'
    return f"the {role}"


def outcome(result: Any) -> tuple[Any, ...]:
    """Every field of an answer, whichever module's classes it is made of."""
    kind = type(result).__name__
    if kind == "Found":
        return (kind, result.element, result.confidence, result.why, result.label)
    listed = [(c.element, c.score, c.why, c.label) for c in result.candidates]
    if kind == "Ambiguous":
        return (kind, result.description, listed, result.message())
    return (kind, result.description, listed, result.read, result.note, result.message())


def grids_everywhere() -> Any:
    """Grids even for a handful of boxes, so the index is what answers."""
    return mock.patch.object(spatial, "_SCAN_BELOW", 0)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(screen=screens(), words=descriptions(), intent=st.sampled_from(INTENTS))
def test_the_indexed_grounding_answers_as_the_plain_one(
    screen: list[Element], words: str, intent: Any
) -> None:
    with grids_everywhere():
        fast = ground(words, screen, intent=intent)
    assert outcome(fast) == outcome(reference.ground(words, screen, intent=intent))
    assert outcome(ground(words, screen, intent=intent)) == outcome(fast)  # the scan, too


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(screen=screens(most=80), words=descriptions(), intent=st.sampled_from(INTENTS))
def test_crowded_screens_answer_as_before(screen: list[Element], words: str, intent: Any) -> None:
    assert outcome(ground(words, screen, intent=intent)) == outcome(
        reference.ground(words, screen, intent=intent)
    )


@settings(max_examples=300, deadline=None)
@given(screen=screens(most=30), roles=st.sampled_from([
    frozenset({"entry", "field", "combo"}), frozenset({"checkbox", "radio"}),
    frozenset({"combo"}), frozenset({"button"}), frozenset({"text"}),
]))  # fmt: skip
def test_labels_pair_with_the_same_controls(screen: list[Element], roles: Any) -> None:
    controls = [e for e in screen if e.role in roles]
    texts = [e for e in screen if e.role == "text"]
    with grids_everywhere():
        for label in texts:
            assert labelled_control(label, controls, roles, texts) == reference.labelled_control(
                label, controls, roles, texts
            )
            # Controls out of the wanted roles are passed over, as before.
            assert labelled_control(label, screen, roles, texts) == reference.labelled_control(
                label, screen, roles, texts
            )


coordinates = st.floats(-5000, 5000, allow_nan=False)


@st.composite
def rects(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x, y = draw(coordinates), draw(coordinates)
    w = draw(st.one_of(st.floats(0, 200), st.sampled_from([0.0, 64.0, 128.0, 1e5])))
    h = draw(st.one_of(st.floats(0, 200), st.sampled_from([0.0, 64.0, 1e5])))
    return x, y, x + w, y + h


@settings(max_examples=200, deadline=None)
@given(st.lists(rects(), max_size=60), st.lists(rects(), min_size=1, max_size=5))
def test_a_grid_finds_exactly_the_boxes_meeting_a_rectangle(
    placed: list[tuple[float, float, float, float]],
    queries: list[tuple[float, float, float, float]],
) -> None:
    boxes_ = [ScreenBox(x1=a, y1=b, x2=c, y2=d) for a, b, c, d in placed]
    grid = BoxGrid(boxes_)
    for x1, y1, x2, y2 in queries:
        plain = [
            i
            for i, b in enumerate(boxes_)
            if b.x1 <= x2 and x1 <= b.x2 and b.y1 <= y2 and y1 <= b.y2
        ]
        assert grid.meeting(x1, y1, x2, y2) == plain


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([*NAMES, "abcd", "axbxcxd", "label 12", "Email field"]), max_size=20),
    st.sampled_from([*WORDS, "abcd", "Email field", "close", "X"]),
    st.sampled_from([0.55, 0.6, 0.3, 0.85, 0.95]),
)
def test_a_name_index_leaves_out_only_names_below_the_bar(
    names: list[str], wanted: str, at_least: float
) -> None:
    kept = set(NameIndex(names).candidates(wanted, at_least))
    for i, name in enumerate(names):
        if name_similarity(wanted, name) >= at_least:
            assert i in kept, (wanted, name)


def test_a_fuzzy_match_without_a_shared_pair_of_letters_is_kept() -> None:
    # difflib rates these 0.73 though they share no two letters in a row.
    assert NameIndex(["zzz", "axbxcxd"]).candidates("abcd", 0.6) == [1]


def dense_form(rows: int) -> list[Element]:
    """`rows` labels "Name 0".."Name n" each with an entry to its right: every label
    matches "Name" well enough to be paired, the case that was quadratic."""
    page: list[Element] = []
    for r in range(rows):
        y = 10 + 24 * r
        page.append(
            Element(
                id=f"t{r}",
                role="text",
                name=f"Name {r}",
                box=ScreenBox(x1=10, y1=y, x2=90, y2=y + 18),
                source="ocr",
            )
        )
        page.append(
            Element(
                id=f"f{r}",
                role="field",
                box=ScreenBox(x1=100, y1=y, x2=400, y2=y + 18),
                source="pixels",
            )
        )
    return page


def test_a_dense_form_grounds_as_before_looking_only_at_nearby_controls() -> None:
    """Each label measures its gap to the few controls its grid cells hold, not to all of
    them. Paired plainly, 200 rows already take 18,800 gaps and the count grows with the
    square of the rows; indexed, 1,000 rows take a few hundred.
    (Work is counted, not timed: the time is bench/grounding_scale.py's to measure.)"""
    page = dense_form(1000)  # 2,000 elements, every label paired
    gaps = mock.Mock(wraps=grounding._gap)
    with mock.patch.object(grounding, "_gap", gaps):
        result = ground("the Name 777 field", page, intent="type")
    assert outcome(result) == outcome(reference.ground("the Name 777 field", page, intent="type"))
    assert result.element.id == "f777"  # type: ignore[union-attr]
    assert 0 < gaps.call_count <= 2 * 1000, gaps.call_count


@pytest.mark.parametrize("words", ["Name", "the Name field", "the field right of Name 3"])
def test_a_dense_form_is_ambiguous_or_found_as_before(words: str) -> None:
    page = dense_form(60)
    for intent in INTENTS:
        fast = ground(words, page, intent=intent)  # type: ignore[arg-type]
        plain = reference.ground(words, page, intent=intent)  # type: ignore[arg-type]
        assert outcome(fast) == outcome(plain), (words, intent)


def element(id_: str, role: Any, name: str, box: tuple[float, ...], score: float = 1.0) -> Element:
    x1, y1, x2, y2 = box
    return Element(
        id=id_,
        role=role,
        name=name,
        box=ScreenBox(x1=x1, y1=y1, x2=x2, y2=y2),
        source="ocr",
        score=score,
    )


def test_a_tie_inside_one_place_goes_to_the_box_seen_first_even_by_a_weak_name() -> None:
    # The entry's own name ("Mix", 0.42 for "Email") is under the floor, so the name index
    # leaves it out; but the full ranking met its box first, and that decides the exact tie
    # (0.95) between the entry (through its label) and the field drawn inside it.
    page = [
        element("T", "entry", "Mix", (100, 0, 400, 30)),
        element("J", "field", "Email", (110, 5, 390, 25), score=0.95),
        element("L", "text", "Email", (10, 0, 90, 30)),
    ]
    result = ground("the Email field", page, intent="type")
    assert outcome(result) == outcome(reference.ground("the Email field", page, intent="type"))
    assert result.element.id == "T"  # type: ignore[union-attr]


def test_a_rival_just_under_the_bar_still_makes_a_tie() -> None:
    # "Sauce" is 0.57 like "Save" (0.6 after an unsure read): within the margin, ambiguous.
    page = [
        element("a", "button", "Save", (10, 10, 60, 40), score=0.6),
        element("b", "button", "Sauce", (300, 10, 360, 40)),
    ]
    result = ground("Save", page, intent="click")
    assert outcome(result) == outcome(reference.ground("Save", page, intent="click"))
    assert type(result).__name__ == "Ambiguous"


@st.composite
def neighbourhoods(draw: st.DrawFn) -> tuple[Element, list[Element], list[Element]]:
    """One label and controls and captions scattered close around it, within and just past
    every reach `labelled_control` measures (400 px, the 4 px overlap, 40 px below)."""
    lw = draw(st.sampled_from([8, 16, 30, 80]))
    label = element("label", "text", "Name", (400, 400, 400 + lw, 418))
    offsets = st.sampled_from([-460, -404, -401, -60, -40, -20, -5, -4, -3, -2, 0, 3, 10, 36,
                               44, 396, 399, 400, 401, 405])  # fmt: skip
    # A caption's distance right of a control, around the reach that makes it the claimant.
    after = st.sampled_from([-5, -4, 0, 5, 11, 23, 24, 25, 31, 32, 33, 59, 60, 61])
    found: list[Element] = []
    for i in range(draw(st.one_of(st.integers(1, 3), st.integers(0, 30)))):
        x = 400 + lw + draw(offsets) if draw(st.booleans()) else 400 + draw(offsets)
        y = 418 + draw(offsets) if draw(st.booleans()) else 400 + draw(st.integers(-20, 20))
        w = draw(st.sampled_from([1, 2, 3, 12, 16, 60, 300]))
        h = draw(st.sampled_from([2, 12, 16, 18, 30]))
        role = draw(st.sampled_from(["entry", "field", "checkbox", "radio", "text", "button"]))
        found.append(element(f"c{i}", role, "", (x, y, x + w, y + h)))
        if role != "text" and draw(st.booleans()):
            tx = x + w + draw(after)
            found.append(element(f"t{i}", "text", "Other", (tx, y, tx + 50, y + h)))
    texts = [e for e in found if e.role == "text"] + [label]
    return label, [e for e in found if e.role != "text"], texts


@settings(max_examples=500, deadline=None)
@given(
    neighbourhoods(),
    st.sampled_from([frozenset({"entry", "field", "combo"}), frozenset({"checkbox", "radio"})]),
)
def test_every_reach_of_a_label_is_searched(
    near: tuple[Element, list[Element], list[Element]], roles: Any
) -> None:
    label, controls, texts = near
    with grids_everywhere():
        assert labelled_control(label, controls, roles, texts) == reference.labelled_control(
            label, controls, roles, texts
        )


INPUTS = frozenset({"entry", "field", "combo"})
CHECKABLE = frozenset({"checkbox", "radio"})


@pytest.mark.parametrize(
    ("label_box", "box", "roles", "found"),
    [
        ((400, 400, 480, 418), (880, 400, 990, 418), INPUTS, True),  # right, 400 px away
        ((400, 400, 480, 418), (881, 400, 990, 418), INPUTS, False),  # 401 px: out of reach
        ((400, 400, 480, 418), (476, 400, 478, 418), INPUTS, True),  # overlapping by 4 px
        ((400, 400, 480, 418), (475, 400, 477, 418), INPUTS, False),  # by 5 px
        ((400, 400, 480, 418), (-8, 400, 0, 418), CHECKABLE, True),  # left, 400 px away
        ((400, 400, 480, 418), (-9, 400, -1, 418), CHECKABLE, False),
        ((400, 400, 480, 418), (400, 818, 600, 840), INPUTS, True),  # below, 400 px down
        ((400, 400, 480, 418), (400, 819, 600, 840), INPUTS, False),
        ((400, 400, 410, 418), (440, 430, 600, 450), INPUTS, True),  # 40 px right of its left
        ((400, 400, 410, 418), (441, 430, 600, 450), INPUTS, False),
    ],
)
def test_each_reach_ends_where_it_did(
    label_box: tuple[float, ...], box: tuple[float, ...], roles: Any, found: bool
) -> None:
    label = element("label", "text", "Name", label_box)
    # Enough other controls far away that the grid, not a scan, answers.
    far = [element(f"far{i}", "entry", "", (5000 + 50 * i, 5000, 5040 + 50 * i, 5020))
           for i in range(30)]  # fmt: skip
    control = element("near", next(iter(sorted(roles))), "", box)
    controls = [*far, control]
    paired = labelled_control(label, controls, roles, [label])
    assert paired == reference.labelled_control(label, controls, roles, [label])
    assert (paired == control) is found

"""Grounding words to elements without a model."""

from __future__ import annotations

from typing import Any

import pytest

from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.grounding import (
    Ambiguous,
    Found,
    NotFound,
    ground,
    parse_description,
)


def el(role: Any, name: str, x1: float, y1: float, x2: float, y2: float, **kw: Any) -> Element:
    return Element(
        id=f"{role}-{name}-{x1}",
        role=role,
        name=name,
        box=ScreenBox(x1=x1, y1=y1, x2=x2, y2=y2),
        source=kw.pop("source", "ocr"),
        **kw,
    )


# A form as OCR + the pixel field detector see it: labels are text, inputs are nameless.
OCR_FORM = [
    el("text", "Name", 217, 181, 295, 215, score=0.99),
    el("field", "", 325, 185, 660, 212, source="pixels"),
    el("text", "Email", 218, 240, 290, 273, score=0.99),
    el("field", "", 325, 244, 660, 271, source="pixels"),
    el("text", "Subscribe", 342, 302, 463, 333, score=0.99),
    el("text", "Submit", 320, 366, 413, 398, score=0.99),
]
# The same form through an accessibility tree: inputs carry their labels' names.
A11Y_FORM = [
    el("text", "Name", 217, 181, 295, 215, source="a11y"),
    el("entry", "Name", 325, 185, 660, 212, source="a11y"),
    el("text", "Email", 218, 240, 290, 273, source="a11y"),
    el("entry", "Email", 325, 244, 660, 271, source="a11y"),
    el("checkbox", "Subscribe", 320, 302, 463, 333, source="a11y"),
    el("button", "Submit", 320, 366, 413, 398, source="a11y"),
]


@pytest.mark.parametrize(
    ("text", "name", "roles", "relation", "anchor"),
    [
        ("Submit", "Submit", set(), None, None),
        ("the Email field", "Email", {"entry", "field", "combo"}, None, None),
        ("Subscribe checkbox", "Subscribe", {"checkbox"}, None, None),
        ("the Save button", "Save", {"button"}, None, None),
        ("the field right of Name", "", {"entry", "field", "combo"}, "right", "Name"),
        ("the button below the Email field", "", {"button"}, "below", "Email"),
        ("the field", "", {"entry", "field", "combo"}, None, None),
    ],
)
def test_descriptions_are_read_into_role_name_and_relation(
    text: str, name: str, roles: set[str], relation: str | None, anchor: str | None
) -> None:
    q = parse_description(text)
    assert (q.name, set(q.roles), q.relation) == (name, roles, relation)
    assert (q.anchor.name if q.anchor else None) == anchor


@pytest.mark.parametrize("form", [OCR_FORM, A11Y_FORM], ids=["ocr", "a11y"])
@pytest.mark.parametrize(
    ("description", "expected_box_y1"),
    [
        ("the Email field", 244),
        ("Name field", 185),
        ("the field right of Name", 185),
        ("the field right of Email", 244),
        ("Submit", 366),
        ("the Submit button", 366),
        ("Subscribe checkbox", 302),
        ("the Emial field", 244),  # a typo still lands, with less confidence
    ],
)
def test_form_targets_resolve_on_both_sources(
    form: list[Element], description: str, expected_box_y1: float
) -> None:
    result = ground(description, form)
    assert isinstance(result, Found), result
    assert result.box.y1 == expected_box_y1
    assert 0.5 <= result.confidence <= 1.0


def test_a_label_found_through_ocr_points_at_its_input_not_at_itself() -> None:
    result = ground("the Email field", OCR_FORM)
    assert isinstance(result, Found)
    assert result.element.role == "field"
    assert result.label is not None and result.label.name == "Email"


def test_exact_names_beat_typos() -> None:
    exact = ground("the Email field", OCR_FORM)
    typo = ground("the Emial field", OCR_FORM)
    assert isinstance(exact, Found) and isinstance(typo, Found)
    assert typo.confidence < exact.confidence


def test_two_equally_good_matches_are_ambiguous_and_listed() -> None:
    form = [el("button", "OK", 10, 10, 60, 40), el("button", "OK", 300, 10, 350, 40)]
    result = ground("OK", form)
    assert isinstance(result, Ambiguous)
    assert len(result.candidates) == 2
    assert "ambiguous" in result.message() and "(300, 10)" in result.message()


def test_no_match_lists_the_nearest_candidates() -> None:
    result = ground("the Cancel button", A11Y_FORM)
    assert isinstance(result, NotFound)
    assert "nothing on the screen matches 'the Cancel button'" in result.message()
    empty = ground("Submit", [])
    assert isinstance(empty, NotFound) and "no elements were read" in empty.message()


def test_a_bare_role_finds_the_only_one_or_is_ambiguous() -> None:
    result = ground("the checkbox", A11Y_FORM)
    assert isinstance(result, Found) and result.element.name == "Subscribe"
    assert isinstance(ground("the field", A11Y_FORM), Ambiguous)
    menu = [el("button", "Menu", 0, 0, 50, 20), el("combo", "Size", 0, 40, 80, 60)]
    named = ground("Menu", menu)
    assert isinstance(named, Found) and named.element.role == "button"


def test_a_role_that_does_not_fit_is_not_taken() -> None:
    # "Submit field" must not click the Submit button.
    result = ground("the Submit field", A11Y_FORM)
    assert not isinstance(result, Found)

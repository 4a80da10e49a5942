# ruff: noqa: RUF001  (the multiplication sign on calculator buttons is the point)
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


# --------------------------------------------------------------------------- issue 11
# A GTK dialog read through AT-SPI: labels are text, entries have no names of their own.
GTK_DIALOG = [
    el("text", "Name", 20, 20, 80, 40, source="a11y"),
    el("entry", "", 100, 18, 400, 42, source="a11y"),
    el("text", "Email", 20, 60, 80, 80, source="a11y"),
    el("entry", "", 100, 58, 400, 82, source="a11y"),
    el("text", "City", 20, 100, 80, 120, source="a11y"),
    el("entry", "", 100, 98, 400, 122, source="a11y"),
    el("button", "Cancel", 200, 150, 290, 180, source="a11y"),
    el("button", "OK", 300, 150, 390, 180, source="a11y"),
]


@pytest.mark.parametrize(("label", "y1"), [("Name", 18), ("Email", 58), ("City", 98)])
def test_typing_grounds_a_bare_label_to_the_entry_beside_it(label: str, y1: float) -> None:
    # "type Bob into Name": the words name no role, the action (typing) implies an editable one.
    result = ground(label, GTK_DIALOG, intent="type")
    assert isinstance(result, Found), result
    assert (result.element.role, result.box.y1) == ("entry", y1)
    assert result.label is not None and result.label.name == label
    # Without the intent the label itself is what the words name.
    plain = ground(label, GTK_DIALOG)
    assert isinstance(plain, Found) and plain.element.role == "text"


def test_a_label_above_its_field_names_it() -> None:
    web = [
        el("text", "Email address", 20, 20, 160, 40),
        el("entry", "", 20, 46, 320, 76, source="pixels"),
        el("text", "Password", 20, 96, 120, 116),
        el("entry", "", 20, 122, 320, 152, source="pixels"),
    ]
    result = ground("Password", web, intent="type")
    assert isinstance(result, Found) and result.box.y1 == 122


def test_placeholder_text_names_an_empty_field() -> None:
    page = [
        el("entry", "", 20, 20, 320, 50, source="a11y", placeholder="Search the docs"),
        el("entry", "", 20, 70, 320, 100, source="a11y", placeholder="Your email"),
        # OCR-only: the grey words read inside a drawn box stand for the box.
        el("text", "First name", 30, 128, 120, 146),
        el("entry", "", 20, 120, 320, 154, source="pixels"),
    ]
    for words, y1 in [("the search box", 20), ("your email", 70), ("First name", 120)]:
        result = ground(words, page, intent="type")
        assert isinstance(result, Found), (words, result)
        assert result.box.y1 == y1, words


@pytest.mark.parametrize(
    ("words", "y1"),
    [
        ("the first field", 18),
        ("the second text field", 58),
        ("the third field", 98),
        ("the last field", 98),
        ("the 2nd field", 58),
    ],
)
def test_ordinals_count_in_reading_order(words: str, y1: float) -> None:
    result = ground(words, GTK_DIALOG, intent="type")
    assert isinstance(result, Found), result
    assert result.box.y1 == y1


def test_an_ordinal_past_the_end_says_how_many_there_are() -> None:
    result = ground("the fifth field", GTK_DIALOG)
    assert isinstance(result, NotFound)
    assert "there are 3 such" in result.message()


def test_checking_prefers_the_checkbox_and_a_drawn_square_left_of_its_caption() -> None:
    a11y = [
        el("text", "Subscribe", 40, 10, 140, 30, source="a11y"),
        el("checkbox", "Subscribe", 10, 10, 140, 30, source="a11y"),
    ]
    result = ground("Subscribe", a11y, intent="check")
    assert isinstance(result, Found) and result.element.role == "checkbox"
    ocr = [
        el("checkbox", "", 10, 12, 26, 28, source="pixels"),
        el("text", "Subscribe", 34, 10, 140, 30),
        el("checkbox", "", 10, 52, 26, 68, source="pixels"),
        el("text", "Remember me", 34, 50, 180, 70),
    ]
    result = ground("Remember me checkbox", ocr)
    assert isinstance(result, Found), result
    assert (result.element.source, result.box.y1) == ("pixels", 52)


def test_clicking_prefers_a_control_over_text_of_the_same_name() -> None:
    page = [
        el("text", "Sign in", 400, 20, 520, 60, source="a11y"),  # the heading
        el("button", "Sign in", 400, 300, 520, 340, source="a11y"),
    ]
    result = ground("Sign in", page, intent="click")
    assert isinstance(result, Found) and result.element.role == "button"


def test_select_wants_a_combo_named_by_its_label() -> None:
    form = [
        el("text", "Country", 20, 20, 100, 40),
        el("combo", "", 120, 18, 300, 42, source="pixels"),
        el("text", "Notes", 20, 60, 100, 80),
        el("entry", "", 120, 58, 300, 82, source="pixels"),
    ]
    result = ground("Country", form, intent="select")
    assert isinstance(result, Found) and result.element.role == "combo"


CALCULATOR = [
    el("button", "=", 200, 200, 240, 240, source="a11y"),
    el("button", "*", 150, 100, 190, 140, source="a11y"),
    el("button", "-", 150, 150, 190, 190, source="a11y"),
    el("button", "<-", 200, 50, 240, 90, source="a11y"),
    el("button", "7", 0, 100, 40, 140, source="a11y"),
    el("button", "17", 50, 100, 90, 140, source="a11y"),
]


@pytest.mark.parametrize(
    ("words", "name"),
    [("=", "="), ("*", "*"), ("×", "*"), ("the - button", "-"), ("<-", "<-"), ("7", "7")],
)
def test_names_made_of_signs_match_exactly(words: str, name: str) -> None:
    result = ground(words, CALCULATOR, intent="click")
    assert isinstance(result, Found), result
    assert result.element.name == name


def test_a_sign_never_matches_a_longer_sign() -> None:
    assert isinstance(ground("+", CALCULATOR), NotFound)


def test_a_role_word_inside_a_name_is_read_as_name() -> None:
    form = [
        el("text", "Entry 1", 20, 20, 100, 40, source="a11y"),
        el("entry", "", 120, 18, 300, 42, source="a11y"),
        el("text", "Entry 2", 20, 60, 100, 80, source="a11y"),
        el("entry", "", 120, 58, 300, 82, source="a11y"),
        el("tab", "Tab 1", 0, 0, 50, 15, source="a11y"),
        el("tab", "Tab 2", 60, 0, 110, 15, source="a11y"),
    ]
    right = ground("the field right of Entry 2", form)
    assert isinstance(right, Found) and right.box.y1 == 58
    named = ground("Entry 1 field", form)
    assert isinstance(named, Found) and named.box.y1 == 18
    tab = ground("Tab 2", form, intent="click")
    assert isinstance(tab, Found) and tab.element.name == "Tab 2"


def test_the_active_window_wins_a_tie_and_two_elsewhere_stay_ambiguous() -> None:
    behind = el("button", "OK", 10, 10, 60, 40, source="a11y", window="app/0")
    front = el(
        "button", "OK", 300, 300, 350, 330, source="a11y", window="app/1", states={"active-window"}
    )
    result = ground("OK", [behind, front])
    assert isinstance(result, Found) and result.box.x1 == 300
    twice = ground("the OK button", [behind, behind.model_copy(update={"box": front.box})])
    assert isinstance(twice, Ambiguous) and len(twice.candidates) == 2


def test_quoted_words_inside_a_description_are_its_name() -> None:
    page = [
        el("text", "lorem ipsum dolor", 20, 20, 300, 40, source="a11y"),
        el("link", "lorem", 20, 60, 80, 80, source="a11y"),
        el("link", "ipsum", 100, 60, 160, 80, source="a11y"),
    ]
    q = parse_description('the link "lorem"')
    assert (q.name, set(q.roles)) == ("lorem", {"link"})
    result = ground('the link "lorem"', page)
    assert isinstance(result, Found) and result.element.role == "link"


def test_one_word_of_an_ocr_row_is_its_own_target() -> None:
    # A calendar row: the line and each word OCR boxed on its own.
    days = ["15", "16", "17", "18", "19", "20", "21"]
    row = [el("text", " ".join(days), 10, 100, 290, 120)]
    row += [el("text", d, 10 + 40 * i, 100, 30 + 40 * i, 120) for i, d in enumerate(days)]
    result = ground("15", row, intent="click")
    assert isinstance(result, Found), result
    assert result.box.x1 == 10 and result.box.x2 == 30


def test_close_finds_the_close_control() -> None:
    dialog = [
        el("text", "Preferences", 10, 0, 200, 20, source="a11y"),
        el("button", "×", 380, 0, 400, 20, source="a11y"),
    ]
    for words in ("the close button", "the x", "close"):
        result = ground(words, dialog, intent="click")
        assert isinstance(result, Found), (words, result)
        assert result.element.name == "×"


def test_a_name_with_a_relation_word_is_still_a_name() -> None:
    page = [el("button", "Sign in with Google", 10, 10, 200, 40, source="a11y")]
    result = ground("Sign in with Google", page, intent="click")
    assert isinstance(result, Found)
    over = [el("link", "Take it over", 10, 10, 200, 40, source="a11y")]
    assert isinstance(ground("Take it over", over, intent="click"), Found)


def test_not_found_says_what_was_read_and_why() -> None:
    ocr_only = [el("text", t, 10, 10 + 30 * i, 80, 30 + 30 * i) for i, t in enumerate("ABCDEFG")]
    ocr_only[0] = el("text", "Name", 10, 10, 80, 30)
    result = ground("Name", ocr_only, intent="type")
    assert isinstance(result, NotFound)
    message = result.message()
    assert "7 texts (ocr) read" in message
    assert "text 'Name' is there" in message and "no combo/entry/field near it" in message


def test_typing_never_picks_a_button_that_shares_the_name() -> None:
    form = [el("button", "Search", 300, 10, 380, 40, source="a11y")]
    assert not isinstance(ground("Search", form, intent="type"), Found)


def test_in_the_dialog_means_inside_the_innermost_dialog() -> None:
    browser = [
        el("window", "Blog - Chromium", 0, 0, 1920, 1080, source="a11y"),
        el("button", "Close", 1444, 40, 1475, 79, source="a11y"),  # the window's
        el("button", "Close", 326, 46, 353, 73, source="a11y"),  # a tab's
        el("window", "Subscribe", 700, 400, 1200, 700, source="a11y", states={"dialog"}),
        el("button", "Close", 950, 438, 987, 472, source="a11y"),
    ]
    assert isinstance(ground("the close button", browser, intent="click"), Ambiguous)
    result = ground("the close button in the dialog", browser, intent="click")
    assert isinstance(result, Found), result
    assert result.box.x1 == 950
    assert isinstance(ground("the close button in the dialog", browser[:3]), NotFound)


def test_a_day_of_the_month_is_its_number() -> None:
    days = [el("text", str(d), 10 + 30 * d, 100, 30 + 30 * d, 120) for d in range(1, 29)]
    result = ground("the 15th", days, intent="click")
    assert isinstance(result, Found) and result.element.name == "15"


def test_on_a_tie_the_page_wins_over_the_browsers_own_controls() -> None:
    browser = [
        el("entry", "Address and search bar", 100, 40, 1800, 70, source="a11y"),
        el("other", "Shop", 0, 90, 1920, 1080, source="a11y", states={"document"}),
        el("entry", "", 500, 300, 1000, 340, source="a11y", placeholder="Search products"),
    ]
    result = ground("the text box", browser, intent="type")
    assert isinstance(result, Found) and result.box.y1 == 300
    result = ground("the search box", browser, intent="type")
    assert isinstance(result, Found) and result.box.y1 == 300


def test_a_label_names_a_box_the_finder_is_unsure_of() -> None:
    form = [
        el("text", "Age", 20, 20, 60, 40, score=0.99),
        el("field", "", 80, 18, 200, 42, source="pixels", score=0.6),
    ]
    result = ground("the Age box", form, intent="type")
    assert isinstance(result, Found) and result.element.role == "field"


def test_a_field_whose_type_or_example_says_email_is_the_email_field() -> None:
    dialog = [
        el("text", "Join our newsletter", 600, 400, 900, 430, source="a11y"),
        el("entry", "", 590, 580, 970, 620, source="a11y", placeholder="you@example.com"),
    ]
    result = ground("the email field", dialog, intent="type")
    assert isinstance(result, Found) and result.box.y1 == 580
    typed = [el("entry", "", 10, 10, 300, 40, source="a11y", states={"input:email"})]
    assert isinstance(ground("the email field", typed, intent="type"), Found)
    plain = [el("entry", "", 10, 10, 300, 40, source="a11y", placeholder="Your name")]
    assert not isinstance(ground("the email field", plain, intent="type"), Found)


def test_sign_in_is_a_name_not_a_relation() -> None:
    page = [
        el("text", "Sign in to continue to your dashboard.", 100, 100, 600, 130, source="a11y"),
        el("button", "Sign in", 100, 400, 200, 440, source="a11y"),
    ]
    result = ground("Sign in", page, intent="click")
    assert isinstance(result, Found) and result.element.role == "button"


def test_selecting_ticks_the_radio_a_label_names_or_clicks_what_bears_the_name() -> None:
    radios = [
        el("radio", "", 10, 10, 26, 26, source="pixels"),
        el("text", "Medium", 34, 8, 120, 28),
        el("button", "Save and Close", 10, 60, 160, 90, source="a11y"),
    ]
    tick = ground("Medium", radios, intent="check")
    assert isinstance(tick, Found) and tick.element.role == "radio"
    other = ground("Save and Close", radios, intent="check")
    assert isinstance(other, Found) and other.element.role == "button"


def test_in_a_row_of_radios_the_circle_after_a_caption_is_not_its_own() -> None:
    # "(o) Standard ( ) Express ( ) Overnight", OCR-only; Express's own circle went unseen.
    row = [
        el("radio", "", 10, 10, 26, 26, source="pixels"),
        el("text", "Standard", 32, 8, 110, 28),
        el("text", "Express", 150, 8, 220, 28),
        el("radio", "", 230, 10, 246, 26, source="pixels"),
        el("text", "Overnight", 252, 8, 340, 28),
    ]
    result = ground("Express", row, intent="check")
    assert not (isinstance(result, Found) and result.box.x1 == 230), result
    # A checkbox after its label, with nothing claiming it, is still found (yad's forms).
    form = [el("text", "Subscribe", 10, 10, 100, 28), el("checkbox", "", 120, 11, 136, 27)]
    found = ground("Subscribe", form, intent="check")
    assert isinstance(found, Found) and found.element.role == "checkbox"

# ruff: noqa: RUF001  (the typographic quotes are the point here)
"""The no-model instruction grammar: instructions as people write them -> the exact typed
actions, the clauses they split into, what an unreadable one says, and how the rules policy
settles what only the run can (a list or a field, "all fields")."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import (
    Click,
    Drag,
    Hover,
    Key,
    LongPress,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry
from screenpilot.perception.screenshot import Observation, Screenshot
from screenpilot.policies.base import Outcome, PolicyError, Step
from screenpilot.policies.rules import RulesPolicy, read_clause, read_instruction, split_clauses


def click(target: str, **kw: Any) -> Click:
    return Click(target=Description(text=target), **kw)


def ticked(target: str) -> Click:
    """A click that makes sure the box ends up checked (no click when it already is)."""
    return click(target, ensure="checked")


def unticked(target: str) -> Click:
    return click(target, ensure="unchecked")


def typed(
    text: str, target: str | None = None, *, clear: bool | None = None, enter: bool = False
) -> TypeText:
    """Typing; into a named target it clears first unless told otherwise."""
    where = Description(text=target) if target else None
    first = (target is not None) if clear is None else clear
    return TypeText(text=text, target=where, clear_first=first, press_enter=enter)


def key(chord: str) -> Key:
    return Key(keys=chord)


CLOSE = click("the close button")
CLOSE_DIALOG = click("the close button in the dialog")  # first; then Escape, then CLOSE

TABLE: list[tuple[str, list[Any]]] = [
    # The brief's own phrasings.
    (
        "type Bob Stone into Name, type bob@example.org into Email, type Lyon into City, "
        "then click OK",
        [
            typed("Bob Stone", "Name"),
            typed("bob@example.org", "Email"),
            typed("Lyon", "City"),
            click("OK"),
        ],
    ),
    (
        'Type "Lena" into the text box and press Submit.',
        [typed("Lena", "the text box"), click("Submit")],
    ),
    ('Click on the link "lorem".', [click('the link "lorem"')]),
    ("Select Red and Blue, then click OK.", [ticked("Red"), ticked("Blue"), click("OK")]),
    ("Focus on the search box.", [click("the search box")]),
    ("Close the window by clicking the x.", [CLOSE]),
    ("Click on Tab 2.", [click("Tab 2")]),
    ("tap I have read and accept the terms", [click("I have read and accept the terms")]),
    ("enter 42 in the Age box", [typed("42", "the Age box")]),
    ("choose France from Country", [click("the Country list"), click("France")]),
    ("pick the Pro plan", [ticked("Pro")]),  # else "the Pro plan"
    ("type hello", [typed("hello")]),
    ("type ls into the terminal", [typed("ls")]),
    # Phones.
    ("tap Sign in", [click("Sign in")]),
    ("swipe up", [Swipe(direction="up")]),
    ("go back", [SystemButton(button="back")]),
    ("open Settings", [OpenApp(app="Settings")]),
    ("turn on Wi-Fi", [ticked("Wi-Fi checkbox")]),
    ("Turn off Bluetooth.", [unticked("Bluetooth checkbox")]),
    ("swipe left on the card", [Swipe(direction="left", start=Description(text="the card"))]),
    ("swipe up twice", [Swipe(direction="up"), Swipe(direction="up")]),
    ("long press the photo", [LongPress(target=Description(text="the photo"))]),
    ("press and hold the photo", [LongPress(target=Description(text="the photo"))]),
    (
        "long-press Chrome for 2 seconds",
        [LongPress(target=Description(text="Chrome"), duration=2.0)],
    ),
    ("go home", [SystemButton(button="home")]),
    ("go to the home screen", [SystemButton(button="home")]),
    ("press back", [SystemButton(button="back")]),
    ("open recents", [SystemButton(button="recents")]),
    ("open com.android.settings", [OpenApp(app="com.android.settings")]),
    ("double tap the map", [click("the map", count=2)]),
    # The web.
    ("Sign in", [click("Sign in")]),
    ("Search", [click("Search")]),
    ("accept cookies", [click("Accept")]),
    ("accept all cookies", [click("Accept all")]),
    ('"Accept all"', [click("Accept all")]),
    ("Accept all", [click("Accept all")]),
    ("Reject all", [click("Reject all")]),
    ("Sign in with Google", [click("Sign in with Google")]),
    ("accept the terms", [ticked("the terms checkbox")]),  # else the button
    ("search for cats", [typed("cats", "the search box", enter=True)]),
    ("click Log in", [click("Log in")]),
    ("type bob into Username and sign in", [typed("bob", "Username"), click("sign in")]),
    ("check Remember me and sign in", [ticked("Remember me checkbox"), click("sign in")]),
    ("tap Accept and continue", [click("Accept and continue")]),
    # Values, quoted or not, up to the preposition.
    ("type Bob Stone into Name", [typed("Bob Stone", "Name")]),
    ("fill Email with bob@x.org", [typed("bob@x.org", "Email")]),
    ('fill in Email with "bob stone"', [typed("bob stone", "Email")]),
    ("put 42 in the Age box", [typed("42", "the Age box")]),
    ("write hello in the Notes field", [typed("hello", "the Notes field")]),
    ("input secret", [typed("secret")]),
    ("type 'Zoë 北京' into the Name field", [typed("Zoë 北京", "the Name field")]),
    ("type “Bob Stone” into Name", [typed("Bob Stone", "Name")]),
    ("type ‘Bob’ into Name", [typed("Bob", "Name")]),
    ('type "a, b and c" into Notes', [typed("a, b and c", "Notes")]),
    ("type Hello, world into Greeting", [typed("Hello, world", "Greeting")]),
    ("type Mr. Smith into Name", [typed("Mr. Smith", "Name")]),
    ("type rock and roll into Genre", [typed("rock and roll", "Genre")]),
    ("type it's fine into Notes", [typed("it's fine", "Notes")]),
    ("enter 42 in Age", [typed("42", "Age")]),
    ("type in bob into Username", [typed("bob", "Username")]),
    ("type insert into users into the terminal", [typed("insert into users")]),
    ("type X into the second field", [typed("X", "the second field")]),
    ("type X into the field right of Name", [typed("X", "the field right of Name")]),
    (
        "type X into both text fields",
        [typed("X", "the first text field"), typed("X", "the second text field")],
    ),
    (
        "type Bob into Name and bob@x.org into Email",
        [typed("Bob", "Name"), typed("bob@x.org", "Email")],
    ),
    ("type bob into Name, Ann into Email", [typed("bob", "Name"), typed("Ann", "Email")]),
    # Enter after typing is the typing's own.
    ("type hello and press enter", [typed("hello", enter=True)]),
    ("type hello, then press Enter", [typed("hello", enter=True)]),
    ("type cats into the search box and hit enter", [typed("cats", "the search box", enter=True)]),
    ("type hello and enter", [typed("hello", enter=True)]),
    ("run ls -la in the terminal", [typed("ls -la", enter=True)]),
    # Clearing, replacing, appending.
    ("clear the Name field", [typed("", "the Name field", clear=True)]),
    ("clear", [typed("", clear=True)]),
    ("replace the Age with 42", [typed("42", "the Age")]),
    ("change Age to 42", [typed("42", "Age")]),
    # Picked from the list; typed if there is no list; clicked where it is if not typed.
    ("set Country to France", [click("the Country list"), click("France")]),
    ("append ' world' to the Notes field", [typed(" world", "the Notes field", clear=False)]),
    ("add milk to the end of the Shopping list", [typed("milk", "the Shopping list", clear=False)]),
    # Keys.
    ("press Enter", [key("enter")]),
    ("press Tab", [key("tab")]),
    ("press ctrl+s", [key("ctrl+s")]),
    ("press Ctrl+Shift+T", [key("Ctrl+Shift+T")]),
    ("press ctrl + shift + p", [key("ctrl+shift+p")]),
    ("press Ctrl-S", [key("ctrl+S")]),
    ("press Escape", [key("escape")]),
    ("press Esc", [key("escape")]),
    ("press F5", [key("f5")]),
    ("press the enter key", [key("enter")]),
    ("press page down", [key("pagedown")]),
    ("press the down arrow", [key("down")]),
    ("press the space bar", [key("space")]),
    ("hit enter", [key("enter")]),
    ("press Tab 3 times", [key("tab"), key("tab"), key("tab")]),
    # "press" on something that is not a key is a click.
    ("press Submit", [click("Submit")]),
    ("press the OK button", [click("the OK button")]),
    ("press Next", [click("Next")]),
    ("press Tab 2", [click("Tab 2")]),
    ("push Start", [click("Start")]),
    # Clicks.
    ("Click OK!", [click("OK")]),
    ("please click OK.", [click("OK")]),
    ("click on Tab 2 twice", [click("Tab 2"), click("Tab 2")]),
    ("double-click the file", [click("the file", count=2)]),
    ("right-click the desktop", [click("the desktop", button="right")]),
    ("click the x", [CLOSE]),
    ("click ×", [click("×")]),
    ("click ‘Save’", [click("Save")]),
    ("click Save and Close", [click("Save and Close")]),
    ("click Save and continue", [click("Save and continue")]),
    ("click Save and close the dialog", [click("Save"), CLOSE_DIALOG]),
    ("click OK and then click Close", [click("OK"), click("Close")]),
    ("click Yes, I agree", [click("Yes, I agree")]),
    ("click Don't save", [click("Don't save")]),
    ("click the third tab", [click("the third tab")]),
    ("hover over the avatar", [Hover(target=Description(text="the avatar"))]),
    (
        "drag the file onto the Trash",
        [Drag(start=Description(text="the file"), end=Description(text="the Trash"))],
    ),
    ("switch to the Settings tab", [click("the Settings tab")]),
    # Checkboxes, switches, toggles.
    ("check Subscribe", [ticked("Subscribe checkbox")]),
    ('check "Remember me"', [ticked("Remember me checkbox")]),
    (
        "check I agree to the Terms and Conditions",
        [ticked("I agree to the Terms and Conditions checkbox")],
    ),
    (
        "tick Remember me and Subscribe",
        [ticked("Remember me checkbox"), ticked("Subscribe checkbox")],
    ),
    ("tick Terms and Conditions", [ticked("Terms and Conditions checkbox")]),
    ("untick the newsletter box", [unticked("the newsletter box")]),
    ("uncheck Subscribe", [unticked("Subscribe checkbox")]),
    ("enable Dark mode", [ticked("Dark mode checkbox")]),
    ("disable Bluetooth", [unticked("Bluetooth checkbox")]),
    ("switch off the Wi-Fi switch", [unticked("the Wi-Fi switch")]),
    ("turn Wi-Fi off", [unticked("Wi-Fi checkbox")]),
    ("toggle Dark mode", [click("Dark mode checkbox")]),
    ("set Wi-Fi to on", [ticked("Wi-Fi checkbox")]),
    # Selecting.
    ("select A, B and C", [ticked("A"), ticked("B"), ticked("C")]),
    ("select Black and white", [ticked("Black and white")]),
    ("select Save and Close", [ticked("Save and Close")]),
    ("select Blue from Color", [click("the Color list"), click("Blue")]),
    ("select the second option in the list", [click("the list"), click("the second option")]),
    ("choose Medium from the Size dropdown", [click("the Size dropdown"), click("Medium")]),
    ("pick 'Extra large' from Size", [click("the Size list"), click("Extra large")]),
    ("select all", [key("ctrl+a")]),
    # Closing.
    ("close the dialog", [CLOSE_DIALOG]),
    ("close the window", [CLOSE]),
    ("Close the window by clicking the ×", [CLOSE]),
    ("close", [CLOSE]),
    # Scrolling.
    ("scroll down", [Scroll(direction="down")]),
    ("scroll down 5 times", [Scroll(direction="down", amount=5)]),
    ("scroll up in the list", [Scroll(direction="up", target=Description(text="the list"))]),
    ("scroll the list down", [Scroll(direction="down", target=Description(text="the list"))]),
    ("scroll down the page", [Scroll(direction="down")]),
    ("scroll down a bit", [Scroll(direction="down", amount=1)]),
    ("scroll left 2", [Scroll(direction="left", amount=2)]),
    # Apps.
    ("launch mousepad", [OpenApp(app="mousepad")]),
    ("open the Settings app", [OpenApp(app="Settings")]),
    ("open Google Chrome", [OpenApp(app="Google Chrome")]),
    ("start Firefox", [OpenApp(app="Firefox")]),
    ("open the File menu", [click("the File menu")]),
    # Waiting.
    ("wait 2 seconds", [Wait(seconds=2.0)]),
    ("wait 500 ms", [Wait(seconds=0.5)]),
    ("wait 1 minute", [Wait(seconds=60.0)]),
    ("wait for 3 seconds", [Wait(seconds=3.0)]),
    ("wait a moment", [Wait(seconds=2.0)]),
    ("wait for Saved", [Wait(until_text="Saved")]),
    ("wait until 'Done' appears", [Wait(until_text="Done")]),
    ('wait for "Welcome, bob"', [Wait(until_text="Welcome, bob")]),
    ("wait for the OK button", [Wait(until_element="the OK button")]),
    ("wait up to 30 seconds for Saved", [Wait(until_text="Saved", timeout=30.0)]),
    ("wait for the page to load", [Wait(seconds=3.0)]),
    ("check that Saved appears", [Wait(until_text="Saved")]),
    ('verify that "Order placed" is shown', [Wait(until_text="Order placed")]),
    ("click OK and wait", [click("OK"), Wait(seconds=2.0)]),
    ("click Submit and wait for Saved", [click("Submit"), Wait(until_text="Saved")]),
    # Several clauses.
    ("First click File, then click Save.", [click("File"), click("Save")]),
    ("click File. Then click Save as", [click("File"), click("Save as")]),
    ("1. click File\n2. click Save", [click("File"), click("Save")]),
    ("type Bob into Name; type Ann into Email", [typed("Bob", "Name"), typed("Ann", "Email")]),
    (
        "type bob@example.org into Email, check Subscribe and click Submit",
        [typed("bob@example.org", "Email"), ticked("Subscribe checkbox"), click("Submit")],
    ),
    # Phrasings of the real-program suite. A value ends where "and the <field> with" starts
    # the next field and value.
    (
        "Fill in the name with Bob Stone and the email with bob@example.org and press OK.",
        [typed("Bob Stone", "the name"), typed("bob@example.org", "the email"), click("OK")],
    ),
    (
        "Fill in the full name with Bob Stone and the email with bob@example.org, then press "
        "Create account.",
        [
            typed("Bob Stone", "the full name"),
            typed("bob@example.org", "the email"),
            click("Create account"),
        ],
    ),
    (
        "fill in the name with Bob Stone, the email with bob@example.org",
        [typed("Bob Stone", "the name"), typed("bob@example.org", "the email")],
    ),
    ("fill Notes with salt and the pepper", [typed("salt and the pepper", "Notes")]),
    ('fill Notes with "Bob and the email with x"', [typed("Bob and the email with x", "Notes")]),
    # "enter the <field> <value>": field words that end in a field's noun, then the value.
    ("Enter the username bob and press OK.", [typed("bob", "the username field"), click("OK")]),
    (
        "Enter the password hunter2, then press OK.",
        [typed("hunter2", "the password field"), click("OK")],
    ),
    ("type the full name Bob Stone", [typed("Bob Stone", "the full name field")]),
    ("enter the verification code 123456", [typed("123456", "the verification code field")]),
    ("enter the new value", [typed("the new value")]),  # no field's noun: text
    ("enter the name of the file", [typed("the name of the file")]),  # goes on a sentence
    ("type the password again", [typed("the password again")]),
    ("write the date 2025-06-15", [typed("the date 2025-06-15")]),  # a document's text
    ("enter the username bob into Notes", [typed("the username bob", "Notes")]),
    # A bare button word, "confirm", "when done".
    (
        "Check the subscribe box, then OK.",
        [ticked("the subscribe box"), click("OK")],
    ),
    ("Select the Medium size, then OK.", [ticked("Medium"), click("OK")]),
    (
        "Change the country to France, then OK.",
        [click("the country list"), click("France"), click("OK")],
    ),
    (
        "Name is Bob Stone, email bob@example.org. Confirm with OK.",
        [typed("Bob Stone", "Name"), typed("bob@example.org", "email"), click("OK")],
    ),
    ("Press OK when done.", [click("OK")]),
    ("click Save when you're done", [click("Save")]),
    ("confirm", [click("OK")]),  # else "Confirm"
    ("confirm with Enter", [key("enter")]),
    ("confirm with the Apply button", [click("the Apply button")]),
    ("tick Milk and confirm", [ticked("Milk checkbox"), click("OK")]),
    ("click Save and confirm", [click("Save and confirm")]),  # a label, after a click
    ("Cancel", [click("Cancel")]),
    # Statements of values.
    (
        "Name is Bob Stone, email bob@example.org.",
        [typed("Bob Stone", "Name"), typed("bob@example.org", "email")],
    ),
    ("My email is bob@example.org", [typed("bob@example.org", "email")]),
    ("Subject: Hello there", [typed("Hello there", "Subject")]),
    ("age 42", [typed("42", "age")]),
    (
        "the country is France",
        [click("the country list"), click("France")],  # else typed, else clicked
    ),
    ("set the name to Bob", [typed("Bob", "the name")]),  # a text field's noun: typed
    # Logging in, signing up.
    (
        "Log in as bob@example.org with the password hunter2.",
        [
            typed("bob@example.org", "the email field"),  # else the username field
            typed("hunter2", "the password field"),
            click("Log in"),  # else "Sign in"
        ],
    ),
    (
        "sign in as bob with password hunter2",
        [
            typed("bob", "the username field"),
            typed("hunter2", "the password field"),
            click("Sign in"),
        ],
    ),
    (
        "Sign up for the newsletter, accept the terms and press Create account.",
        [
            ticked("the newsletter checkbox"),
            ticked("the terms checkbox"),  # else a button "accept the terms"
            click("Create account"),
        ],
    ),
    (
        "agree to the Terms of Service",
        [ticked("the Terms of Service checkbox")],
    ),
    (
        "Subscribe to the newsletter with ann@example.org.",
        [typed("ann@example.org", "the email field"), click("Subscribe")],
    ),
    ("Mark it as a gift and confirm.", [ticked("gift checkbox"), click("OK")]),
    ("create the account", [click("Create account")]),
    # Questions.
    ("Answer yes to the question.", [click("Yes")]),
    ("Say no, I don't want to restart now.", [click("No")]),
    ("reply with no", [click("No")]),
    # Choosing.
    (
        "Switch the delivery method to Express and confirm.",
        [click("the delivery method list"), click("Express"), click("OK")],
    ),
    (
        "Pick France as the country and the Pro plan, and create the account.",
        [click("the country list"), click("France"), ticked("Pro"), click("Create account")],
    ),
    (
        "I want cheese and olives. Select them and press OK.",
        [ticked("cheese"), ticked("olives"), click("OK")],
    ),
    ("I'd like Milk. Tick it.", [ticked("Milk checkbox")]),
    ("select the Wi-Fi switch", [ticked("the Wi-Fi switch")]),  # a role: the words whole
    # Documents.
    ('Write "Hello world" in the document and save it.', [typed("Hello world"), key("ctrl+s")]),
    (
        "Write Buy milk in the editor and save it as list.txt.",
        [typed("Buy milk"), key("ctrl+s"), typed("list.txt", "the Name field", enter=True)],
    ),
    (
        'Add "second line" at the end of the file and save.',
        [key("ctrl+end"), typed("second line"), key("ctrl+s")],
    ),
    ("type hello and save", [typed("hello"), key("ctrl+s")]),
    ("type Bob into Name and save", [typed("Bob", "Name"), click("save")]),  # a form's button
    ("save the file", [key("ctrl+s")]),
    # A calculator's buttons, one by one.
    (
        "What is 7 plus 5? Work it out on the calculator.",
        [click("7"), click("+"), click("5"), click("=")],
    ),
    ("Multiply 12 by 3.", [click("1"), click("2"), click("*"), click("3"), click("=")]),
    (
        "divide 100 by 8",
        [click("1"), click("0"), click("0"), click("/"), click("8"), click("=")],
    ),
    (
        "Calculate 9 minus 14.",
        [click("9"), click("-"), click("1"), click("4"), click("=")],
    ),
    ("Take the square root of 81.", [click("8"), click("1"), click("sqrt")]),
    ("subtract 2 from 10", [click("1"), click("0"), click("-"), click("2"), click("=")]),
    ("add 2.5 and 1", [click("2"), click("."), click("5"), click("+"), click("1"), click("=")]),
    ("compute 6 x 7", [click("6"), click("*"), click("7"), click("=")]),
    # The terminal: the command is typed at the focus, literally, and Enter pressed.
    (
        "Create an empty file called done.txt from the terminal.",
        [typed("touch done.txt", enter=True)],
    ),
    ("Run the command date +%Y > year.txt.", [typed("date +%Y > year.txt", enter=True)]),
    ("run the command ls -la in the terminal", [typed("ls -la", enter=True)]),
]


@pytest.mark.parametrize(("instruction", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_instructions_read_into_the_exact_actions(instruction: str, expected: list[Any]) -> None:
    got = [step.action.model_dump() for step in read_instruction(instruction)]
    assert got == [action.model_dump() for action in expected]


def test_the_table_covers_enough() -> None:
    assert len(TABLE) >= 100
    assert len({row[0] for row in TABLE}) == len(TABLE)


SPLITS = [
    (
        'type "Bob and Alice, Inc." into Name, then click Save and press Enter',
        ['type "Bob and Alice, Inc." into Name', "click Save", "press Enter"],
    ),
    ("tap I have read and accept the terms", ["tap I have read and accept the terms"]),
    ("check I agree to the Terms and Conditions", ["check I agree to the Terms and Conditions"]),
    ("click Save and Close", ["click Save and Close"]),
    ("click Save and close the dialog", ["click Save", "close the dialog"]),
    ("Select Red and Blue, then click OK.", ["Select Red and Blue", "click OK"]),
    ("type Hello, world into Greeting", ["type Hello, world into Greeting"]),
    ("click Yes, I agree", ["click Yes, I agree"]),
    ("type bob into Username and sign in", ["type bob into Username", "sign in"]),
    ("click OK and wait", ["click OK", "wait"]),
    ("type Bob into Name and Ann into Email", ["type Bob into Name", "type Ann into Email"]),
    ("Click OK. Then type hi", ["Click OK", "type hi"]),
    ("type Mr. Smith into Name", ["type Mr. Smith into Name"]),
    ("click OK and", ["click OK"]),
    ("Mark it as a gift and confirm.", ["Mark it as a gift", "confirm"]),
    ("click Save and confirm", ["click Save and confirm"]),
    ("Say no, I don't want to restart now.", ["Say no, I don't want to restart now"]),
    (
        "Pick France as the country and the Pro plan, and create the account.",
        ["Pick France as the country and the Pro plan", "create the account"],
    ),
    (
        "What is 7 plus 5? Work it out on the calculator.",
        ["What is 7 plus 5? Work it out on the calculator"],
    ),
    ("Press OK when done.", ["Press OK"]),
]


@pytest.mark.parametrize(("instruction", "clauses"), SPLITS, ids=[row[0] for row in SPLITS])
def test_clauses_split_only_where_a_clause_starts(instruction: str, clauses: list[str]) -> None:
    assert split_clauses(instruction) == clauses


UNREADABLE = [
    # instruction, the clause named, what was understood before it, why
    ("make the form pretty", "make the form pretty", "nothing yet", "does not start with a verb"),
    ("click Submit, then make it pretty", "make it pretty", "click 'Submit'", "a verb I know"),
    (
        "type bob into Name, type pw into Password, frobnicate",
        "frobnicate",
        "type into 'Name'; type into 'Password'",
        "a verb I know",
    ),
    ("click", "click", "nothing yet", "say what to click"),
    ("check Subscribe, type", "type", "click 'Subscribe checkbox'", "say what to type"),
    ("type into Name", "type into Name", "nothing yet", "nothing to type before 'into'"),
    ("type hello into", "type hello into", "nothing yet", "say what to type into"),
    ("swipe", "swipe", "nothing yet", "swipe needs a direction"),
    ("swipe sideways", "swipe sideways", "nothing yet", "swipe needs a direction"),
    ("scroll sideways", "scroll sideways", "nothing yet", "scroll up, down, left or right"),
    ("go back, scroll to the bottom", "scroll to the bottom", "system button back", "'scroll'"),
    ("press ctrll+s", "press ctrll+s", "nothing yet", "unknown key 'ctrll'"),
    ("press the foo key", "press the foo key", "nothing yet", "unknown key 'foo'"),
    ("press", "press", "nothing yet", "say what to press"),
    ("press Tab 500 times", "press Tab 500 times", "nothing yet", "1 to 100 times"),
    ("open", "open", "nothing yet", "say what to open"),
    ("go to Settings", "go to Settings", "nothing yet", "'go back' or 'go home'"),
    ("wait for", "wait for", "nothing yet", "'wait' needs other words"),
    (
        "click OK, wait for the dialog to disappear",
        "wait for the dialog to disappear",
        "click 'OK'",
        "go away",
    ),
    ("wait 5000 seconds", "wait 5000 seconds", "nothing yet", "less than or equal to 3600"),
    ("scroll down 5000 times", "scroll down 5000 times", "nothing yet", "`amount`"),
    ("put 42", "put 42", "nothing yet", "say where to put it"),
    ("fill the form", "fill the form", "nothing yet", "'fill' needs other words"),
    ("turn the page", "turn the page", "nothing yet", "'turn' needs other words"),
    ("run mousepad", "run mousepad", "nothing yet", "run ls in the terminal"),
    ("add an item", "add an item", "nothing yet", "say where it goes"),
    ("type ''", "type ''", "nothing yet", "`text` is empty"),
    # What the real-program suite's phrasings leave unsaid.
    (
        "Turn the speaker volume up to 80, then press OK.",
        "Turn the speaker volume up to 80",
        "nothing yet",
        "no slider actions",
    ),
    (
        "Deliver to Ann Lee, 1 Main Street, Lyon. Fill that in and press OK.",
        "Deliver to Ann Lee, 1 Main Street, Lyon",
        "nothing yet",
        "does not start with a verb",
    ),
    (
        "Three parcels, express delivery. Press OK when done.",
        "Three parcels, express delivery",
        "nothing yet",
        "does not start with a verb",
    ),
    (
        'Ada Lovelace wants to tell billing "My invoice is wrong" and be called back by phone. '
        "Fill in the form and send it.",
        'Ada Lovelace wants to tell billing "My invoice is wrong" and be called back by phone',
        "nothing yet",
        "does not start with a verb",
    ),
    (
        "Fill in Ada Lovelace (first name Ada, last name Lovelace) with the email "
        "ada@example.org, then press OK.",
        "Fill in Ada Lovelace (first name Ada, last name Lovelace) with the email ada@example.org",
        "nothing yet",
        "do not name one field",
    ),
    (
        "fill Name with the email bob@x.org",
        "fill Name with the email bob@x.org",
        "nothing yet",
        "starts with a field's name",
    ),
    ("I want cheese", "I want cheese", "nothing yet", "go on with 'select them'"),
    ("email Bob", "email Bob", "nothing yet", "no plain value for it"),
    ("what is the time?", "what is the time", "nothing yet", "'calculate 7 plus 5'"),
    ("Calculate 9 minus", "Calculate 9 minus", "nothing yet", "without its last number"),
    (
        "create a file called my notes.txt in the terminal",
        "create a file called my notes.txt in the terminal",
        "nothing yet",
        "say the command",
    ),
]


@pytest.mark.parametrize(
    ("instruction", "clause", "understood", "why"), UNREADABLE, ids=[r[0] for r in UNREADABLE]
)
def test_an_unreadable_clause_is_named_with_what_was_understood(
    instruction: str, clause: str, understood: str, why: str
) -> None:
    with pytest.raises(PolicyError) as info:
        read_instruction(instruction)
    message = str(info.value)
    assert f"cannot read {clause!r}: " in message
    assert f"(understood so far: {understood})" in message
    assert why in message


def test_what_cannot_even_be_split_says_so() -> None:
    with pytest.raises(PolicyError, match="the instruction is empty"):
        read_instruction("  ")
    with pytest.raises(PolicyError, match=r"cannot read .* the quote at '\"hello into Name' is"):
        read_instruction('type "hello into Name')


def test_typed_text_never_shows_in_the_message() -> None:
    # A password typed before the unreadable clause stays out of the error (and the logs).
    with pytest.raises(PolicyError) as info:
        read_instruction("type hunter2 into Password, frobnicate")
    assert "hunter2" not in str(info.value)


def test_each_step_says_what_it_should_do_and_where_it_came_from() -> None:
    steps = read_instruction(
        "enter 42 in the Age box, check Subscribe, choose France from Country, "
        "append ' world' to Notes, clear Name, type hello and press enter"
    )
    assert [s.expect for s in steps] == [
        "the Age box holds '42'",
        "Subscribe is checked",
        "the Country list opens",
        "France is chosen in the Country list",
        "Notes ends with ' world'",
        "Name is empty",
        "'hello' is typed, then Enter is pressed",
    ]
    assert steps[0].thought == "enter 42 in the Age box"
    assert steps[-1].thought == "type hello"


def test_read_clause_reads_one_clause() -> None:
    assert [s.action for s in read_clause("Type 'Lena' into the text box.")] == [
        typed("Lena", "the text box")
    ]
    with pytest.raises(PolicyError, match="cannot read 'frobnicate'"):
        read_clause("frobnicate")


# The rules policy settles at run time what the words leave open.

SCREEN = Observation(
    Screenshot(np.zeros((720, 1280, 3), np.uint8), ScreenGeometry.for_screen(1280, 720), 0.0)
)


def _entry(n: int) -> Element:
    box = ScreenBox(x1=100, y1=100 + 40 * n, x2=300, y2=130 + 40 * n)
    return Element(id=f"a11y-{n}", role="entry", box=box, source="a11y")


def _run(
    policy: RulesPolicy,
    instruction: str,
    verdicts: dict[str, list[bool]],
    observation: Observation = SCREEN,
) -> tuple[list[Step], str, bool]:
    """Plays the agent: runs each planned step, ok or not as `verdicts` says for its target
    (a list used up in order; ok when none is left), replanning after a failure."""
    history: list[Outcome] = []
    ran: list[Step] = []
    for _ in range(50):
        plan = policy.plan(instruction, observation, history)
        if plan.done and not plan.steps:
            return ran, plan.message, plan.success
        for step in plan.steps:
            target = getattr(step.action, "target", None)
            queue = verdicts.get(target.text if isinstance(target, Description) else "", [])
            ok = queue.pop(0) if queue else True
            ran.append(step)
            history.append(Outcome(step, ok, "" if ok else "not found", len(history) + 1))
            if not ok:
                break
        else:
            if plan.done:
                return ran, plan.message, plan.success
    raise AssertionError("the policy never finished")


def test_a_value_that_is_not_in_a_list_is_typed() -> None:
    ran, message, ok = _run(
        RulesPolicy(), "set Country to France, click OK", {"France": [False, False]}
    )
    assert [s.action for s in ran] == [
        click("the Country list"),
        click("France"),
        click("France"),  # tried once more, then read the other way
        typed("France", "Country"),
        click("OK"),
    ]
    assert ok and message == "all 3 steps done"


def test_a_dialog_without_its_own_close_control_is_closed_with_escape() -> None:
    ran, _, ok = _run(
        RulesPolicy(), "close the dialog", {"the close button in the dialog": [False, False]}
    )
    assert ok and [s.action for s in ran] == [CLOSE_DIALOG, CLOSE_DIALOG, Key(keys=["escape"])]


def test_an_option_whose_holder_is_not_a_list_is_clicked_where_it_is() -> None:
    # "the calendar" is no list to open: the day is clicked directly.
    ran, _, ok = _run(
        RulesPolicy(), "pick the 15th in the calendar", {"the calendar list": [False, False]}
    )
    assert ok
    assert [s.action for s in ran] == [
        click("the calendar list"),
        click("the calendar list"),
        click("the 15th"),
    ]


def test_a_value_in_a_list_is_picked() -> None:
    ran, _, ok = _run(RulesPolicy(), "set Country to France", {})
    assert ok and [s.action for s in ran] == [click("the Country list"), click("France")]


def test_all_fields_are_filled_until_there_is_no_more() -> None:
    ran, message, ok = _run(
        RulesPolicy(),
        "type x into all text fields, click OK",
        {"the third text field": [False, False]},
    )
    assert [s.action for s in ran] == [
        typed("x", "the first text field"),
        typed("x", "the second text field"),
        typed("x", "the third text field"),
        typed("x", "the third text field"),
        click("OK"),
    ]
    assert ok and message == "all 3 steps done"


def test_all_fields_are_counted_when_the_screen_lists_them() -> None:
    screen = Observation(SCREEN.screenshot, [_entry(0), _entry(1), _entry(2)])
    ran, _, ok = _run(RulesPolicy(), "fill all fields with x", {}, screen)
    assert ok and [s.action for s in ran] == [
        typed("x", "the first field"),
        typed("x", "the second field"),
        typed("x", "the third field"),
    ]


def test_no_field_at_all_fails_the_run() -> None:
    ran, message, ok = _run(
        RulesPolicy(), "type x into all fields", {"the first field": [False] * 2}
    )
    assert not ok and len(ran) == 2
    assert message == "step 1 (type) failed: not found"


def test_a_step_that_keeps_failing_stops_the_run_and_a_new_run_starts_afresh() -> None:
    policy = RulesPolicy()
    ran, message, ok = _run(policy, "click A, click B, click C", {"B": [False, False]})
    assert [s.action for s in ran] == [click("A"), click("B"), click("B")]
    assert not ok and message == "step 2 (click) failed: not found"
    again, message, ok = _run(policy, "click A, click B, click C", {})
    assert ok and [s.action for s in again] == [click("A"), click("B"), click("C")]


def test_the_policy_refuses_what_it_cannot_read() -> None:
    with pytest.raises(PolicyError, match="the instruction is empty"):
        RulesPolicy().plan("", SCREEN, [])
    with pytest.raises(PolicyError, match="cannot read 'frobnicate'"):
        RulesPolicy().plan("click OK, then frobnicate", SCREEN, [])


def test_a_plain_plan_is_handed_over_whole() -> None:
    plan = RulesPolicy().plan("type bob into Name, click Submit", SCREEN, [])
    assert plan.done and plan.success and plan.message == "all 2 steps done"
    assert [s.action for s in plan.steps] == [typed("bob", "Name"), click("Submit")]


def test_logging_in_tries_the_other_name_of_the_field_and_of_the_button() -> None:
    ran, _, ok = _run(
        RulesPolicy(),
        "Log in as bob@example.org with the password hunter2",
        {"the email field": [False, False], "Log in": [False, False]},
    )
    assert ok and [s.action for s in ran] == [
        typed("bob@example.org", "the email field"),
        typed("bob@example.org", "the email field"),
        typed("bob@example.org", "the username field"),
        typed("hunter2", "the password field"),
        click("Log in"),
        click("Log in"),
        click("Sign in"),
    ]


def test_a_value_neither_in_a_list_nor_typed_is_clicked_where_it_is() -> None:
    # Radio buttons: no list to open, no field to type into; the option itself is ticked.
    failing = [False, False]
    ran, _, ok = _run(
        RulesPolicy(),
        "Switch the delivery method to Express and confirm.",
        {"the delivery method list": failing, "the delivery method": list(failing)},
    )
    assert ok and [s.action for s in ran] == [
        click("the delivery method list"),
        click("the delivery method list"),
        typed("Express", "the delivery method"),
        typed("Express", "the delivery method"),
        ticked("Express"),
        click("OK"),
    ]


def test_confirm_without_an_ok_button_clicks_confirm() -> None:
    ran, _, ok = _run(RulesPolicy(), "confirm", {"OK": [False, False]})
    assert ok and [s.action for s in ran] == [click("OK"), click("OK"), click("Confirm")]


def test_an_option_named_by_its_kind_is_tried_by_its_own_name_first() -> None:
    ran, _, ok = _run(RulesPolicy(), "select the Medium size", {"Medium": [False, False]})
    assert ok and [s.action for s in ran] == [
        ticked("Medium"),
        ticked("Medium"),
        ticked("the Medium size"),
    ]


def test_a_password_given_in_words_stays_out_of_the_message() -> None:
    with pytest.raises(PolicyError) as info:
        read_instruction("Log in as bob with the password hunter2, then frobnicate")
    assert "hunter2" not in str(info.value)
    assert "type into 'the password field'" in str(info.value)

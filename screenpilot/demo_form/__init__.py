"""The small Tk form `screenpilot demo` fills, shipped with the package.

It is a program of its own (`tk_form.py`, standard library and tkinter only), started in a
separate process by the demo, the examples, the tests and the benchmarks; it has no
accessibility tree, so only its pixels tell what is on it. `TK_FORM` is its script as a package
resource; `tk_form_on_disk()` gives a path an interpreter can run.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

#: The form's script, as a resource of this package.
TK_FORM: Traversable = resources.files(__name__) / "tk_form.py"
#: The title of the form's window (what to wait for after starting it).
TK_FORM_TITLE = "Tk form"


def tk_form_on_disk() -> AbstractContextManager[Path]:
    """The form's script as a file, for as long as the `with` block lasts (the installed file
    itself, or a temporary copy when the package is not on the file system)."""
    return resources.as_file(TK_FORM)

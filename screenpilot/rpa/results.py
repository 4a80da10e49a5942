"""The results CSV of a data-driven run: one line per row done, written as the run goes.

Its columns are `row` (the row's number in the data file), the data columns, the variables the
task file reads off the screen (in the order it declares them), then `RESULT_COLUMNS`. The file
is UTF-8 without a byte-order mark, written by the csv module with `\\n` line ends, one whole
line per write and flushed at once, so a run that is killed leaves only whole lines; a resumed
run (`--resume` into the same file) appends to it after checking that its header matches.

Cells are data, never formulas: values read off a screen or a data file that start with `=`,
`+`, `-`, `@`, a tab or a carriage return (and are not plain numbers such as `-5` or `+33`)
are written behind a single quote (`'=HYPERLINK(...)`), so a spreadsheet that opens the file
shows them as text instead of running them. Every data value, value read and message passes
through the run's `mask` (secrets) first.

`finished_rows` tells `--resume` which rows are done (their latest line says `success`), and
`merge` joins the outputs of `--shard` runs into one file, the latest line of each row, in row
order.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from screenpilot.errors import InvalidInputError
from screenpilot.rpa.rows import Row, decode_utf8

RESULT_COLUMNS = ("status", "message", "seconds")

_ROW = "row"
_STATUS = "status"
_SUCCESS = "success"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

log = logging.getLogger(__name__)


def _unmasked(text: str) -> str:
    return text


class ResultsWriter:
    """Appends one line per row to a results CSV, creating it with its header, or checking the
    header of the file a resumed run continues. Use it as a context manager, or `close()` it."""

    def __init__(
        self,
        path: Path,
        columns: list[str],
        read: list[str],
        mask: Callable[[str], str] = _unmasked,
    ) -> None:
        self.path = path
        self._columns = list(columns)
        self._read = list(read)
        self._mask = mask
        what = f"results file {path}"
        header = [_ROW, *columns, *read, *RESULT_COLUMNS]
        for index, name in enumerate(header):
            if name in header[:index]:
                raise _error(
                    what,
                    f"the column `{name}` would appear twice in its header "
                    f"({', '.join(header)}): rename the data column or the variable read",
                )
        self.header = [_neutralised(name) for name in header]
        if path.is_dir():
            raise _error(what, "it is a folder, not a file")
        path.parent.mkdir(parents=True, exist_ok=True)
        resumed = path.exists() and path.stat().st_size > 0
        if resumed:
            found, _ = _read_results(path, what)
            if found != self.header:
                raise _error(
                    what,
                    f"it exists with other columns ({', '.join(found)}) than this run "
                    f"writes ({', '.join(self.header)}): name another output file, or resume "
                    "with the same task file and data",
                )
        self._file = path.open("a", encoding="utf-8", newline="")
        if not resumed:
            self._file.write(_line(self.header))
        elif not path.read_bytes().endswith(b"\n"):
            self._file.write("\n")  # a killed writer's last line stays apart from the next one
        self._file.flush()

    def write(
        self, row: Row, read: dict[str, str], status: str, message: str, seconds: float
    ) -> None:
        """Append `row`'s line (the variables read that `read` lacks are empty) and flush it."""
        mask = self._mask
        cells = [
            str(row.number),
            *(mask(row.values.get(column, "")) for column in self._columns),
            *(mask(read.get(name, "")) for name in self._read),
            status,
            mask(message),
            f"{seconds:.2f}",
        ]
        self._file.write(_line([_neutralised(cell) for cell in cells]))
        self._file.flush()

    def close(self) -> None:
        """Close the file (every line is already on disk)."""
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def finished_rows(path: Path) -> set[int]:
    """The numbers of the rows whose latest line in the results file `path` says `success`:
    those a `--resume` run leaves out. The file must exist (the user named it)."""
    header, lines = _read_results(path, f"--resume file {path}")
    status = header.index(_STATUS)
    latest = {number: cells[status] for number, cells in lines}
    return {number for number, said in latest.items() if said == _SUCCESS}


def merge(inputs: list[Path], output: Path) -> int:
    """Join the results files of shards into `output`: the same header, for each row number
    its last line (a later input wins), sorted by row number. Returns the number of rows."""
    if not inputs:
        raise _error("merge", "no results files to merge")
    for path in inputs:
        if output.resolve() == path.resolve() or (
            output.exists() and path.exists() and output.samefile(path)
        ):
            raise _error("merge", f"the output {output} is one of its inputs: name another file")
    header: list[str] = []
    latest: dict[int, list[str]] = {}
    for path in inputs:
        found, lines = _read_results(path, f"merge input {path}")
        if not header:
            header = found
        elif found != header:
            raise _error(
                f"merge input {path}",
                f"its columns ({', '.join(found)}) differ from those of {inputs[0]} "
                f"({', '.join(header)}): merge the shards of one task and data only",
            )
        latest.update(lines)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the output and moved over it, so a failed merge leaves no half file.
    part = output.with_name(f".{output.name}.part")
    try:
        with part.open("w", encoding="utf-8", newline="") as file:
            file.write(_line(header))
            for number in sorted(latest):
                file.write(_line(latest[number]))
        os.replace(part, output)
    finally:
        part.unlink(missing_ok=True)
    return len(latest)


def _read_results(path: Path, what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (row number, cells) lines of a results file, in file order."""
    if not path.is_file():
        raise _error(what, "no such file" if not path.exists() else "it is a folder, not a file")
    reader = csv.reader(io.StringIO(decode_utf8(path.read_bytes(), what), newline=""))
    header = next(reader, None)
    if not header:
        raise _error(what, "it is empty, not a results file")
    if _ROW not in header or _STATUS not in header:
        raise _error(
            what, f"it is not a results file: its header has no `{_ROW}` and `{_STATUS}` columns"
        )
    at = header.index(_ROW)
    lines: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not cells:
            continue
        if len(cells) < len(header):
            # The last line of a run killed in the middle of a write: that row is not done.
            log.warning("%s: line %d is cut short; its row is not done", path, reader.line_num)
            continue
        if len(cells) > len(header) or not (cells[at].isascii() and cells[at].isdigit()):
            raise _error(
                what,
                f"line {reader.line_num} is not a results line "
                f"({len(cells)} cells for {len(header)} columns, row `{cells[at]}`)",
            )
        lines.append((int(cells[at]), cells))
    return header, lines


def _neutralised(cell: str) -> str:
    if cell.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _error(what: str, reason: str) -> InvalidInputError:
    return InvalidInputError(what, [("", reason)])

"""The rows of a task file's data (CSV or XLSX) and the choice of which of them a run does.

`read_rows` turns a data file into its columns and `Row`s: every value is text as a person sees
it in a spreadsheet (`42`, not `42.0`; dates as ISO `2026-12-02`), empty cells are "", fully
blank rows are skipped, and a row's `number` counts the data rows from 1 (header excluded).
`parse_row_ranges` and `parse_shard` read the `--rows` and `--shard` options; `select_rows`
applies them (and `--resume`'s rows already done) to the rows of the whole file, so N shards
split the same rows exactly once between them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import zipfile
from collections.abc import Set
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from screenpilot.errors import InvalidInputError

#: The end of an open range such as `12-` ("row 12 to the last").
_OPEN_END = sys.maxsize

_ROWS_HOW = (
    "write row numbers and inclusive ranges, counted from 1 and separated by commas: "
    "`3-7`, `3`, `3-7,10,12-` (12 to the end) or `-5` (1 to 5)"
)
_RANGE = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")
_SINGLE = re.compile(r"\s*(\d+)\s*")
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based position among the file's data rows (the header and blank
    rows not counted) and its values by column, every one text ("" for an empty cell)."""

    number: int
    values: dict[str, str]


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """The columns (in header order) and the rows of a CSV or XLSX data file.

    CSV: UTF-8 with or without a byte-order mark, separated by commas, or by `;` or tabs when
    the header uses those instead. XLSX: the first sheet, its first non-blank row the header,
    formulas as their last computed values. Raises `InvalidInputError` naming the file (and
    the line, where there is one) when the file is missing, of another kind, empty, not UTF-8,
    has a blank or repeated column name, or a row with more cells than the header has columns.
    """
    what = f"data file {path}"
    if not path.exists():
        raise _error(what, "no such file")
    if not path.is_file():
        raise _error(what, "it is a folder, not a file")
    kind = path.suffix.lower()
    if kind == ".csv":
        records = _csv_records(path, what)
    elif kind == ".xlsx":
        records = _xlsx_records(path, what)
    elif kind in (".xls", ".ods"):
        raise _error(what, f"a `{kind}` workbook cannot be read: save it as .xlsx or as CSV")
    else:
        raise _error(
            what,
            f"it is neither CSV nor XLSX by its extension (`{kind or 'none'}`): "
            "give a `.csv` (UTF-8) or `.xlsx` file",
        )
    return _table(records, what)


def decode_utf8(data: bytes, what: str) -> str:
    """`data` as text (UTF-8, a leading byte-order mark dropped), or an `InvalidInputError`
    about `what` that names the line and byte that are not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _error(what, "it is UTF-16 text: save it as UTF-8 (in Excel: `CSV UTF-8`)")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        line = data.count(b"\n", 0, at) + 1
        column = at - (data.rfind(b"\n", 0, at) + 1) + 1
        raise _error(
            what,
            f"line {line} is not UTF-8 (byte {column} of the line is 0x{data[at]:02x}): "
            "save the file as UTF-8 (in Excel: `CSV UTF-8`)",
        ) from None


def parse_row_ranges(text: str) -> list[tuple[int, int]]:
    """`--rows`: "3-7", "3", "3-7,10,12-" or "-5" as inclusive, 1-based (first, last) pairs;
    an open end (`12-`) runs to `sys.maxsize`."""
    ranges: list[tuple[int, int]] = []
    for part in text.split(","):
        single = _SINGLE.fullmatch(part)
        span = _RANGE.fullmatch(part)
        if single:
            first = last = int(single[1])
        elif span and (span[1] or span[2]):
            first = int(span[1]) if span[1] else 1
            last = int(span[2]) if span[2] else _OPEN_END
        else:
            why = "an empty part" if not part.strip() else f"`{part.strip()}` is not a row or range"
            raise _error("--rows", f"`{text}`: {why}; {_ROWS_HOW}")
        if first < 1:
            raise _error("--rows", f"`{text}`: rows count from 1; {_ROWS_HOW}")
        if first > last:
            raise _error(
                "--rows", f"`{text}`: `{part.strip()}` runs backwards (write `{last}-{first}`)"
            )
        ranges.append((first, last))
    return ranges


def parse_shard(text: str) -> tuple[int, int]:
    """`--shard I/N`: this process's shard I of N (1 <= I <= N)."""
    match = _SHARD.fullmatch(text)
    if match:
        index, count = int(match[1]), int(match[2])
        if 1 <= index <= count:
            return index, count
    raise _error(
        "--shard",
        f"`{text}`: write it as I/N, shard I of N with 1 <= I <= N (e.g. `2/4`: "
        "rows 2, 6, 10, ...)",
    )


def select_rows(
    rows: list[Row],
    *,
    ranges: list[tuple[int, int]] | None = None,
    shard: tuple[int, int] | None = None,
    skip: Set[int] = frozenset(),
) -> list[Row]:
    """The rows a run does, in file order: those in `ranges` (all when None), of shard I/N
    those whose `number` is I, I+N, I+2N, ... (counted in the whole file, so shards 1/N..N/N
    with the same `ranges` split the rows exactly once), less the `skip` numbers (--resume)."""
    if shard is not None and not 1 <= shard[0] <= shard[1]:
        raise ValueError(f"shard {shard[0]}/{shard[1]} is not one of 1/{shard[1]}..")
    chosen: list[Row] = []
    for row in rows:
        if ranges is not None and not any(a <= row.number <= b for a, b in ranges):
            continue
        if shard is not None and (row.number - 1) % shard[1] != shard[0] - 1:
            continue
        if row.number not in skip:
            chosen.append(row)
    return chosen


# A record is (where it is, in words; its cells as text).
_Record = tuple[str, list[str]]


def _csv_records(path: Path, what: str) -> list[_Record]:
    text = decode_utf8(path.read_bytes(), what)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: list[_Record] = []
    start = 1
    try:
        for cells in reader:
            records.append((f"line {start}", cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _error(what, f"line {reader.line_num} cannot be read as CSV ({exc})") from None
    return records


def _delimiter(text: str) -> str:
    """Comma, unless the first non-blank line (the header) is clearly split by `;` or tabs."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])  # ties go to the comma, listed first
    return best if counts[best] > 0 else ","


def _xlsx_records(path: Path, what: str) -> list[_Record]:
    # Imported here: `import screenpilot` stays fast for runs that read no workbook.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _error(what, f"it cannot be read as an XLSX workbook ({exc})") from None
    try:
        if not book.worksheets:
            raise _error(what, "the workbook has no sheet")
        sheet = book.worksheets[0]
        return [
            (f"row {n} of sheet `{sheet.title}`", [_cell_text(value) for value in values])
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """A workbook cell's value as the text a person reads in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")  # Excel shows 15 significant digits
    if isinstance(value, datetime):
        value = _nearest_second(value)
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _nearest_second(datetime.combine(date(2000, 1, 1), value)).time().isoformat()
    return str(value)


def _nearest_second(moment: datetime) -> datetime:
    # Excel keeps times as fractions of a day: 14:30 comes back as 14:29:59.999998.
    rounded = moment + timedelta(microseconds=500_000) if moment.microsecond >= 500_000 else moment
    return rounded.replace(microsecond=0)


def _table(records: list[_Record], what: str) -> tuple[list[str], list[Row]]:
    """Columns and rows from raw records: the first non-blank record names the columns."""
    kept = [(where, cells) for where, cells in records if any(c.strip() for c in cells)]
    if not kept:
        raise _error(what, "it is empty: its first row must name the columns")
    where, header = kept[0]
    columns = [name.strip() for name in header]
    while columns and not columns[-1]:  # spreadsheets often carry empty cells past the last
        columns.pop()
    for index, name in enumerate(columns, start=1):
        if not name:
            raise _error(what, f"the header ({where}) has no name for column {index}")
        if name in columns[: index - 1]:
            first = columns.index(name) + 1
            raise _error(
                what,
                f"the header ({where}) names the column `{name}` twice "
                f"(columns {first} and {index})",
            )
    rows: list[Row] = []
    for number, (where, cells) in enumerate(kept[1:], start=1):
        used = max(i for i, cell in enumerate(cells, start=1) if cell.strip())
        if used > len(columns):
            raise _error(
                what,
                f"{where} has {used} cells but the header names {len(columns)} columns "
                f"({', '.join(columns)})",
            )
        padded = cells + [""] * (len(columns) - len(cells))
        rows.append(Row(number=number, values=dict(zip(columns, padded, strict=False))))
    return columns, rows


def _error(what: str, reason: str) -> InvalidInputError:
    return InvalidInputError(what, [("", reason)])

"""A task file's data rows: CSV and XLSX read as text, bad files refused with the line, and the
choice of rows (`--rows`, `--shard`, `--resume`)."""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from screenpilot.errors import InvalidInputError
from screenpilot.rpa.rows import (
    Row,
    _cell_text,
    parse_row_ranges,
    parse_shard,
    read_rows,
    select_rows,
)


def write_xlsx(path: Path, rows: list[list[object]], *, title: str = "Customers") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_csv_rows_are_text_with_non_ascii_kept_exactly(tmp_path: Path) -> None:
    data = tmp_path / "customers.csv"
    data.write_text(
        '\ufeffname,city,note\nZoë,北京,"a, b"\n\n,,\nMüller 🚀,Lyon,"two\nlines"\nSolo\n',
        encoding="utf-8",
    )
    columns, rows = read_rows(data)
    assert columns == ["name", "city", "note"]  # the byte-order mark is not part of `name`
    assert rows == [
        Row(1, {"name": "Zoë", "city": "北京", "note": "a, b"}),
        Row(2, {"name": "Müller 🚀", "city": "Lyon", "note": "two\nlines"}),
        Row(3, {"name": "Solo", "city": "", "note": ""}),  # short rows end in empty cells
    ]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_csv_split_by_semicolons_or_tabs_when_the_header_is(tmp_path: Path, separator: str) -> None:
    data = tmp_path / "eu.csv"
    data.write_text(separator.join(["name", "price"]) + "\n" + f"Zoë{separator}3,50\n")
    assert read_rows(data) == (["name", "price"], [Row(1, {"name": "Zoë", "price": "3,50"})])


def test_csv_trailing_empty_cells_past_the_header_are_ignored(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text("name,city,\nZoë,Lyon,,\n")
    assert read_rows(data) == (["name", "city"], [Row(1, {"name": "Zoë", "city": "Lyon"})])


def test_xlsx_values_read_as_a_person_sees_them(tmp_path: Path) -> None:
    data = write_xlsx(
        tmp_path / "customers.XLSX",
        [
            ["name", "city", "count", "due", "at", "price", "opens", "vip"],
            ["Zoë", "北京", 42, date(2026, 12, 2), datetime(2026, 12, 2, 14, 30), 0.1 + 0.2],
            [],
            ["🎉 party", None, 3.0, datetime(2026, 1, 5), None, 2.5, time(9, 15), True],
        ],
    )
    columns, rows = read_rows(data)
    assert columns == ["name", "city", "count", "due", "at", "price", "opens", "vip"]
    assert rows[0] == Row(
        1,
        {
            "name": "Zoë",
            "city": "北京",
            "count": "42",
            "due": "2026-12-02",
            "at": "2026-12-02 14:30:00",
            "price": "0.3",
            "opens": "",
            "vip": "",
        },
    )
    assert rows[1].number == 2  # the blank row between is skipped, not counted
    assert rows[1].values == {
        "name": "🎉 party",
        "city": "",
        "count": "3",
        "due": "2026-01-05",
        "at": "",
        "price": "2.5",
        "opens": "09:15:00",
        "vip": "TRUE",
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (42.0, "42"),  # other writers than openpyxl store whole numbers as floats
        (-0.0, "0"),
        (0.1 + 0.2, "0.3"),
        (1e20, "1e+20"),
        (12345678901234567.0, "1.23456789012346e+16"),
        (datetime(2026, 12, 2, 14, 29, 59, 999_998), "2026-12-02 14:30:00"),
        (datetime(2026, 12, 2, 23, 59, 59, 700_000), "2026-12-03"),
        (time(9, 14, 59, 600_000), "09:15:00"),
        (False, "FALSE"),
        ("#DIV/0!", "#DIV/0!"),
    ],
)
def test_cell_values_as_text(value: object, text: str) -> None:
    assert _cell_text(value) == text


def test_xlsx_reads_the_first_sheet_only(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(["id"])
    first.append([7])
    book.create_sheet("Other").append(["something", "else"])
    book.save(tmp_path / "two.xlsx")
    assert read_rows(tmp_path / "two.xlsx") == (["id"], [Row(1, {"id": "7"})])


@given(
    st.lists(
        st.tuples(st.text(max_size=12), st.text(max_size=12)),
        max_size=8,
    )
)
def test_csv_values_round_trip_through_the_csv_module(values: list[tuple[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "a", "b"])
    for number, (a, b) in enumerate(values, start=1):
        writer.writerow([str(number), a, b])
    # A function-scoped tmp_path would be shared by every example: one folder per example.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "values.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        _, rows = read_rows(path)
    assert [(row.values["a"], row.values["b"]) for row in rows] == values
    assert [row.number for row in rows] == list(range(1, len(values) + 1))


BAD_FILES: list[tuple[str, bytes, str]] = [
    ("empty.csv", b"", "it is empty: its first row must name the columns"),
    ("blank.csv", b"\n , \n\n", "it is empty"),
    (
        "twice.csv",
        b"name,city,name\nZo,Lyon,x\n",
        "names the column `name` twice (columns 1 and 3)",
    ),
    ("hole.csv", b"name,,city\n", "the header (line 1) has no name for column 2"),
    ("wide.csv", b"name,city\nZo,Lyon\n\nAl,Paris,extra\n", "line 4 has 3 cells but the header"),
    ("latin1.csv", "name\nZoë\nJosé\n".encode("latin-1"), "line 2 is not UTF-8 (byte 3"),
    ("utf16.csv", "name\nZoë\n".encode("utf-16"), "it is UTF-16 text: save it as UTF-8"),
    ("notes.txt", b"name\nZo\n", "neither CSV nor XLSX by its extension (`.txt`)"),
    ("noext", b"name\nZo\n", "(`none`)"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "a `.xls` workbook cannot be read: save it as .xlsx"),
    ("fake.xlsx", b"name\nZo\n", "it cannot be read as an XLSX workbook"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_data_files_are_refused_naming_file_and_what_is_wrong(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as caught:
        read_rows(path)
    assert f"data file {path}" in str(caught.value)
    assert reason in str(caught.value)


def test_a_missing_data_file_or_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"data file .*gone\.csv: no such file"):
        read_rows(tmp_path / "gone.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InvalidInputError, match="a folder, not a file"):
        read_rows(tmp_path / "dir.csv")


def test_xlsx_errors_name_the_sheet_row(tmp_path: Path) -> None:
    wide = write_xlsx(tmp_path / "wide.xlsx", [["name"], ["Zoë"], ["Al", "extra"]])
    with pytest.raises(InvalidInputError, match=r"row 3 of sheet `Customers` has 2 cells"):
        read_rows(wide)
    twice = write_xlsx(tmp_path / "twice.xlsx", [["id", " id "]])
    with pytest.raises(InvalidInputError, match="names the column `id` twice"):
        read_rows(twice)
    empty = write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(InvalidInputError, match=r"empty\.xlsx: it is empty"):
        read_rows(empty)


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("3-7", [(3, 7)]),
        ("3", [(3, 3)]),
        ("3-7,10,12-", [(3, 7), (10, 10), (12, sys.maxsize)]),
        ("-5", [(1, 5)]),
        (" 2 - 4 , 9 ", [(2, 4), (9, 9)]),
    ],
)
def test_row_ranges(text: str, ranges: list[tuple[int, int]]) -> None:
    assert parse_row_ranges(text) == ranges


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "an empty part"),
        ("3,,5", "an empty part"),
        ("-", "`-` is not a row or range"),
        ("a-b", "`a-b` is not a row or range"),
        ("3..7", "`3..7` is not a row or range"),
        ("0-4", "rows count from 1"),
        ("7-3", "`7-3` runs backwards (write `3-7`)"),
    ],
)
def test_bad_row_ranges_say_how_to_write_them(text: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_row_ranges(text)
    message = str(caught.value)
    assert message.startswith("invalid --rows: ")
    assert reason in message
    if "backwards" not in reason:
        assert "`3-7,10,12-`" in message


def test_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "2", "2/0", "a/b", "1/2/3", "-1/2"):
        with pytest.raises(InvalidInputError, match=r"--shard: .*write it as I/N"):
            parse_shard(bad)


def rows_numbered(*numbers: int) -> list[Row]:
    return [Row(n, {"id": str(n)}) for n in numbers]


def test_select_rows_by_ranges_shard_and_skip() -> None:
    rows = rows_numbered(*range(1, 13))
    assert [r.number for r in select_rows(rows)] == list(range(1, 13))
    assert [r.number for r in select_rows(rows, ranges=[(3, 5), (11, sys.maxsize)])] == [
        3,
        4,
        5,
        11,
        12,
    ]
    assert [r.number for r in select_rows(rows, shard=(2, 3))] == [2, 5, 8, 11]
    # The shard counts in the whole file, not among the rows --rows kept.
    assert [r.number for r in select_rows(rows, ranges=[(4, 9)], shard=(1, 3))] == [4, 7]
    assert [r.number for r in select_rows(rows, skip={1, 2, 3}, ranges=[(1, 4)])] == [4]
    with pytest.raises(ValueError, match="shard 4/3"):
        select_rows(rows, shard=(4, 3))


@given(
    numbers=st.sets(st.integers(1, 500), max_size=60),
    count=st.integers(1, 9),
    ranges=st.none() | st.lists(st.tuples(st.integers(1, 500), st.integers(0, 80)), max_size=4),
    skip=st.sets(st.integers(1, 500), max_size=10),
)
def test_shards_partition_the_rows(
    numbers: set[int],
    count: int,
    ranges: list[tuple[int, int]] | None,
    skip: set[int],
) -> None:
    rows = rows_numbered(*sorted(numbers))
    spans = None if ranges is None else [(first, first + length) for first, length in ranges]
    whole = select_rows(rows, ranges=spans, skip=skip)
    shards = [
        select_rows(rows, ranges=spans, shard=(i, count), skip=skip) for i in range(1, 1 + count)
    ]
    seen = [row.number for shard in shards for row in shard]
    assert sorted(seen) == [row.number for row in whole]  # every row once, none twice
    for shard in shards:
        assert shard == [row for row in whole if row in shard]  # file order kept

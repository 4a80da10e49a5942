"""The results CSV: one whole line per row, resumed runs appending, shards merged, secrets
masked and formulas neutralised."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from screenpilot.errors import InvalidInputError
from screenpilot.rpa.results import RESULT_COLUMNS, ResultsWriter, finished_rows, merge
from screenpilot.rpa.rows import Row, read_rows, select_rows

COLUMNS = ["name", "city"]
READ = ["number", "total"]
ROWS = [
    Row(1, {"name": "Zoë", "city": "北京"}),
    Row(2, {"name": "Al 🚀", "city": "Lyon"}),
    Row(3, {"name": "Bo", "city": "Paris, 15e"}),
    Row(4, {"name": "Cy", "city": "Oslo"}),
    Row(5, {"name": "Di", "city": "Rome"}),
]


def lines_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def run_rows(path: Path, rows: list[Row]) -> None:
    """Write `rows` as a run would: each a success that read its number back."""
    with ResultsWriter(path, COLUMNS, READ) as writer:
        for row in rows:
            writer.write(row, {"number": f"C{row.number:03}"}, "success", "", 1.0)


def test_the_header_then_one_line_per_row(tmp_path: Path) -> None:
    out = tmp_path / "out" / "results.csv"
    with ResultsWriter(out, COLUMNS, READ) as writer:
        writer.write(ROWS[0], {"total": "12", "number": "C7"}, "success", "", 1.234)
        writer.write(ROWS[2], {"ignored": "x"}, "failure", 'no "OK" button\nseen', 30)
    assert RESULT_COLUMNS == ("status", "message", "seconds")
    assert lines_of(out) == [
        ["row", "name", "city", "number", "total", "status", "message", "seconds"],
        ["1", "Zoë", "北京", "C7", "12", "success", "", "1.23"],
        ["3", "Bo", "Paris, 15e", "", "", "failure", 'no "OK" button\nseen', "30.00"],
    ]
    raw = out.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    assert not raw.startswith(b"\xef\xbb\xbf")
    # The results file is itself a data file for a later run.
    assert read_rows(out)[1][1].values["city"] == "Paris, 15e"


def test_each_line_is_on_disk_once_written(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    writer = ResultsWriter(out, COLUMNS, READ)
    writer.write(ROWS[0], {}, "success", "", 1)
    # Read by another handle while the writer is still open, as after a kill -9.
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("1,Zoë,北京")
    writer.close()


def test_a_column_twice_in_the_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="the column `status` would appear twice"):
        ResultsWriter(tmp_path / "r.csv", ["name", "status"], [])
    with pytest.raises(InvalidInputError, match="the column `name` would appear twice"):
        ResultsWriter(tmp_path / "r.csv", ["name"], ["name"])


def test_resume_appends_and_the_latest_line_of_a_row_counts(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    with ResultsWriter(out, COLUMNS, READ) as writer:
        writer.write(ROWS[0], {}, "success", "", 1)
        writer.write(ROWS[1], {}, "failure", "the Save button was not found", 2)
        writer.write(ROWS[2], {}, "success", "", 1)
    assert finished_rows(out) == {1, 3}
    todo = select_rows(ROWS, skip=finished_rows(out))
    assert [row.number for row in todo] == [2, 4, 5]
    with ResultsWriter(out, COLUMNS, READ) as writer:  # the --resume run, into the same file
        writer.write(ROWS[1], {}, "success", "", 1)
        writer.write(ROWS[3], {}, "failure", "timed out", 1)
    assert finished_rows(out) == {1, 2, 3}
    assert [line[0] for line in lines_of(out)] == ["row", "1", "2", "3", "2", "4"]
    with ResultsWriter(out, COLUMNS, READ) as writer:  # a success later failed again
        writer.write(ROWS[0], {}, "failure", "again", 1)
    assert finished_rows(out) == {2, 3}


def test_resume_into_a_file_of_other_columns_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    run_rows(out, ROWS[:1])
    with pytest.raises(InvalidInputError) as caught:
        ResultsWriter(out, COLUMNS, ["number"])
    message = str(caught.value)
    assert f"results file {out}" in message
    assert "it exists with other columns (row, name, city, number, total," in message
    other = tmp_path / "people.csv"
    other.write_text("name,city\nZoë,Lyon\n")
    with pytest.raises(InvalidInputError, match="it is not a results file"):
        ResultsWriter(other, ["name", "city"], [])


def test_a_line_cut_short_by_a_kill_is_not_done_and_stays_apart(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    run_rows(out, ROWS[:2])
    with out.open("a", encoding="utf-8") as file:
        file.write("3,Bo,Par")  # the process died in the middle of this write
    assert finished_rows(out) == {1, 2}
    with ResultsWriter(out, COLUMNS, READ) as writer:
        writer.write(ROWS[2], {}, "success", "", 1)
    assert lines_of(out)[-2:] == [
        ["3", "Bo", "Par"],
        ["3", "Bo", "Paris, 15e", "", "", "success", "", "1.00"],
    ]
    assert finished_rows(out) == {1, 2, 3}


def test_finished_rows_needs_a_results_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"--resume file .*gone\.csv: no such file"):
        finished_rows(tmp_path / "gone.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InvalidInputError, match="it is empty, not a results file"):
        finished_rows(empty)
    garbled = tmp_path / "garbled.csv"
    garbled.write_text("row,status,message,seconds\n1,success,,1\nx,success,,1\n")
    with pytest.raises(InvalidInputError, match="line 3 is not a results line"):
        finished_rows(garbled)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("row,status\n1,succès\n".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="line 2 is not UTF-8"):
        finished_rows(latin)


def test_two_shards_merged_equal_one_full_run(tmp_path: Path) -> None:
    full = tmp_path / "full.csv"
    run_rows(full, ROWS)
    shards = []
    for index in (1, 2):
        shard = tmp_path / f"shard{index}.csv"
        run_rows(shard, select_rows(ROWS, shard=(index, 2)))
        shards.append(shard)
    merged = tmp_path / "merged.csv"
    assert merge(shards, merged) == len(ROWS)
    assert merged.read_bytes() == full.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "full.csv",
        "merged.csv",
        "shard1.csv",
        "shard2.csv",
    ]  # no half-written file left beside


def test_merge_keeps_the_latest_line_of_a_row(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    with ResultsWriter(first, COLUMNS, READ) as writer:
        writer.write(ROWS[2], {}, "failure", "timed out", 1)
        writer.write(ROWS[0], {}, "success", "", 1)
    with ResultsWriter(second, COLUMNS, READ) as writer:
        writer.write(ROWS[2], {}, "success", "", 1)
    merged = tmp_path / "out" / "merged.csv"
    assert merge([first, second], merged) == 2
    assert [(line[0], line[5]) for line in lines_of(merged)[1:]] == [
        ("1", "success"),
        ("3", "success"),
    ]


def test_merge_refuses_other_headers_and_overwriting_an_input(tmp_path: Path) -> None:
    first, other = tmp_path / "a.csv", tmp_path / "other.csv"
    run_rows(first, ROWS[:1])
    with ResultsWriter(other, ["name"], []) as writer:
        writer.write(ROWS[1], {}, "success", "", 1)
    with pytest.raises(InvalidInputError) as caught:
        merge([first, other], tmp_path / "m.csv")
    assert f"merge input {other}: its columns (row, name, status" in str(caught.value)
    with pytest.raises(InvalidInputError, match="is one of its inputs"):
        merge([first, other], tmp_path / "." / "a.csv")
    with pytest.raises(InvalidInputError, match=r"merge input .*gone\.csv: no such file"):
        merge([first, tmp_path / "gone.csv"], tmp_path / "m.csv")
    with pytest.raises(InvalidInputError, match="no results files"):
        merge([], tmp_path / "m.csv")
    assert not (tmp_path / "m.csv").exists()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+33612345678", "+33612345678"),
        ("-1.5e3", "-1.5e3"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_formula_cells_are_written_as_text(tmp_path: Path, value: str, written: str) -> None:
    out = tmp_path / "results.csv"
    with ResultsWriter(out, ["name"], ["number"]) as writer:
        writer.write(Row(1, {"name": value}), {"number": value}, "failure", value, 1)
    assert lines_of(out)[1] == ["1", written, written, "failure", written, "1.00"]


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    def mask(text: str) -> str:
        return text.replace("hunter2", "***")

    out = tmp_path / "results.csv"
    with ResultsWriter(out, ["name"], ["shown"], mask=mask) as writer:
        writer.write(
            Row(1, {"name": "Zoë hunter2"}),
            {"shown": "pw: hunter2"},
            "failure",
            "typed 'hunter2' into the Name field",
            1,
        )
    assert "hunter2" not in out.read_text(encoding="utf-8")
    assert lines_of(out)[1] == [
        "1",
        "Zoë ***",
        "pw: ***",
        "failure",
        "typed '***' into the Name field",
        "1.00",
    ]

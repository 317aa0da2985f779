"""Row reports are safe to open in a spreadsheet: data cells and header names alike."""

from __future__ import annotations

import csv
from pathlib import Path

from hubload.leftovers import unneutralise
from hubload.reports import RowReport, neutralise


def test_formulas_in_header_and_cells_are_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "rejected.csv"
    header = ["=cmd|' /C calc'!A0", "+SUM(A1)", "Name", "@x", "-1"]
    with RowReport(path, header, "reason") as report:
        report.add(7, ["=1+1", "ok", "-2", "@y", "+z", "=extra"], "=HYPERLINK(x)")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [
        "line",
        "'=cmd|' /C calc'!A0",
        "'+SUM(A1)",
        "Name",
        "'@x",
        "'-1",
        "extra_fields",
        "reason",
    ]
    assert rows[1] == ["7", "'=1+1", "ok", "'-2", "'@y", "'+z", "'=extra", "'=HYPERLINK(x)"]
    # What leftovers reads back is what the file held.
    assert [unneutralise(c) for c in rows[0][1:-2]] == header


def test_neutralise_leaves_plain_text() -> None:
    assert [neutralise(c) for c in ["Smith", "", "a=b", " =x"]] == ["Smith", "", "a=b", " =x"]


def test_every_cell_comes_back_from_a_report_as_it_was() -> None:
    """Reports guard cells against spreadsheets; reading them back undoes it exactly, even
    for cells that start with the guard's own quote."""
    from hubload.reports import neutralise  # noqa: PLC0415

    for cell in ["=1+1", "'=1+1", "''x", "'x", "x'", "", "-3", "@a", "plain", "'", "''"]:
        assert unneutralise(neutralise(cell)) == cell, cell
    assert neutralise("=1+1") == "'=1+1" and neutralise("plain") == "plain"

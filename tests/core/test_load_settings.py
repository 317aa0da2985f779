"""Data Loader's settings through planning, reading and staging: the start row (rows skipped are
counted, never lost), truncation reported per row in truncated.csv, empty cells sent as ``#N/A``
where an update or upsert clears fields, settings that change nothing said at plan time, and a
mapping file that is not a regular file refused without waiting on it."""

from __future__ import annotations

import csv
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hubload import staging
from hubload.csvfile import CsvSource, Dialect
from hubload.errors import ConfigError, ReconciliationError
from hubload.mapping_files import read_mapping_file
from hubload.operations import Operation, OperationKind
from hubload.options import LoadRequest
from hubload.plan import LoadPlan, plan_load
from hubload.preflight import value_options
from hubload.prepass import FileCheck
from hubload.staging import Prepared, prepare
from hubload.targets.base import Capabilities
from schemas.catalog import FieldSpec, ObjectSpec
from schemas.values import ValueOptions

CONTACT = ObjectSpec.of(
    "Contact",
    [
        FieldSpec("Id", native_type="id", read_only=True, id_lookup=True),
        FieldSpec("LastName", required=True, length=10),
        FieldSpec("Title", length=8),
        FieldSpec("Email", native_type="email", length=80),
        FieldSpec("Birthdate", native_type="date"),
        FieldSpec("External_Id__c", length=20, external_id=True, id_lookup=True, unique=True),
    ],
)
EVERYTHING = Capabilities(
    operations=frozenset(OperationKind), success_ids=True, max_upload_bytes=10_000_000
)


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def plan(
    path: Path, operation: Operation | None = None, *, values: ValueOptions | None = None, **kw: int
) -> LoadPlan:
    return plan_load(
        path,
        CONTACT,
        operation or Operation(),
        EVERYTHING,
        values=values,
        start_row=kw.get("start", 0),
    )


def prepared(load_plan: LoadPlan, run: Path, chunk_size: int = 3) -> Prepared:
    with load_plan.open() as source:
        return prepare(source, load_plan.mapping, chunk_size, run)


def rows_of(path: Path, header: bool = True) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    return rows[1:] if header else rows


def uploads(result: Prepared) -> list[list[str]]:
    return [row for chunk in result.chunks for row in rows_of(chunk.path)]


def lines_staged(result: Prepared) -> list[int]:
    return [int(row[0]) for chunk in result.chunks for row in rows_of(chunk.sidecar, False)]


ROWS = (
    "LastName,Title\n"
    "A,t\n"  # line 2
    "\n"  # line 3: blank
    "B,t,extra\n"  # line 4: malformed, skipped all the same
    '"C\nC",t\n'  # lines 5-6
    "D,t\n"  # line 7
    ",t\n"  # line 8: rejected
    "E,t\n"  # line 9
)


def test_rows_before_the_start_row_are_skipped_and_counted(tmp_path: Path) -> None:
    result = prepared(plan(write(tmp_path, ROWS), start=3), tmp_path / "run", chunk_size=2)
    # Three rows skipped (A, the malformed B, C over two lines); D, the empty one and E read.
    assert (result.skipped, result.read, result.staged_rows, result.rejected) == (3, 3, 2, 1)
    assert lines_staged(result) == [7, 9]
    (rejected,) = rows_of(tmp_path / "run" / "rejected.csv")
    assert rejected[0] == "8"
    assert result.blank_lines == 1


@pytest.mark.parametrize("start", [0, 1, 5, 6, 7, 50])
def test_skipped_and_read_are_always_the_files_rows(tmp_path: Path, start: int) -> None:
    result = prepared(plan(write(tmp_path, ROWS), start=start), tmp_path / "run", chunk_size=2)
    assert result.skipped + result.read == 6
    assert result.skipped == min(start, 6)


def test_the_progress_total_is_the_rows_to_read(tmp_path: Path) -> None:
    load_plan = plan(write(tmp_path, ROWS), start=4)
    with (
        load_plan.open() as source,
        staging.Preparation(
            source, load_plan.mapping, tmp_path / "run", chunk_size=10
        ) as preparation,
    ):
        totals = [(preparation.tally.total_rows, preparation.tally.skipped) for _ in preparation]
    assert totals == [(2, 4)]


def test_rows_lost_between_the_prepass_and_the_read_stop_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        staging, "check_file", lambda *_: FileCheck(rows=7, blank_lines=1, seconds=0)
    )
    with pytest.raises(ReconciliationError, match="has 7 rows, but 2 were skipped and 4 read"):
        prepared(plan(write(tmp_path, ROWS), start=2), tmp_path / "run")


def test_a_start_row_below_zero_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="start_row"):
        CsvSource(write(tmp_path, ROWS), Dialect(",", "utf-8"), start_row=-1)


def test_record_lines_start_at_the_start_row_too(tmp_path: Path) -> None:
    with CsvSource(write(tmp_path, ROWS), Dialect(",", "utf-8"), start_row=2) as source:
        assert source.record_lines() == [5, 7, 8, 9]
        assert (source.skipped, source.last_skipped_line) == (2, 4)


LONG = (
    "LastName,Title,Email,External_Id__c\n"
    "Anderson-Smith,Director of Sales,a@x.com,k1\n"  # line 2: both cut
    ",Chief Executive,b@x.com,k2\n"  # line 3: rejected (no last name): not reported as cut
    "Lee,CEO,c@x.com,k3\n"  # line 4: nothing to cut
    "Brown,Vice President,d@x.com,k4444444444444444444444\n"  # line 5: Title cut, id too long
    "Müller,Geschäftsführer,e@x.com,k5\n"  # line 6: Title cut by characters
)


def test_truncation_cuts_and_reports_each_row(tmp_path: Path) -> None:
    load_plan = plan(write(tmp_path, LONG), values=ValueOptions(truncate=True))
    result = prepared(load_plan, tmp_path / "run")
    assert (result.read, result.staged_rows, result.rejected, result.truncated) == (5, 3, 2, 2)
    assert result.truncated_report == tmp_path / "run" / "truncated.csv"
    assert rows_of(result.truncated_report, header=False) == [
        ["line", "field", "source", "max_length", "original_length", "original_value"],
        ["2", "LastName", "LastName", "10", "14", "Anderson-Smith"],
        ["2", "Title", "Title", "8", "17", "Director of Sales"],
        ["6", "Title", "Title", "8", "15", "Geschäftsführer"],
    ]
    assert [row[:2] for row in uploads(result)] == [
        ["Anderson-S", "Director"],
        ["Lee", "CEO"],
        ["Müller", "Geschäft"],
    ]
    rejected = {row[0]: row[-1] for row in rows_of(tmp_path / "run" / "rejected.csv")}
    # An external id is never cut: the row is rejected, as without truncation.
    assert rejected["5"] == "External_Id__c: longer than 20 characters"


def test_without_truncation_long_text_is_rejected_and_no_report_written(tmp_path: Path) -> None:
    result = prepared(plan(write(tmp_path, LONG)), tmp_path / "run")
    assert (result.staged_rows, result.truncated, result.truncated_report) == (1, 0, None)
    assert not (tmp_path / "run" / "truncated.csv").exists()


NULLS = "Id,LastName,Title,Birthdate\n003A,Ann,,2020-01-02\n003B,Bob,Boss,\n003C,,x,\n"


def test_empty_cells_are_sent_as_na_on_update(tmp_path: Path) -> None:
    update = Operation(kind=OperationKind.UPDATE)
    load_plan = plan(write(tmp_path, NULLS), update, values=ValueOptions(clear_empty=True))
    result = prepared(load_plan, tmp_path / "run")
    assert uploads(result) == [
        ["003A", "Ann", "#N/A", "2020-01-02"],
        ["003B", "Bob", "Boss", "#N/A"],
    ]
    # A required field's empty cell is rejected: #N/A would clear it.
    (rejected,) = rows_of(tmp_path / "run" / "rejected.csv")
    assert rejected[-1] == "LastName: required, but empty"


def test_empty_cells_stay_empty_without_insert_nulls(tmp_path: Path) -> None:
    update = Operation(kind=OperationKind.UPDATE)
    result = prepared(plan(write(tmp_path, NULLS), update), tmp_path / "run")
    assert uploads(result) == [["003A", "Ann", "", "2020-01-02"], ["003B", "Bob", "Boss", ""]]


def test_insert_nulls_on_an_insert_changes_nothing_and_says_so(tmp_path: Path) -> None:
    text = "LastName,Title\nAnn,\n"
    load_plan = plan(write(tmp_path, text), values=ValueOptions(clear_empty=True))
    assert not load_plan.mapping.options.clear_empty
    assert load_plan.notes == (
        "insert nulls: changes nothing for insert (empty cells clear fields on update and "
        "upsert only)",
    )
    assert uploads(prepared(load_plan, tmp_path / "run")) == [["Ann", ""]]


def test_settings_that_change_nothing_are_noted(tmp_path: Path) -> None:
    asked = ValueOptions(timezone="Europe/Paris", dates="us", truncate=True)
    update = Operation(kind=OperationKind.UPDATE)
    load_plan = plan(write(tmp_path, "Id,Email\n003A,a@x.com\n"), update, values=asked)
    assert load_plan.notes == (
        "time zone Europe/Paris: no date-time field is mapped",
        "us dates: no date or date-time field is mapped",
        "truncate: no mapped field is free text that may be cut",
    )
    dated = plan(write(tmp_path, "LastName,Birthdate\nA,1/2/2020\n"), values=asked)
    assert dated.notes == ("time zone Europe/Paris: no date-time field is mapped",)
    assert uploads(prepared(dated, tmp_path / "run")) == [["A", "2020-01-02"]]


def test_a_request_carries_its_settings_into_the_plan() -> None:
    request = LoadRequest.of(
        file="f.csv",
        object_name="Contact",
        insert_nulls=True,
        timezone="Asia/Tokyo",
        dates="european",
        truncate=True,
        start_row=4,
    )
    assert value_options(request) == ValueOptions(
        clear_empty=True, timezone="Asia/Tokyo", dates="european", truncate=True
    )


@pytest.mark.parametrize("name", ["mapping.yaml", "mapping.sdl"])
def test_a_fifo_given_as_the_mapping_is_refused_without_waiting(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        error = pool.submit(read_mapping_file, fifo).exception(timeout=5)
    finally:
        pool.shutdown(wait=False)  # a blocked reader (the failure) must not hang the tests
    assert isinstance(error, ConfigError)
    assert str(error) == (
        f"mapping {fifo}: a FIFO (named pipe), not a file: give the path of a mapping file"
    )


def test_a_pattern_re2_refuses_is_a_mapping_error_at_plan_time(tmp_path: Path) -> None:
    mapping = write(
        tmp_path,
        "fields: {LastName: LastName}\nchecks:\n  LastName: [{pattern: '(?<=x)y'}]\n",
        "m.yaml",
    )
    with pytest.raises(ConfigError, match="look-behind") as info:
        plan_load(
            write(tmp_path, "LastName\nA\n"), CONTACT, Operation(), EVERYTHING, mapping_file=mapping
        )
    assert str(info.value).startswith(f"{mapping}: checks.LastName.0:")

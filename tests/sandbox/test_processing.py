"""The processor's fast paths: multi-row inserts, column screens, the deferred WAL checkpoint."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from sandbox.catalogue import all_objects, resolve_object
from sandbox.checks import value_checks
from sandbox.fields import ObjectSpec
from sandbox.ids import salesforce_ids
from sandbox.plan import compile_plan
from sandbox.processor import CHUNK_ROWS, Faults, Outcome, process_upload
from sandbox.screens import screen_of
from sandbox.statements import MAX_PARAMS, build_statements
from sandbox.store import Store, records_db_path
from tests.sandbox.conftest import Starter

NOW = "2024-05-01T12:00:00.000+0000"


def _process(store: Store, tmp_path: Path, job_id: int, content: str) -> Outcome:
    spec = resolve_object("helpdesk", "Lead")
    assert spec is not None
    path = tmp_path / f"{job_id}.csv"
    path.write_text(content, encoding="utf-8")
    conn = store.records_connection()
    conn.execute("BEGIN IMMEDIATE")
    outcome = process_upload(
        conn,
        spec=spec,
        job_id=job_id,
        path=path,
        identifier=None,
        now=NOW,
        faults=Faults(),
        should_stop=lambda: False,
    )
    conn.execute("COMMIT")
    return outcome


def test_many_rows_keep_file_order_ids_nulls_and_defaults(tmp_path: Path) -> None:
    rows = 2 * CHUNK_ROWS + 345  # several chunks, none a whole number of INSERT batches
    lines, expected, bad = ["LastName,Company,Email,Title,Status"], [], []
    for n in range(1, rows + 1):
        email = "not-an-email" if n % 97 == 0 else f"p{n}@acme.com"
        title = "#N/A" if n % 89 == 0 else f"T{n}"
        status = "" if n % 50 == 0 else "Working - Contacted"
        lines.append(f"L{n},Acme,{email},{title},{status}")
        if n % 97 == 0:
            bad.append(n)
        else:
            expected.append((f"L{n}", None if n % 89 == 0 else f"T{n}", status or None))
    store = Store(tmp_path / "sb.db")
    assert _process(store, tmp_path, 1, "\n".join(lines) + "\n") == Outcome(rows, len(bad))
    stored = store.records("helpdesk", "Lead")
    assert [(r["LastName"], r["Title"], r["Email"] is None) for r in stored] == [
        (last, title, False) for last, title, _ in expected
    ]
    # An empty Status takes the picklist default; the others are stored as given.
    assert [r["Status"] for r in stored] == [s or "Open - Not Contacted" for _, _, s in expected]
    assert [r["Id"] for r in stored] == salesforce_ids("00Q", 1, len(expected))
    assert {r["CreatedDate"] for r in stored} == {NOW}
    assert [e["recordNumber"] for e in store.record_errors(1)] == bad
    # A second job goes on numbering where the first stopped.
    assert _process(store, tmp_path, 2, "LastName,Company\nX,Acme\nY,Acme\n") == Outcome(2, 0)
    assert [r["Id"] for r in store.records("helpdesk", "Lead")[-2:]] == salesforce_ids(
        "00Q", len(expected) + 1, 2
    )
    store.close()


@pytest.mark.parametrize("spec", all_objects(), ids=lambda spec: f"{spec.hub}.{spec.name}")
def test_inserts_bind_at_most_sqlite_smallest_limit(spec: ObjectSpec) -> None:
    header = [f.name for f in spec.fields if not f.read_only]
    statements = build_statements(compile_plan(spec, header, None), NOW)
    per_row = len(header) + statements.binds_id
    batch = statements.rows_per_insert
    assert batch & (batch - 1) == 0 and batch * per_row <= MAX_PARAMS < 2 * batch * per_row
    sql = statements.insert_sql(3)
    assert f"?{3 * per_row}" in sql and f"?{3 * per_row + 1}" not in sql


def test_screens_single_out_exactly_what_the_sure_tests_refuse() -> None:
    samples = [
        "",
        "#N/A",
        "a@b.com",
        "not-an-email",
        "2024-02-28",
        "2024-02-30",
        "2024-05-01T12:00:00Z",
        "true",
        "Yes",
        "12",
        "-3.5",
        "1e5",
        "0035g0000000001AAA",
        "00Q5g0000000001EAA",
        "Hot",
        "Working - Contacted",
        "x" * 300,
        "ünï",
    ]
    for spec in all_objects():
        for field in spec.fields:
            for check in value_checks(field, spec.key_prefix if field.native == "id" else ""):
                sure = check.sure
                if sure is None:
                    continue
                proven = sure.fullmatch if isinstance(sure, re.Pattern) else sure.__contains__
                values = samples * 3
                expected = [k for k, value in enumerate(values) if not proven(value)]
                assert list(screen_of(check)(values)) == expected, (spec.name, field.name)
                # A value holding a newline: the column is screened value by value.
                values = [*samples, "a@b.com\na@b.com", "12\n12"]
                expected = [k for k, value in enumerate(values) if not proven(value)]
                assert list(screen_of(check)(values)) == expected, (spec.name, field.name)


def test_a_value_a_sure_test_proves_clean_passes_its_exact_check() -> None:
    """The screens trust the sure tests: none may pass a value the exact check refuses (such as
    Unicode digits, which Python's `\\d` and `int()` take, or the long s, which `(?i)` folds
    to `s`)."""
    samples = [
        "2020-01-1\u0665",  # an Arabic-Indic five
        "\u0661\u0662\u0663",
        "1\uff12",  # a fullwidth two
        "fal\u017fe",  # a long s
        "tru\u212a",  # not a K: a Kelvin sign (no match anyway)
        "2024-05-01T12:00:0\u0665Z",
        "0035g000000000\u0661AAA",
        "00Q5g0000000001",
        "12",
        "true",
        "2024-02-28",
    ]
    for spec in all_objects():
        for field in spec.fields:
            for check in value_checks(field, spec.key_prefix if field.native == "id" else ""):
                sure = check.sure
                if not isinstance(sure, re.Pattern):
                    continue
                for value in samples:
                    if sure.fullmatch(value):
                        assert not check.bad(value), (spec.name, field.name, value)


def test_records_reach_the_database_file_after_the_job_completes(
    start: Starter, tmp_path: Path
) -> None:
    api = start(db_path=tmp_path / "sb.db")
    _, status = api.run("helpdesk", "Contact", "LastName\n" + "A\n" * 500)
    assert status["status"] == "COMPLETED"
    # The worker checkpoints after marking the job: the database file alone (no WAL) then
    # holds the records.
    deadline = time.monotonic() + 10
    while (count := _count_in_file_alone(tmp_path / "sb.db", tmp_path / "copy.db")) != 500:
        assert time.monotonic() < deadline, count
        time.sleep(0.05)


def _count_in_file_alone(db_path: Path, copy: Path) -> int:
    """The Contact records in a copy of the records database file, without its WAL."""
    shutil.copyfile(records_db_path(db_path), copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute('SELECT COUNT(*) FROM "rec_helpdesk_Contact"').fetchone()[0])
    except sqlite3.DatabaseError:  # not checkpointed yet (no table), or copied mid-checkpoint
        return -1
    finally:
        conn.close()


def test_the_wal_does_not_grow_job_after_job(start: Starter, tmp_path: Path) -> None:
    """Uploads queued at once (two workers): each job's checkpoint ends before the next writes,
    so the WAL restarts instead of growing by a job's pages each time."""
    api = start(db_path=tmp_path / "sb.db")
    content = "LastName,Email\n" + "".join(f"L{i},u{i}@x.com\n" for i in range(4000))
    api.run("helpdesk", "Contact", content)  # the first job sets the WAL's size
    wal = Path(f"{records_db_path(tmp_path / 'sb.db')}-wal")
    one_job = wal.stat().st_size
    jobs = [api.start_job("helpdesk", "Contact", content) for _ in range(6)]
    for job_id in jobs:
        assert api.wait("helpdesk", job_id)["status"] == "COMPLETED"
    assert wal.stat().st_size <= 2 * one_job, (one_job, wal.stat().st_size)

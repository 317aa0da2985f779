"""Staging as a stream: each chunk handed over as soon as it is staged, after a pre-pass that
proves the file reads whole; chunks the same on every run, none larger than ``max_bytes``."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from hubload.csvfile import CsvSource, Dialect, detect_dialect
from hubload.errors import ConfigError, InputFileError
from hubload.staging import Preparation, StagedChunk, prepare
from schemas.catalog import FieldSpec, ObjectSpec
from schemas.mapping import ExtraCheck, MappingError, MappingSpec, ResolvedMapping, resolve

CONTACT = ObjectSpec.of(
    "Contact",
    [
        FieldSpec("LastName", required=True, length=80),
        FieldSpec("Email", native_type="email", length=80),
        FieldSpec("Title", length=128),
    ],
)


def contacts(rows: int, delimiter: str = ",") -> str:
    lines = ["LastName,Email,Title"]
    for i in range(rows):
        if i % 10 == 3:
            lines.append(f"Doe{i},not-an-email,T")
        elif i % 10 == 6:
            lines.append(f"Short{i}")
        elif i % 10 == 8:
            lines.append(f' \t,"a{i}@x.com","Two\nlines"')
        else:
            lines.append(f"Name{i},n{i}@x.com,Title {i}")
    return "\n".join(lines).replace(",", delimiter) + "\n"


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mapped(source: CsvSource, spec: dict[str, object] | None = None) -> ResolvedMapping:
    return resolve(MappingSpec.parse(spec) if spec else None, CONTACT, source.header)


def staged(
    path: Path, run: Path, delimiter: str | None = None, **options: int
) -> list[tuple[int, int, str]]:
    with CsvSource(path, detect_dialect(path, delimiter=delimiter)) as source:
        result = prepare(source, mapped(source), options.pop("chunk_size", 7), run, **options)
    return [(c.number, c.rows, c.sha256) for c in result.chunks]


def sidecar_lines(chunk: StagedChunk) -> list[int]:
    with chunk.sidecar.open(encoding="utf-8", newline="") as stream:
        return [int(row[0]) for row in csv.reader(stream)]


def test_each_chunk_is_handed_over_as_soon_as_it_is_staged(tmp_path: Path) -> None:
    path = write(tmp_path, contacts(40))
    seen = []
    with CsvSource(path, detect_dialect(path)) as source:
        with Preparation(source, mapped(source), tmp_path / "run", chunk_size=10) as preparation:
            for chunk in preparation:
                tally = preparation.tally.snapshot()
                assert chunk.path.exists() and chunk.sidecar.exists()
                seen.append((chunk.number, tally.read, tally.total_rows, tally.finished))
        result = preparation.result()
    # The pre-pass counted the rows before the first chunk; the tally grows chunk by chunk.
    assert seen == [(1, 10, 40, False), (2, 20, 40, False), (3, 30, 40, False), (4, 40, 40, False)]
    assert result.read == 40 == result.staged_rows + result.rejected
    assert result.reasons == {
        "MALFORMED_ROW": 4,
        "Email: not a valid email address": 4,
        "LastName: required, but only white space": 4,
    }
    assert set(result.timings) == {"prepass", "read", "map", "validate", "stage"}


def test_a_file_that_does_not_read_whole_stages_nothing(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(contacts(4000).encode() + b"Late,caf\xe9@x.com,T\n")  # past 64 KiB
    run = tmp_path / "run"
    with (
        CsvSource(path, detect_dialect(path)) as source,
        Preparation(source, mapped(source), run, chunk_size=10) as preparation,
    ):
        chunks = iter(preparation)
        with pytest.raises(InputFileError, match="line 4402: not valid utf-8"):
            next(chunks)
    assert not list((run / "chunks").iterdir())


def test_the_same_file_always_gives_the_same_chunks(tmp_path: Path) -> None:
    path = write(tmp_path, contacts(120))
    first = staged(path, tmp_path / "a")
    assert first == staged(path, tmp_path / "b")
    assert [n for n, _, _ in first] == list(range(1, len(first) + 1))
    # The slow parser (a delimiter of two bytes in UTF-8) stages exactly the same uploads.
    other = write(tmp_path, contacts(120, delimiter="§"), name="other.csv")
    assert staged(other, tmp_path / "c", delimiter="§") == first


def test_an_upload_larger_than_max_bytes_is_split_the_same_way_each_time(tmp_path: Path) -> None:
    path = write(tmp_path, contacts(300))
    whole = staged(path, tmp_path / "whole", chunk_size=100)
    small = staged(path, tmp_path / "small", chunk_size=100, max_bytes=1500)
    assert small == staged(path, tmp_path / "again", chunk_size=100, max_bytes=1500)
    assert len(small) > len(whole) and sum(r for _, r, _ in small) == sum(r for _, r, _ in whole)
    lines: list[int] = []
    for number, _, _ in small:
        chunk = tmp_path / "small" / "chunks" / f"chunk-{number:05d}.csv"
        assert chunk.stat().st_size <= 1500
        lines += sidecar_lines(StagedChunk(number, chunk, chunk.with_suffix(".source.csv"), 0, ""))
    assert lines == sorted(lines) and len(lines) == len(set(lines))


def test_a_row_too_large_for_any_upload_is_rejected(tmp_path: Path) -> None:
    text = "LastName,Email,Title\nA,a@x.com,T\n" + f"B,b@x.com,{'t' * 120}\n" + "C,c@x.com,T\n"
    path = write(tmp_path, text)
    with CsvSource(path, detect_dialect(path)) as source:
        result = prepare(source, mapped(source), 10, tmp_path / "run", max_bytes=100)
    # Cut in two, then the first half in two again: A and C are staged apart, B is rejected.
    assert [c.rows for c in result.chunks] == [1, 1]
    assert result.reasons == {"ROW_TOO_LARGE": 1}
    with (tmp_path / "run" / "rejected.csv").open(encoding="utf-8", newline="") as stream:
        (row,) = csv.DictReader(stream)
    assert row["line"] == "3" and row["reason"].startswith("ROW_TOO_LARGE")


def test_rejected_rows_in_line_order_with_reasons_in_words(tmp_path: Path) -> None:
    text = "LastName,=cmd|' /C calc'!A0,Title\nLee,bad,T\nOnly\n\xa0,a@x.com,T\nOk,ok@x.com,T\n"
    path = write(tmp_path, text)
    with CsvSource(path, detect_dialect(path)) as source:
        spec = {"fields": {"LastName": "LastName", "Email": "=cmd|' /C calc'!A0"}}
        prepare(source, mapped(source, spec), 2, tmp_path / "run")
    with (tmp_path / "run" / "rejected.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["line", "LastName", "'=cmd|' /C calc'!A0", "Title", "extra_fields", "reason"]
    assert [(r[0], r[-1]) for r in rows[1:]] == [
        ("2", "'=cmd|' /C calc'!A0 -> Email: not a valid email address ('bad')"),
        ("3", "MALFORMED_ROW: 1 field(s) where the header has 3"),
        ("4", "LastName: required, but only white space ('\\xa0')"),
    ]


def test_a_pattern_re2_refuses_is_a_configuration_error(tmp_path: Path) -> None:
    spec = {"fields": {"LastName": "LastName"}, "checks": {"LastName": [{"pattern": r"(\w)\1"}]}}
    with pytest.raises(MappingError, match="backreference"):
        MappingSpec.parse(spec)  # when the mapping is read, before any row
    path = write(tmp_path, contacts(5))
    with CsvSource(path, detect_dialect(path)) as source:
        # A check that escaped the model's validation is still refused before any row.
        unchecked = ExtraCheck.model_construct(pattern=r"(\w)\1", unique=False)
        mapping = dataclasses.replace(
            mapped(source, {"fields": {"LastName": "LastName"}}),
            checks={"LastName": (unchecked,)},
        )
        preparation = Preparation(source, mapping, tmp_path / "run", chunk_size=5)
        with pytest.raises(ConfigError, match="backreference"):
            preparation.__enter__()


def test_on_chunk_hears_every_chunk_of_rows(tmp_path: Path) -> None:
    text = "LastName,Email\n" + "".join(f",x{i}@x.com\n" for i in range(6)) + "A,a@x.com\n"
    path = write(tmp_path, text)
    heard: list[tuple[int | None, int, int]] = []
    with CsvSource(path, Dialect(",", "utf-8")) as source:
        prepare(
            source,
            mapped(source),
            3,
            tmp_path / "run",
            on_chunk=lambda c, read, rejected: heard.append(
                (c.number if c else None, read, rejected)
            ),
        )
    assert heard == [(None, 3, 3), (None, 6, 6), (1, 7, 6)]

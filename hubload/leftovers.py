"""The rows a run did not load, read back from its reports for the ledger; and the inputs of a
reprocess run built from them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from hubload.errors import ConfigError
from hubload.ledger import RowOutcome, RowRecord
from hubload.outcomes import fate_unknown
from hubload.records import TRANSIENT_CODES, parse_error_text
from hubload.reports import neutralise, unneutralise


def leftover_rows(rejected_csv: Path | None, failed_csv: Path | None) -> Iterator[RowRecord]:
    """Every rejected, failed or unknown row of a run, by source line."""
    if rejected_csv is not None and rejected_csv.exists():
        for line, reason in _lines_and_reasons(rejected_csv, "reason"):
            yield RowRecord(line=line, outcome=RowOutcome.REJECTED, reason=reason)
    if failed_csv is not None and failed_csv.exists():
        for line, error in _lines_and_reasons(failed_csv, "error"):
            if fate_unknown(error):
                yield RowRecord(line=line, outcome=RowOutcome.UNKNOWN, reason=error)
            else:
                code, _ = parse_error_text(error)
                yield RowRecord(
                    line=line,
                    outcome=RowOutcome.FAILED,
                    reason=error,
                    transient=code in TRANSIENT_CODES,
                )


def _lines_and_reasons(path: Path, column: str) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):  # every row has its source line: none is skipped
            yield int(row["line"]), unneutralise(row[column])


def report_header(report: Path) -> list[str]:
    """The source file's header, from a rejected.csv or failed.csv."""
    with report.open(encoding="utf-8", newline="") as stream:
        names = next(csv.reader(stream))
    # line, <source columns> (neutralised for spreadsheets), extra_fields, reason|error
    return [unneutralise(name) for name in names[1:-2]]


def original_cells(
    chunk_dir: Path, lines: set[int], lineage: dict[int, int] | None = None
) -> dict[int, list[str]]:
    """The exact original cells of the given lines of the original file, from the staged
    chunks' sidecars (a reprocess run's sidecars hold its own input's lines: ``lineage`` maps
    them to the original file's)."""
    found: dict[int, list[str]] = {}
    for sidecar in sorted(chunk_dir.glob("chunk-*.source.csv")):
        with sidecar.open(encoding="utf-8", newline="") as stream:
            for row in csv.reader(stream):
                line = int(row[0])
                line = lineage.get(line, line) if lineage else line
                if line in lines:
                    found[line] = row[1:]
    return found


REPORT_KINDS = {"reason": "rejected.csv", "error": "failed.csv"}


def report_kind(path: Path) -> str:
    """Which report a file is, by its last column: ``rejected`` (reason) or ``failed``
    (error).

    Raises:
        ConfigError: it is neither (unreadable, or another CSV).
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            header = next(csv.reader(stream), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read it as a report ({type(exc).__name__})") from exc
    last = header[-1] if header else ""
    if not header or header[0] != "line" or last not in REPORT_KINDS:
        raise ConfigError(
            f"{path}: not an edited rejected.csv or failed.csv (their first column is line, "
            "their last reason or error)"
        )
    return REPORT_KINDS[last].removesuffix(".csv")


def fixed_rows(path: Path, header: list[str]) -> Iterator[tuple[int, list[str]]]:
    """The rows of an edited rejected.csv or failed.csv: (line of the original file, cells in
    the header's order).

    Raises:
        ConfigError: the file lacks the ``line`` column or a column of the header.
    """
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        columns = reader.fieldnames or []
        named = {c: neutralise(c) if neutralise(c) in columns else c for c in header}
        missing = [c for c in ["line", *named.values()] if c not in columns]
        if missing:
            raise ConfigError(
                f"{path}: missing column(s) {', '.join(missing)}: keep the report's header"
            )
        for row in reader:
            cells = [unneutralise(row[named[c]] or "") for c in header]
            extra = unneutralise(row.get("extra_fields") or "")
            yield int(row["line"]), cells + ([extra] if extra else [])


def write_input(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """A reprocess run's input file: the parent's header and the chosen rows, as CSV."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)

"""Preparing a load as a stream: read the file in chunks, map, validate, and stage each chunk's
valid rows, handing each staged chunk over as soon as it is written.

Nothing is sent from here. Staged chunks are the exact CSV files that will be uploaded, with a
sidecar of each row's source line and original cells, so that the target's per-record errors
can be reported against the user's file. ``Preparation`` first proves that the file reads whole
(``hubload.prepass``), then yields each ``StagedChunk`` while it reads on, with a running
``Tally``; ``prepare()`` stages the whole file and returns a ``Prepared``.

Chunks are deterministic: the same file, mapping, ``chunk_size`` and ``max_bytes`` always give
the same chunks, numbered 1, 2, 3... in file order, with the same hashes (a resumed run relies
on it). A chunk holds the valid rows of ``chunk_size`` rows read; one whose upload would pass
``max_bytes`` is split (``hubload.chunkfiles``).

Rows before the source's start row are skipped, not read: ``skipped`` counts them, and the
file's rows (the pre-pass's count) must equal ``skipped + read``. Where the mapping's options
cut over-long text, truncated.csv lists each value cut (``hubload.truncated``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from hubload.chunkfiles import StagedChunk
from hubload.csvfile import CsvSource
from hubload.errors import ConfigError, ReconciliationError
from hubload.gcpause import relaxed_gc
from hubload.prepass import check_file
from hubload.reports import RowReport
from hubload.stager import Stager, Tally
from hubload.truncated import TruncatedReport
from schemas.mapping import MappingError, ResolvedMapping

__all__ = ["DEFAULT_MAX_BYTES", "Preparation", "Prepared", "StagedChunk", "Tally", "prepare"]

DEFAULT_MAX_BYTES = 100_000_000
"""About what Salesforce's Bulk API 2.0 takes in one upload (100 MB of CSV)."""


@dataclass
class Prepared:
    """The result of reading, mapping and validating a whole file."""

    chunks: list[StagedChunk] = field(default_factory=list)
    read: int = 0
    """Rows read after the start row: each was rejected or staged."""
    rejected: int = 0
    blank_lines: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    rejected_report: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    skipped: int = 0
    """Rows before the start row, left alone (the file's rows are ``skipped + read``)."""
    truncated: int = 0
    """Staged rows with a value cut to its field's length (listed in ``truncated_report``)."""
    truncated_report: Path | None = None
    """truncated.csv, when the load cuts over-long text."""

    @property
    def staged_rows(self) -> int:
        """Rows that passed validation and wait to be submitted."""
        return sum(c.rows for c in self.chunks)


class Preparation:
    """One streaming preparation of ``source``: iterate over it for each ``StagedChunk`` as
    soon as it is staged (in order); ``tally`` counts as it goes.

    Use as a context manager (it keeps rejected.csv open and the collector relaxed)::

        with Preparation(source, mapping, run_dir, chunk_size=50_000) as preparation:
            for chunk in preparation:
                upload(chunk)
        prepared = preparation.result()

    Raises:
        ValueError: (on creation) ``chunk_size`` or ``max_bytes`` below 1.
        ConfigError: (on entry) a check of the mapping that the validator cannot run (a
            ``pattern`` that RE2 refuses).
    """

    truncated_path: Path | None
    """Where truncated.csv goes, when the mapping's options cut over-long text."""

    def __init__(
        self,
        source: CsvSource,
        mapping: ResolvedMapping,
        run_dir: Path,
        *,
        chunk_size: int,
        max_bytes: int = DEFAULT_MAX_BYTES,
        verify: bool = True,
    ) -> None:
        if chunk_size < 1 or max_bytes < 1:
            raise ValueError("chunk_size and max_bytes must be >= 1")
        self.source = source
        self.mapping = mapping
        self.chunk_dir = run_dir / "chunks"
        self.report_path = run_dir / "rejected.csv"
        self.truncated_path = run_dir / "truncated.csv" if mapping.options.truncate else None
        self.chunk_size = chunk_size
        self.max_bytes = max_bytes
        self.verify = verify
        self.tally = Tally()
        self.chunks: list[StagedChunk] = []
        self._exit = ExitStack()
        self._started = False

    def __enter__(self) -> Preparation:
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            report = stack.enter_context(RowReport(self.report_path, self.source.header, "reason"))
            truncated = None
            if self.truncated_path is not None:
                truncated = stack.enter_context(TruncatedReport(self.truncated_path))
            try:
                self._stager = Stager(self.source, self.mapping, self.chunk_dir, report, truncated)
            except MappingError as exc:
                raise ConfigError(f"mapping for {self.mapping.target.name}: {exc}") from exc
            stack.enter_context(relaxed_gc())
            self._exit = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def __iter__(self) -> Iterator[StagedChunk]:
        for staged in self.steps():
            if staged is not None:
                yield staged

    def steps(self) -> Iterator[StagedChunk | None]:
        """Each staged chunk, and ``None`` after a chunk of rows that staged nothing (all
        rejected): a beat for progress reports.

        Raises:
            InputFileError: the file does not read whole (found by the pre-pass, before any
                chunk is staged), or a chunk failed validation as a whole.
            ReconciliationError: the rows skipped and read are not the file's rows.
        """
        if self._started:
            raise RuntimeError("a preparation runs once")
        self._started = True
        tally = self.tally
        file_rows = None
        if self.verify:
            started = time.perf_counter()
            file_rows = check_file(self.source.path, self.source.dialect).rows
            tally.total_rows = max(file_rows - self.source.start_row, 0)
            tally.add_time("prepass", started)
        chunks = self.source.chunks(self.chunk_size)
        while True:
            started = time.perf_counter()
            raw = next(chunks, None)
            tally.add_time("read", started)
            tally.blank_lines = self.source.blank_lines
            tally.skipped = self.source.skipped
            if raw is None:
                break
            staged = self._stager.stage(raw, len(self.chunks) + 1, self.max_bytes, tally)
            self.chunks += staged
            tally.staged_chunks = len(self.chunks)
            if not staged:
                yield None
            yield from staged
        if file_rows is not None and tally.skipped + tally.read != file_rows:
            raise ReconciliationError(
                f"{self.source.path}: the file has {file_rows} rows, but {tally.skipped} were "
                f"skipped and {tally.read} read"
            )
        tally.finished = True

    def result(self) -> Prepared:
        """The whole preparation's result.

        Raises:
            RuntimeError: the preparation has not run to its end.
        """
        tally = self.tally
        if not tally.finished:
            raise RuntimeError("the preparation has not run to its end")
        return Prepared(
            chunks=list(self.chunks),
            read=tally.read,
            rejected=tally.rejected,
            blank_lines=tally.blank_lines,
            reasons=Counter(tally.reasons),
            rejected_report=self.report_path,
            timings=dict(tally.timings),
            skipped=tally.skipped,
            truncated=tally.truncated,
            truncated_report=self.truncated_path,
        )


def prepare(
    source: CsvSource,
    mapping: ResolvedMapping,
    chunk_size: int,
    run_dir: Path,
    *,
    on_chunk: Callable[[StagedChunk | None, int, int], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    verify: bool = True,
) -> Prepared:
    """Stream ``source`` and stage every chunk under ``run_dir/chunks``; write rejected.csv.

    ``on_chunk(staged_or_None, rows_read, rows_rejected)`` is called after each staged chunk,
    and after each chunk of rows that staged nothing.

    Raises:
        InputFileError: the file does not read whole (encoding, NUL, quoting: found before any
            chunk is staged), or a chunk failed validation as a whole; the staged chunks must
            then not be submitted.
        ConfigError: a check of the mapping that cannot run (a pattern RE2 refuses).
        ReconciliationError: the rows skipped and read are not the file's rows.
    """
    with Preparation(
        source, mapping, run_dir, chunk_size=chunk_size, max_bytes=max_bytes, verify=verify
    ) as preparation:
        for staged in preparation.steps():
            if on_chunk is not None:
                on_chunk(staged, preparation.tally.read, preparation.tally.rejected)
    return preparation.result()

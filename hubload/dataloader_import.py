"""Data Loader's command-line jobs (``process-conf.xml``) as nightly sources: each CSV load job
becomes a source with its object, operation, mapping and settings; what cannot come along is
said, job by job. No secret is imported: the password is Data Loader's, encrypted with its key
file; the user saves a Salesforce target block instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any
from zoneinfo import available_timezones

import yaml

from schemas.dataloader import DataAccessType, Job, Operation, ProcessConf, ReasonCode

BULK_BATCH_LIMIT = 10_000
_OPERATIONS = {
    Operation.INSERT: "insert",
    Operation.UPDATE: "update",
    Operation.UPSERT: "upsert",
    Operation.DELETE: "delete",
    Operation.HARD_DELETE: "hardDelete",
}


@dataclass
class ImportedJob:
    """One job of the file: the source it became (None when it could not), and notes."""

    name: str
    source: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Import:
    """Every job of a process-conf.xml, and the credential the user must provide."""

    jobs: list[ImportedJob]
    credentials: list[str]

    @property
    def sources(self) -> list[dict[str, Any]]:
        """The nightly sources made."""
        return [j.source for j in self.jobs if j.source is not None]

    def text(self, inbox: str, conf_name: str) -> str:
        """A nightly configuration (YAML) with every job's notes as comments."""
        lines = [f"# Imported from Data Loader's {conf_name} by `hubload import-dataloader`."]
        lines += [f"# {c}" for c in self.credentials]
        for job in self.jobs:
            state = "imported" if job.source is not None else "NOT imported"
            lines.append(f"# job {job.name}: {state}")
            lines += [f"#   - {note}" for note in job.notes]
        body = {"inbox": inbox, "sources": self.sources}
        dumped = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
        return "\n".join([*lines, dumped])


def import_jobs(conf: ProcessConf, config_dir: Path, output_dir: Path) -> Import:
    """Each job of ``conf`` as a nightly source; mapping files are looked for in
    ``config_dir`` by their base name (Data Loader's paths are often Windows ones) and named
    relative to ``output_dir``, where the nightly configuration will be written."""
    jobs: list[ImportedJob] = []
    logins: set[tuple[str, str]] = set()
    for reading in conf.jobs:
        job = reading.job
        notes = [r.message for r in reading.reasons]
        if job.has_password or job.has_key_file:
            logins.add((job.endpoint or "https://login.salesforce.com", job.username or "?"))
        if reading.blocked:
            jobs.append(ImportedJob(job.id, None, notes))
            continue
        source, more = _source(reading.job, config_dir, output_dir)
        jobs.append(ImportedJob(job.id, source, notes + more))
    credentials = [
        "Data Loader's encrypted password is not imported. Save the org's credential as a "
        "block and name it in the deployment: `hubload target save NAME --target salesforce` "
        f"(for {user} at {endpoint}: OAuth client credentials, a refresh token or a JWT key)"
        for endpoint, user in sorted(logins)
    ]
    return Import(jobs, credentials)


def _source(job: Job, config_dir: Path, output_dir: Path) -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    data = job.data_source
    csv_name = data.csv_path.name if data and data.csv_path else None
    operation = _OPERATIONS.get(job.operation) if job.operation else None
    source: dict[str, Any] = {
        "pattern": csv_name or f"{job.id}*.csv",
        "target": "salesforce",
        "object": job.object,
        "operation": operation or "insert",
    }
    if data is not None and data.type is not DataAccessType.CSV_READ:
        notes.append(f"data source {data.type_raw}: read as a CSV file of the inbox")
    if job.external_id:
        source["external_id"] = job.external_id
    if job.mapping_file is not None:
        name = PureWindowsPath(job.mapping_file.raw).name
        found = config_dir / name
        if found.exists():
            source["mapping"] = _relative(found, output_dir)
        else:
            notes.append(f"mapping file {name} is not in {config_dir}: copy it there, then set it")
    source |= _settings(job, notes)
    if job.use_bulk_api is False:
        notes.append("Data Loader used the SOAP API here; hubload loads through Bulk API 2.0")
    return source, notes


def _settings(job: Job, notes: list[str]) -> dict[str, Any]:
    """The job's settings that shape a load: encoding, batch size, serial mode, insert nulls,
    time zone, European dates, truncation, the row to start at; with a note wherever hubload
    will behave otherwise than Data Loader did."""
    source: dict[str, Any] = {}
    if job.encoding:
        source["encoding"] = job.encoding.lower()
    else:
        notes.append(
            "Data Loader read the file in the machine's character set; hubload reads UTF-8 "
            "(or UTF-16 by its BOM): set `encoding` (e.g. cp1252) if the file is neither"
        )
    if job.batch_size:
        if job.use_bulk_api and job.batch_size <= BULK_BATCH_LIMIT:
            source["chunk_size"] = job.batch_size
        else:
            notes.append(
                f"batch size {job.batch_size} is Data Loader's (SOAP) batch: each hubload job "
                "takes up to 50,000 rows, and Salesforce batches them itself"
            )
    if job.serial_mode:
        source["serial"] = True
    return source | _values(job, notes)


def _values(job: Job, notes: list[str]) -> dict[str, Any]:
    """How values are read and sent (``hubload.options``): insert nulls, time zone, date order,
    truncation; and the row to start at."""
    source: dict[str, Any] = {}
    if job.insert_nulls:
        source["insert_nulls"] = True
    if not job.timezone:
        notes.append(
            "Data Loader read date-times without an offset in the machine's time zone; hubload "
            "refuses them unless `timezone` is set (e.g. Europe/Paris)"
        )
    elif job.timezone in available_timezones():
        source["timezone"] = job.timezone
    else:
        notes.append(f"time zone {job.timezone!r} is not an IANA zone name: set `timezone`")
    # Data Loader reads MM/dd/yyyy unless told European dates (and ISO always): so does the
    # source, where hubload alone would take ISO dates only.
    source["dates"] = "european" if job.european_dates else "us"
    if job.flag("datefield.usegmt") is False and job.timezone:
        notes.append(
            "datefield.usegmt is false: Data Loader read date fields in its time zone (a date "
            "could load as the day before); hubload never moves a date by a time zone"
        )
    _truncation(job, source, notes)
    if job.start_row is not None and job.start_row < 0:
        notes.append(f"process.loadRowToStartAt {job.start_row} is below 0: not carried over")
    elif job.start_row:
        source["start_row"] = job.start_row
        notes.append(
            f"start_row {job.start_row}: every file of this source skips its first "
            f"{job.start_row} rows (Data Loader's restart point): remove it unless they must be"
        )
    return source


def _truncation(job: Job, source: dict[str, Any], notes: list[str]) -> None:
    """``sfdc.truncateFields``: Data Loader's default is on, but only the SOAP API truncates;
    hubload cuts only when asked (and says which rows)."""
    if job.truncate_fields:
        source["truncate"] = True
        if job.use_bulk_api:
            notes.append(
                "truncate: with the Bulk API Data Loader did not truncate (such rows failed); "
                "hubload cuts over-long text as asked and lists each value in truncated.csv"
            )
    elif job.truncate_fields is None and not job.use_bulk_api:
        notes.append(
            "Data Loader (SOAP API) truncates over-long text unless sfdc.truncateFields is "
            "false; hubload rejects such rows unless `truncate: true`"
        )


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())


__all__ = ["Import", "ImportedJob", "ReasonCode", "import_jobs"]

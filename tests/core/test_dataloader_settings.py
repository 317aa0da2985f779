"""A process-conf.xml job's settings as a nightly source: insert nulls, time zone, European
dates, truncation and the start row carried into the load's options, and a note wherever hubload
will load otherwise than Data Loader did (its platform encoding, its default truncation, a date
moved by its time zone, a restart point that every file would skip)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubload.dataloader_import import import_jobs
from hubload.nightly import NightlyConfig
from hubload.options import LoadRequest
from hubload.preflight import value_options
from schemas.dataloader import parse_process_conf
from schemas.values import ValueOptions


def conf(**entries: str) -> bytes:
    base = {
        "sfdc.entity": "Contact",
        "process.operation": "upsert",
        "sfdc.externalIdField": "External_Id__c",
        "dataAccess.type": "csvRead",
        "dataAccess.name": r"c:\dataloader\in\contacts.csv",
        **entries,
    }
    rows = "".join(f'<entry key="{k}" value="{v}"/>' for k, v in base.items())
    return (
        '<beans><bean id="contacts" class="com.salesforce.dataloader.process.ProcessRunner">'
        f'<property name="configOverrideMap"><map>{rows}</map></property></bean></beans>'
    ).encode()


def imported_job(tmp_path: Path, **entries: str) -> tuple[dict[str, object], list[str]]:
    parsed = parse_process_conf(conf(**entries))
    (job,) = import_jobs(parsed, tmp_path, tmp_path).jobs
    assert job.source is not None, job.notes
    return job.source, job.notes


def test_the_settings_data_loader_users_rely_on_are_carried(tmp_path: Path) -> None:
    source, notes = imported_job(
        tmp_path,
        **{
            "sfdc.insertNulls": "true",
            "sfdc.timezone": "Europe/Paris",
            "process.useEuropeanDates": "true",
            "sfdc.truncateFields": "true",
            "process.loadRowToStartAt": "120",
            "dataAccess.readUTF8": "true",
            "sfdc.useBulkApi": "true",
        },
    )
    assert {k: source[k] for k in ("insert_nulls", "timezone", "dates", "truncate")} == {
        "insert_nulls": True,
        "timezone": "Europe/Paris",
        "dates": "european",
        "truncate": True,
    }
    assert (source["start_row"], source["encoding"]) == (120, "utf-8")
    assert any("skips its first 120 rows" in n for n in notes)
    assert any("with the Bulk API Data Loader did not truncate" in n for n in notes)
    # The nightly configuration takes the source, and a load of one of its files gets them all.
    config = NightlyConfig.model_validate({"inbox": str(tmp_path), "sources": [source]})
    params = config.sources[0].load_parameters()
    request = LoadRequest.of(file="contacts.csv", **params)
    assert value_options(request) == ValueOptions(
        clear_empty=True, timezone="Europe/Paris", dates="european", truncate=True
    )
    assert request.start_row == 120


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ({}, "hubload reads UTF-8"),
        ({}, "Data Loader (SOAP API) truncates over-long text"),
        ({"sfdc.timezone": "Europe/Paris", "datefield.usegmt": "false"}, "never moves a date"),
        ({"process.loadRowToStartAt": "-3"}, "is below 0: not carried over"),
        ({"sfdc.timezone": "Paris"}, "not an IANA zone name"),
        ({}, "hubload refuses them unless `timezone` is set"),
    ],
)
def test_what_would_load_otherwise_is_said(
    tmp_path: Path, entries: dict[str, str], says: str
) -> None:
    source, notes = imported_job(tmp_path, **entries)
    assert any(says in n for n in notes), notes
    assert "start_row" not in source


def test_settings_data_loader_leaves_off_are_left_off(tmp_path: Path) -> None:
    source, notes = imported_job(
        tmp_path,
        **{"dataAccess.readCharset": "windows-1252", "sfdc.useBulkApi": "true"},
    )
    assert source["encoding"] == "windows-1252"
    assert not {"insert_nulls", "timezone", "truncate", "start_row"} & set(source)
    assert not any("truncat" in n or "UTF-8" in n for n in notes)
    # Data Loader reads MM/dd/yyyy dates unless told European ones: so does the source.
    assert source["dates"] == "us"

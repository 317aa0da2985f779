"""Data Loader's files used as they are: a .sdl read as a mapping (and refused when it would lose
a value or is an extract map), converted to YAML that reads back the same, and process-conf.xml
jobs imported as nightly sources that the nightly configuration accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hubload.dataloader_import import import_jobs
from hubload.errors import ConfigError
from hubload.mapping_files import read_mapping_file
from hubload.nightly import NightlyConfig
from schemas.dataloader import (
    HostileXmlError,
    convert,
    interpret_load,
    read_process_conf,
    read_properties,
)
from schemas.mapping import MappingSpec

CORPUS = Path("/work/shared/corpus/dataloader")
SDL = CORPUS / "sdl"
pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="the Data Loader corpus is absent")
LOAD_MAPS = (
    sorted(
        p
        for p in SDL.glob("*.sdl")
        if not any(word in p.name.lower() for word in ("extract", "soql", "queryresult"))
    )
    if CORPUS.exists()
    else []
)


@pytest.mark.parametrize("path", LOAD_MAPS, ids=lambda p: p.name)
def test_every_load_map_converts_and_reads_back_the_same(path: Path, tmp_path: Path) -> None:
    conversion = convert(interpret_load(read_properties(path)))
    written = tmp_path / "m.yaml"
    written.write_text(conversion.text(), encoding="utf-8")
    assert MappingSpec.load(written).fields == conversion.spec().fields
    assert MappingSpec.load(written).ignore == conversion.spec().ignore


def test_a_sdl_is_a_mapping_file(tmp_path: Path) -> None:
    found = read_mapping_file(SDL / "upsertFkAccountNewFormatCsvMap.sdl")
    assert found.spec.fields["Parent.Oracle_Id__c"].parent_object == "Account"
    # Data Loader's precedence is applied, and said.
    clash = read_mapping_file(SDL / "fieldAndConstantFieldClashMap.sdl")
    assert clash.spec.fields["Industry"].value == "Aerospace"
    assert any("overridden by constant" in note for note in clash.notes)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("nullConstantAssignmentMap.sdl", "line"),
        ("accountExtractMap.sdl", "extract map"),
    ],
)
def test_a_sdl_that_would_lose_a_value_or_extracts_is_refused(name: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as info:
        read_mapping_file(SDL / name)
    assert "\n" not in str(info.value)


def test_a_binary_sdl_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.sdl"
    path.write_bytes(b"Name=Name\n\x00\x01\x02")
    with pytest.raises(ConfigError, match=r"bad\.sdl") as info:
        read_mapping_file(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("conf", ["process-conf.samples.xml", "process-conf.testfiles.xml"])
def test_both_corpus_files_import_to_a_nightly_config(conf: str, tmp_path: Path) -> None:
    parsed = read_process_conf(CORPUS / conf)
    imported = import_jobs(parsed, SDL, tmp_path)
    assert len(imported.jobs) == len(parsed.jobs) > 0
    output = tmp_path / "nightly.yaml"
    output.write_text(imported.text(str(tmp_path / "inbox"), conf), encoding="utf-8")
    config = NightlyConfig.load(output)
    assert len(config.sources) == len(imported.sources)
    assert "password" not in yaml.safe_dump(imported.sources).lower()
    for job in imported.jobs:
        if job.source is None:
            assert job.notes, f"{job.name} was left out without a reason"


def test_the_samples_upsert_job_carries_its_settings(tmp_path: Path) -> None:
    imported = import_jobs(read_process_conf(CORPUS / "process-conf.samples.xml"), SDL, tmp_path)
    (source,) = imported.sources
    assert source["object"] == "Opportunity" and source["operation"] == "upsert"
    assert source["external_id"] == "Oracle_Id__c" and source["target"] == "salesforce"
    assert (
        Path(tmp_path / source["mapping"]).resolve() == (SDL / "opportunityUpsertMap.sdl").resolve()
    )
    assert imported.credentials and "hubload target save" in imported.credentials[0]


def test_hostile_xml_is_refused_in_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "process-conf.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE beans [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><beans>&b;</beans>'
    )
    with pytest.raises(HostileXmlError) as info:
        read_process_conf(bomb)
    assert "\n" not in str(info.value)

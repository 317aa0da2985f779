"""Extract maps: read in their direction (field = column), and recognised for refusal in a load,
tuned on the corpus: its 9 extract maps found, none of its 50 load maps flagged."""

from __future__ import annotations

import pytest

from schemas.dataloader import (
    Code,
    EvidenceKind,
    ExtractKind,
    PropertiesFile,
    Strength,
    decode_properties,
    extract_evidence,
    interpret_extract,
    read_extract_map,
    read_properties,
)
from tests.schemas.dataloader_fixtures import (
    EXTRACT_MAPS,
    SDL_DIR,
    load_map_names,
    needs_corpus,
    sdl_names,
)


def parsed(text: str, path: str = "m.sdl") -> PropertiesFile:
    return decode_properties(text.encode("iso-8859-1"), path=path)


def kinds(
    text: str,
    path: str = "m.sdl",
    *,
    header: list[str] | None = None,
    fields: list[str] | None = None,
) -> list[EvidenceKind]:
    direction = extract_evidence(parsed(text, path), header=header, fields=fields)
    return [e.kind for e in direction.evidence]


@needs_corpus
def test_the_corpus_has_9_extract_maps_and_50_load_maps() -> None:
    assert set(sdl_names()) >= EXTRACT_MAPS
    assert len(load_map_names()) == 50


@needs_corpus
@pytest.mark.parametrize("name", sorted(EXTRACT_MAPS))
def test_every_corpus_extract_map_is_recognised(name: str) -> None:
    direction = extract_evidence(read_properties(SDL_DIR / name))
    assert direction.likely_extract
    assert direction.reason.startswith(f"{name} reads like a Data Loader extract map")


@needs_corpus
def test_eight_corpus_extract_maps_are_recognised_by_their_content() -> None:
    strong = {
        name
        for name in EXTRACT_MAPS
        if extract_evidence(read_properties(SDL_DIR / name)).is_extract
    }
    # Name=Name, RICHTEXT__c=RICHTEXT__c reads the same both ways: only its name tells.
    assert EXTRACT_MAPS - strong == {"binaryDataInRTFQueryResultMap.sdl"}
    identity = extract_evidence(read_properties(SDL_DIR / "binaryDataInRTFQueryResultMap.sdl"))
    assert identity.symmetric
    assert [(e.kind, e.strength) for e in identity.evidence] == [
        (EvidenceKind.FILE_NAME, Strength.HINT)
    ]


@needs_corpus
@pytest.mark.parametrize("name", load_map_names())
def test_no_corpus_load_map_is_flagged_from_the_map_alone(name: str) -> None:
    direction = extract_evidence(read_properties(SDL_DIR / name))
    assert direction.evidence == ()
    assert direction.reason == ""


@needs_corpus
@pytest.mark.parametrize("name", load_map_names())
def test_no_corpus_load_map_is_flagged_against_its_own_header_and_fields(name: str) -> None:
    read = read_properties(SDL_DIR / name)
    header = [e.key for e in read.entries]
    fields = [t.strip() for e in read.entries for t in e.value.split(",")]
    assert extract_evidence(read, header=header, fields=fields).evidence == ()


@needs_corpus
@pytest.mark.parametrize("name", sorted(EXTRACT_MAPS - {"binaryDataInRTFQueryResultMap.sdl"}))
def test_corpus_extract_maps_are_flagged_against_a_header_of_their_columns(name: str) -> None:
    read = read_properties(SDL_DIR / name)
    header = [e.value for e in read.entries]
    fields = [e.key for e in read.entries]
    found = {e.kind for e in extract_evidence(read, header=header, fields=fields).evidence}
    if name != "accountExtractMap.sdl":  # its columns are its fields in upper case
        assert {EvidenceKind.VALUES_ARE_COLUMNS, EvidenceKind.KEYS_ARE_FIELDS} <= found


def test_relationship_paths_on_the_left_are_strong_evidence() -> None:
    direction = extract_evidence(parsed("Id = Contact_Id\nAccount.Name = Account_Name\n"))
    assert direction.is_extract
    assert EvidenceKind.RELATIONSHIP_PATH_KEY in [e.kind for e in direction.evidence]
    assert direction.reason.endswith(
        "line 2: Account.Name is a relationship path, which only an extract reads"
    )


def test_a_value_no_field_can_be_named_is_strong_evidence() -> None:
    assert kinds("Id=account_id\n") == [EvidenceKind.COLUMN_NAME_VALUE]
    assert kinds("Owner.Id=NAME__RESULT\n") == [
        EvidenceKind.RELATIONSHIP_PATH_KEY,
        EvidenceKind.COLUMN_NAME_VALUE,
    ]


def test_load_shapes_are_not_evidence() -> None:
    text = (
        "ACCOUNT_ID=Id\nName=Name,RICHTEXT__c\nPARENT=Parent:Account-Oracle_Id__c\n"
        '"x"=Industry\n" " = Description\n=AnnualRevenue\nCREATEDBYID=\nowner=owner:user-username\n'
    )
    assert kinds(text) == []


def test_upper_case_columns_count_only_on_most_lines() -> None:
    assert kinds("Name=NAME\nPhone=PHONE\nFax=FAX\n") == [EvidenceKind.UPPERCASED_COLUMNS]
    assert kinds("name=NAME\nPhone=Phone\nFax=Fax\nType=Type\n") == []


def test_against_a_header_values_that_are_its_columns() -> None:
    text = "Name=full_name\nPhone=tel\n"
    assert EvidenceKind.VALUES_ARE_COLUMNS in kinds(text, header=["full_name", "tel"])
    assert kinds("full_name=Name\ntel=Phone\n", header=["full_name", "tel"]) == []


def test_against_fields_keys_that_are_fields() -> None:
    assert kinds("Name=Contact\nPhone=Tel\n", fields=["Name", "Phone"]) == [
        EvidenceKind.KEYS_ARE_FIELDS
    ]
    assert kinds("Contact=Name\nTel=Phone\n", fields=["Name", "Phone"]) == []


def test_the_file_name_is_a_hint_only() -> None:
    direction = extract_evidence(parsed("Name=Name\n", path=r"c:\dl\conf\accountExportMap.sdl"))
    assert direction.likely_extract and not direction.is_extract
    assert direction.reason.startswith("accountExportMap.sdl reads like")


def test_an_extract_map_reads_fields_to_columns() -> None:
    text = (
        "Id=account_id\nAccount.Name = Account_Name\n"
        '"ACME"=source, origin\nPhone=\n=X\nID=sfdc_id\n'
    )
    read = interpret_extract(parsed(text))
    assert [(e.kind, e.field, e.columns) for e in read.entries] == [
        (ExtractKind.FIELD, "Account.Name", ("Account_Name",)),
        (ExtractKind.CONSTANT, None, ("source", "origin")),
        (ExtractKind.UNMAPPED, "Phone", ()),
        (ExtractKind.DEAD, None, ()),
        (ExtractKind.FIELD, "ID", ("sfdc_id",)),
    ]
    assert read.fields_read() == (("Account.Name", 2), ("ID", 6))
    assert read.column_of() == {"account.name": "Account_Name", "id": "sfdc_id"}
    assert [(d.line, d.code) for d in read.diagnostics] == [
        (1, Code.KEY_REPLACED),
        (4, Code.UNMAPPED_COLUMN),
        (5, Code.EMPTY_KEY),
    ]


@needs_corpus
def test_corpus_polymorphic_extract_map() -> None:
    read = read_extract_map(SDL_DIR / "polymorphicRelationshipExtractMap.sdl")
    assert read.column_of() == {
        "id": "LID",
        "owner.name": "NAME__RESULT",
        "owner.id": "OWNID",
        "ownerid": "OID",
        "owner.lastname": "lName",
    }


@needs_corpus
def test_corpus_account_extract_map_keeps_one_dead_line() -> None:
    read = read_extract_map(SDL_DIR / "accountExtractMap.sdl")
    dead = [e for e in read.entries if e.kind is ExtractKind.DEAD]
    assert [(e.line, e.value) for e in dead] == [(17, "LASTMODIFIEDDATE")]
    assert len(read.fields_read()) == 35

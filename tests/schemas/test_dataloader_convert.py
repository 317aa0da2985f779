"""Load maps converted to hubload's YAML mapping: the dict, the MappingSpec it parses into, and
the commented text; every corpus load map converts."""

from __future__ import annotations

import pytest
import yaml

from schemas.catalog import FieldSpec, ObjectSpec
from schemas.dataloader import (
    Code,
    ConversionError,
    LoadMap,
    convert,
    decode_properties,
    interpret_load,
    read_load_map,
)
from schemas.mapping import resolve
from tests.schemas.dataloader_fixtures import SDL_DIR, load_map_names, needs_corpus


def load(text: str) -> LoadMap:
    return interpret_load(decode_properties(text.encode("iso-8859-1"), path="m.sdl"))


def test_columns_constants_composites_and_lookups() -> None:
    text = (
        "Name=Name,RICHTEXT__c\n"
        '"Aerospace"=Industry\n'
        "Street,City=Description\n"
        "AcctExt=Account:External_Id__c\n"
        "PARENT=Parent\\:Account-Oracle_Id__c\n"
        "CREATEDBYID=\n"
        '""=Site\n'
    )
    conversion = convert(load(text), object_name="Contact")
    assert conversion.mapping == {
        "object": "Contact",
        "fields": {
            "Name": "Name",
            "RICHTEXT__c": "Name",
            "Industry": {"value": "Aerospace"},
            "Description": {"columns": ["Street", "City"], "separator": ", "},
            "Account.External_Id__c": "AcctExt",
            "Parent.Oracle_Id__c": {"column": "PARENT", "parent_object": "Account"},
            "Site": {"value": ""},
        },
        "ignore": ["CREATEDBYID"],
    }
    spec = conversion.spec()
    assert spec.fields["Parent.Oracle_Id__c"].parent_object == "Account"
    assert spec.fields["Description"].source_columns == ["Street", "City"]
    assert spec.ignore == ["CREATEDBYID"]


def test_a_constant_beating_a_column_keeps_the_constant_and_says_so() -> None:
    conversion = convert(load('Industry=Industry\n"Aerospace"=Industry\n'))
    assert conversion.mapping["fields"] == {"Industry": {"value": "Aerospace"}}
    assert [d.code for d in conversion.diagnostics] == [Code.CONSTANT_OVERRIDES_COLUMN]


def test_dead_entries_are_dropped_with_their_diagnostics() -> None:
    conversion = convert(load('Name=Name\n" " = Description\n=AnnualRevenue\n'))
    assert conversion.mapping == {"fields": {"Name": "Name"}}
    assert [d.code for d in conversion.diagnostics] == [
        Code.UNTERMINATED_CONSTANT,
        Code.EMPTY_KEY,
    ]


def test_a_map_that_sets_nothing_cannot_be_converted() -> None:
    with pytest.raises(ConversionError) as info:
        convert(load("CREATEDBYID=\n=X\n"))
    assert info.value.path == "m.sdl"
    assert info.value.line is None
    assert "sets no field" in str(info.value)


def test_the_text_form_has_the_diagnostics_as_comments_and_parses_back() -> None:
    conversion = convert(load('Industry=Industry\n"Aerospace"=Industry\nName=Name\nX=\n'))
    text = conversion.text()
    lines = text.splitlines()
    assert lines[0] == "# Converted from Data Loader mapping m.sdl"
    assert lines[1].startswith("# error (line 1, constant-overrides-column): Industry=Industry")
    assert lines[2] == "# info (line 4, unmapped-column): X=: column X deliberately not loaded"
    assert "  Industry: {value: Aerospace}" in lines
    assert yaml.safe_load(text) == conversion.mapping


def test_awkward_names_survive_the_text_form() -> None:
    conversion = convert(load('yes=Name\n"no"=Type\n"1.0"=Rating\n"a: b # c"=Site\nnull=Fax\n'))
    assert yaml.safe_load(conversion.text()) == conversion.mapping
    assert conversion.mapping["fields"]["Name"] == "yes"


def test_non_ascii_is_written_as_is() -> None:
    conversion = convert(load('"Soci\\u00e9t\\u00e9"=Name\n'))
    assert "{value: Société}" in conversion.text()


def test_a_converted_map_resolves_against_an_object() -> None:
    account = ObjectSpec.of(
        "Account",
        [
            FieldSpec("Name", required=True),
            FieldSpec("Industry"),
            FieldSpec("Description", native_type="textarea"),
        ],
    )
    spec = convert(load('NAME=Name\n"Aerospace"=Industry\nA,B=Description\n')).spec()
    resolved = resolve(spec, account, ["NAME", "A", "B", "Other"])
    assert resolved.field_names == ["Name", "Industry", "Description"]
    assert resolved.columns_used == ["NAME", "A", "B"]
    assert resolved.unmapped_columns == ("Other",)


@needs_corpus
@pytest.mark.parametrize("name", load_map_names())
def test_every_corpus_load_map_converts_to_a_valid_mapping(name: str) -> None:
    read = read_load_map(SDL_DIR / name)
    conversion = convert(read, object_name="Account")
    spec = conversion.spec()
    assert len(spec.fields) == len(read.assignments) > 0
    assert yaml.safe_load(conversion.text()) == conversion.mapping


@needs_corpus
def test_corpus_polymorphic_lookups_in_an_attachment_map() -> None:
    fields = convert(read_load_map(SDL_DIR / "polymorphicRelationshipInAttachmentMap.sdl")).mapping[
        "fields"
    ]
    assert fields["Parent.Oracle_Id__c"] == {
        "column": "Parent:Account-Oracle_Id__c",
        "parent_object": "Account",
    }
    assert fields["Parent.Email"] == {"column": "Parent:Contact-Email", "parent_object": "Contact"}


@needs_corpus
def test_corpus_legacy_lookup_keeps_its_spelling() -> None:
    fields = convert(read_load_map(SDL_DIR / "upsertFkAccountOldFormatCsvMap.sdl")).mapping[
        "fields"
    ]
    assert fields["pArent.oRaClE_Id__c"] == "PARENT"

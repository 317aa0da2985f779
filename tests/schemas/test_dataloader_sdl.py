"""Layer 2: what each .sdl entry means for a load (Data Loader's LoadMapper), and the diagnostics
for what Data Loader does silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.dataloader import (
    Code,
    EntryKind,
    LoadMap,
    LookupSyntax,
    Severity,
    decode_properties,
    diagnostics,
    interpret_load,
    read_load_map,
)
from schemas.dataloader.diagnostics import SEVERITY, errors
from schemas.dataloader.names import is_field_name, parse_destination
from tests.schemas.dataloader_fixtures import SDL_DIR, load_map_names, needs_corpus


def load(text: str, encoding: str = "iso-8859-1") -> LoadMap:
    return interpret_load(decode_properties(text.encode(encoding), path="m.sdl"))


def codes(load_map: LoadMap) -> list[tuple[int, Code]]:
    return [(d.line, d.code) for d in load_map.diagnostics]


def fields(load_map: LoadMap) -> dict[str, str]:
    return {a.field: a.entry.source for a in load_map.assignments}


def test_every_code_has_a_severity_and_the_module_docstring_lists_it() -> None:
    assert set(SEVERITY) == set(Code)
    for code in Code:
        row = next(
            line for line in (diagnostics.__doc__ or "").splitlines() if f"| {code} " in line
        )
        assert f"| {SEVERITY[code]} " in row


def test_a_column_to_several_fields_is_split_on_commas_and_trimmed() -> None:
    read = load("State=BillingState, ShippingState ,,Description\n")
    (entry,) = read.entries
    assert entry.kind is EntryKind.COLUMN
    assert [d.text for d in entry.destinations] == ["BillingState", "ShippingState", "Description"]
    assert fields(read) == dict.fromkeys(
        ["BillingState", "ShippingState", "Description"], "column State"
    )
    assert codes(read) == [(1, Code.EMPTY_FIELD_TOKEN)]


def test_a_constant_to_two_fields_an_empty_constant_and_one_to_no_field() -> None:
    read = load('"California"=BillingState, ShippingState\n""=Industry\n"4-205817"=\n')
    constants = [(e.constant, [d.text for d in e.destinations]) for e in read.entries]
    assert constants == [
        ("California", ["BillingState", "ShippingState"]),
        ("", ["Industry"]),
        ("4-205817", []),
    ]
    assert all(e.kind is EntryKind.CONSTANT for e in read.entries)
    assert codes(read) == [(2, Code.EMPTY_CONSTANT), (3, Code.CONSTANT_TO_NO_FIELD)]


def test_a_constant_keeps_inner_quotes_as_data_loader_does() -> None:
    (entry,) = load('"say\\ "hi""=Description').entries
    assert entry.constant == 'say "hi"'


def test_an_unmapped_column_is_listed_as_ignored() -> None:
    read = load("CREATEDBYID=\nName=Name\n")
    assert read.entries[0].kind is EntryKind.UNMAPPED
    assert read.ignored_columns() == ("CREATEDBYID",)
    assert codes(read) == [(1, Code.UNMAPPED_COLUMN)]


def test_an_unmapped_column_read_by_another_line_is_not_ignored() -> None:
    assert load("Name=\nName,Other=Description\n").ignored_columns() == ()


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ('" " = Description', Code.UNTERMINATED_CONSTANT),
        ('"Some Value"=Description', Code.UNTERMINATED_CONSTANT),
        ('"=Description', Code.UNTERMINATED_CONSTANT),
        ("=AnnualRevenue", Code.EMPTY_KEY),
        ("\\ =AnnualRevenue", Code.EMPTY_KEY),
        ("Name,=Description", Code.STRAY_COMMA_KEY),
        (",Name=Description", Code.STRAY_COMMA_KEY),
        (",=Description", Code.EMPTY_KEY),
        # The space ends the key: key "Street,", value "City=Description".
        ("Street, City=Description", Code.STRAY_COMMA_KEY),
    ],
)
def test_dead_entries_set_nothing_and_are_reported(line: str, code: Code) -> None:
    read = load(line)
    assert [e.kind for e in read.entries] == [EntryKind.DEAD]
    assert read.assignments == ()
    assert codes(read) == [(1, code)]


def test_the_unterminated_constant_message_names_the_entry() -> None:
    (diagnostic,) = load('Name=Name\n" " = Description').diagnostics
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.line == 2
    assert "'\"'" in diagnostic.message and "Description" in diagnostic.message
    assert str(diagnostic).startswith("m.sdl: line 2: error: ")


def test_a_composite_source_joins_its_columns() -> None:
    read = load("Street,City=Description\n")
    (entry,) = read.entries
    assert entry.kind is EntryKind.COMPOSITE
    assert entry.columns == ("Street", "City")
    assert [a.field for a in read.composites()] == ["Description"]
    assert read.columns_read() == (("Street", 1), ("City", 1))
    assert codes(read) == [(1, Code.COMPOSITE_SOURCE)]


@pytest.mark.parametrize(
    ("destination", "relationship", "field", "parent", "syntax"),
    [
        ("pArent:oRaClE_Id__c", "pArent", "oRaClE_Id__c", None, LookupSyntax.LEGACY),
        ("Owner:username", "Owner", "username", None, LookupSyntax.LEGACY),
        (
            "Parent:Account-Oracle_Id__c",
            "Parent",
            "Oracle_Id__c",
            "Account",
            LookupSyntax.POLYMORPHIC,
        ),
        ("owner:user-username", "owner", "username", "user", LookupSyntax.POLYMORPHIC),
    ],
)
def test_lookups_in_both_forms_and_any_case(
    destination: str, relationship: str, field: str, parent: str | None, syntax: LookupSyntax
) -> None:
    read = load(f"COL={destination}")
    ((lookup, line),) = read.lookups()
    assert (lookup.relationship, lookup.field, lookup.parent_object) == (
        relationship,
        field,
        parent,
    )
    assert lookup.syntax is syntax
    assert lookup.header == f"{relationship}.{field}"
    assert line == 1
    assert read.fields_written() == ()
    assert codes(read) == [(1, Code.LOOKUP)]


@pytest.mark.parametrize("bad", ["Parent-Oracle_Id__c", "a:b:c", "a:b-c-d", ":x", "Rel:", "R:P-"])
def test_a_malformed_lookup_is_an_error_and_dropped(bad: str) -> None:
    read = load(f"COL={bad},Name")
    assert [a.field for a in read.assignments] == ["Name"]
    assert codes(read) == [(1, Code.MALFORMED_LOOKUP)]


def test_keys_differing_in_case_collapse_the_later_winning_at_its_place() -> None:
    read = load("Name=Name\nPhone=Phone\nNAME=Description\n")
    assert [e.key for e in read.entries] == ["Phone", "NAME"]
    assert fields(read) == {"Phone": "column Phone", "Description": "column NAME"}
    assert codes(read) == [(1, Code.KEY_REPLACED)]
    assert errors(read.diagnostics)[0].message.startswith(
        "Name=Name is replaced by NAME=Description"
    )


def test_a_repeat_that_changes_nothing_is_a_warning() -> None:
    read = load("Name=Name\nNAME=name\nX=\nX=Fax\n")
    assert codes(read) == [(1, Code.KEY_REPEATED), (3, Code.KEY_REPEATED)]
    assert fields(read) == {"name": "column NAME", "Fax": "column X"}


def test_a_constant_beats_a_column_mapped_to_the_same_field() -> None:
    read = load('Industry=Industry\n"Aerospace"=industry\n')
    assert fields(read) == {"industry": 'constant "Aerospace"'}
    assert codes(read) == [(1, Code.CONSTANT_OVERRIDES_COLUMN)]
    assert read.columns_read() == ()


def test_a_constant_beats_a_column_written_after_it() -> None:
    read = load('"Aerospace"=Industry\nIndustry=Industry\n')
    assert fields(read) == {"Industry": 'constant "Aerospace"'}
    assert codes(read) == [(2, Code.CONSTANT_OVERRIDES_COLUMN)]


def test_two_columns_to_one_field_in_any_case_are_an_error_the_later_kept() -> None:
    read = load("A=Description\nB=DESCRIPTION\n")
    assert fields(read) == {"DESCRIPTION": "column B"}
    assert codes(read) == [(1, Code.FIELD_SET_TWICE)]
    assert "further right in the CSV" in read.diagnostics[0].message


def test_two_constants_to_one_field_the_later_wins() -> None:
    read = load('"x"=Type\n"y"=Type\n')
    assert fields(read) == {"Type": 'constant "y"'}
    assert codes(read) == [(1, Code.FIELD_SET_TWICE)]


def test_a_repeated_constant_key_replaces_the_earlier_fields() -> None:
    read = load('"x"=Type\n"x"=Rating\n')
    assert fields(read) == {"Rating": 'constant "x"'}
    assert codes(read) == [(1, Code.KEY_REPLACED)]


def test_lookups_to_different_parents_through_one_relationship_are_both_kept() -> None:
    read = load("A=Parent:Account-Oracle_Id__c\nB=Parent:Contact-Email\n")
    assert [a.field for a in read.assignments] == ["Parent.Oracle_Id__c", "Parent.Email"]


def test_columns_missing_from_a_header_compare_ignoring_case() -> None:
    read = load("name=Name\nPhone=Phone\nA,B=Description\n")
    assert read.columns_missing_from(["NAME", "a", "Fax"]) == (("Phone", 2), ("B", 3))


def test_utf8_read_as_iso_8859_1_is_reported_and_a_unicode_escape_is_not() -> None:
    mojibake = load("Société=Name\n", encoding="utf-8")
    assert codes(mojibake) == [(1, Code.MOJIBAKE_SUSPECTED)]
    assert "Ã©" in mojibake.diagnostics[0].message
    assert codes(load("Soci\\u00e9t\\u00e9=Name\n")) == []
    assert codes(load("Société=Name\n", encoding="iso-8859-1")) == []
    alias = interpret_load(decode_properties("Société=Name".encode(), encoding="latin1"))
    assert [d.code for d in alias.diagnostics] == [Code.MOJIBAKE_SUSPECTED]


def test_a_utf8_bom_is_reported_by_name() -> None:
    read = load("\ufeffName=Name\n", encoding="utf-8")
    assert read.entries[0].columns == ("ï»¿Name",)
    assert "byte order mark" in read.diagnostics[0].message


def test_a_declared_utf8_encoding_reads_without_mojibake() -> None:
    read = interpret_load(decode_properties("Société=Name".encode(), encoding="utf-8"))
    assert read.columns_read() == (("Société", 1),)
    assert read.diagnostics == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Name", True),
        ("Oracle_Id__c", True),
        ("ns__Field__c", True),
        ("Loc__Latitude__s", True),
        ("Person__pc", True),
        ("account_id", False),
        ("NAME__RESULT", False),
        ("Account Name", False),
        ("_x", False),
        ("a__b__c__d__c", False),
        ("Who:Contact-Email", False),
    ],
)
def test_field_names(name: str, expected: bool) -> None:
    assert is_field_name(name) is expected


def test_a_plain_destination_is_its_own_field() -> None:
    destination = parse_destination("Name")
    assert destination.lookup is None and destination.field == "Name"


@needs_corpus
def test_corpus_null_constant_assignment_map() -> None:
    read = read_load_map(SDL_DIR / "nullConstantAssignmentMap.sdl")
    assert fields(read) == {
        "Name": "column Name",
        "NumberOfEmployees": "column NumEmployees",
        "Industry": 'constant ""',
        "BillingState": 'constant "California"',
        "ShippingState": 'constant "California"',
    }
    assert codes(read) == [
        (5, Code.EMPTY_CONSTANT),
        (6, Code.UNTERMINATED_CONSTANT),
        (7, Code.EMPTY_KEY),
    ]


@needs_corpus
def test_corpus_field_and_constant_clash_keeps_the_constant() -> None:
    read = read_load_map(SDL_DIR / "fieldAndConstantFieldClashMap.sdl")
    assert fields(read)["Industry"] == 'constant "Aerospace"'
    assert codes(read) == [(5, Code.CONSTANT_OVERRIDES_COLUMN)]


@needs_corpus
def test_corpus_one_column_to_several_fields() -> None:
    read = read_load_map(SDL_DIR / "oneToManySforceFieldsMappingInCsvMap.sdl")
    assert [f for f, source in fields(read).items() if source == "column State"] == [
        "BillingState",
        "ShippingState",
        "Description",
    ]
    assert [f for f, source in fields(read).items() if source == "column Name"] == [
        "Name",
        "RICHTEXT__c",
    ]


@needs_corpus
def test_corpus_constant_into_a_relationship_name_and_to_no_field() -> None:
    upsert = read_load_map(SDL_DIR / "opportunityUpsertMap.sdl")
    assert fields(upsert)["Account"] == 'constant "4-205817"'
    update = read_load_map(SDL_DIR / "opportunityUpdateMap.sdl")
    assert (34, Code.CONSTANT_TO_NO_FIELD) in codes(update)
    assert len(update.ignored_columns()) == 14


@needs_corpus
@pytest.mark.parametrize("name", load_map_names())
def test_no_corpus_load_map_has_an_error_but_the_known_ones(name: str) -> None:
    # The only errors among the 50 load maps are the two the facts file points at.
    expected = {
        "nullConstantAssignmentMap.sdl": [(6, Code.UNTERMINATED_CONSTANT)],
        "fieldAndConstantFieldClashMap.sdl": [(5, Code.CONSTANT_OVERRIDES_COLUMN)],
    }
    read = read_load_map(SDL_DIR / name)
    assert [(d.line, d.code) for d in errors(read.diagnostics)] == expected.get(name, [])


def test_read_load_map_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "m.sdl"
    path.write_bytes(b"#Mapping values\r\nName=Name\r\n")
    read = read_load_map(path)
    assert read.path == str(path)
    assert fields(read) == {"Name": "column Name"}

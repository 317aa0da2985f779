"""Mapping specs: parsing, checking against metadata and header, automatic mapping."""

from pathlib import Path

import pytest

from schemas.catalog import ObjectSpec
from schemas.mapping import DateTransform, MappingError, MappingSpec, resolve


def spec(**fields: object) -> MappingSpec:
    return MappingSpec.parse({"fields": fields})


def test_field_metadata_is_parsed(contact: ObjectSpec) -> None:
    sal = contact.fields["Salutation"]
    assert sal.picklist == ("Mr.", "Ms.", "Dr.") and sal.restricted_picklist
    assert contact.fields["LeadSource"].picklist == ("Web",)
    assert contact.fields["LastName"].required and contact.fields["LastName"].length == 80
    assert not contact.fields["Id"].writable(upsert=True)
    assert [f.name for f in contact.required_fields()] == ["LastName"]
    assert contact.field_named("email") is contact.fields["Email"]


def test_resolve_columns_constants_and_one_column_to_two_fields(contact: ObjectSpec) -> None:
    mapping = resolve(
        spec(
            LastName="surname",
            Email={"column": "mail", "transform": ["trim", "lower"]},
            External_Id__c={"column": "mail"},
            LeadSource={"value": "Web"},
        ),
        contact,
        ["surname", "mail", "ignored"],
    )
    assert mapping.field_names == ["LastName", "Email", "External_Id__c", "LeadSource"]
    assert mapping.columns_used == ["surname", "mail"]
    assert mapping.unmapped_columns == ("ignored",)
    assert mapping.fields[1].transforms == ("trim", "lower")
    assert mapping.fields[3].value == "Web" and mapping.fields[3].source == "constant"


def test_all_problems_in_one_line(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError) as info:
        resolve(
            spec(Company="company", Id="id", Email="missing_col"),
            contact,
            ["company", "id"],
        )
    message = str(info.value)
    assert "\n" not in message
    assert "Contact has no field 'Company'" in message
    assert "field Id is read-only" in message
    assert "required field(s) not mapped: LastName" in message
    assert "column(s) not in the file's header: missing_col" in message


def test_automatic_mapping_by_name_skips_read_only(contact: ObjectSpec) -> None:
    mapping = resolve(None, contact, ["Id", "lastname", "Email", "Notes"])
    assert mapping.field_names == ["LastName", "Email"]
    assert mapping.unmapped_columns == ("Id", "Notes")


def test_automatic_mapping_needs_required_fields_and_some_match(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError, match="required field"):
        resolve(None, contact, ["Email"])
    with pytest.raises(MappingError, match="no column of the file is named like a field"):
        resolve(None, contact, ["foo", "bar"])


def test_upsert_key_must_be_mapped_and_gets_checks(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError, match="upsert key 'External_Id__c'"):
        resolve(spec(LastName="n"), contact, ["n"], upsert_key="External_Id__c")
    mapping = resolve(
        spec(LastName="n", External_Id__c="x"), contact, ["n", "x"], upsert_key="external_id__c"
    )
    labels = [c.label for c in mapping.checks["External_Id__c"]]
    assert labels == ["required", "unique"]


def test_object_named_in_file_must_match(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError, match="for object 'Lead'"):
        resolve(MappingSpec.parse({"object": "Lead", "fields": {"LastName": "n"}}), contact, ["n"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1, 2], "expected a mapping"),
        ({"fields": {"A": {"column": "a", "value": "b"}}}, "exactly one of 'column' or 'value'"),
        ({"fields": {"A": {"column": "a", "transform": ["explode"]}}}, "fields.A.transform.0"),
        (
            {"fields": {}, "checks": {"A": [{"pattern": "x", "unique": True}]}},
            "exactly one of pattern",
        ),
        ({"fields": {}, "colums": {}}, "colums"),
    ],
)
def test_bad_specs(raw: object, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        MappingSpec.parse(raw)


def test_load_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "object: Contact\nfields:\n  LastName: surname\n"
        "  Birthdate: {column: dob, transform: [{date: ['%d/%m/%Y']}]}\n"
    )
    loaded = MappingSpec.load(path)
    assert loaded.fields["Birthdate"].transform == [DateTransform(date=["%d/%m/%Y"])]
    path.write_text("fields: [unclosed")
    with pytest.raises(MappingError, match="not valid YAML"):
        MappingSpec.load(path)
    with pytest.raises(MappingError, match="cannot read"):
        MappingSpec.load(tmp_path / "absent.yaml")


def test_shipped_mappings_fit_their_objects() -> None:
    root = Path(__file__).resolve().parents[2] / "mappings"
    for name in ("marketing_contact", "helpdesk_lead", "helpdesk_contact"):
        assert MappingSpec.load(root / f"{name}.yaml").fields

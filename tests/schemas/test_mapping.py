"""Mapping specs: parsing, checking against metadata and header, automatic mapping."""

from pathlib import Path

import pytest

from schemas.catalog import ObjectSpec
from schemas.mapping import DateTransform, LoadMode, MappingError, MappingSpec, resolve


def spec(**fields: object) -> MappingSpec:
    return MappingSpec.parse({"fields": fields})


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


UPSERT = LoadMode(write="upsert", key="External_Id__c", key_must_identify=True)


def test_upsert_key_must_be_mapped_and_gets_checks(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError, match="key 'External_Id__c'"):
        resolve(spec(LastName="n"), contact, ["n"], mode=UPSERT)
    with pytest.raises(MappingError, match="Email cannot identify records"):
        resolve(
            spec(LastName="n", Email="e"),
            contact,
            ["n", "e"],
            mode=LoadMode(write="upsert", key="Email", key_must_identify=True),
        )
    mapping = resolve(spec(LastName="n", External_Id__c="x"), contact, ["n", "x"], mode=UPSERT)
    labels = [c.label for c in mapping.checks["External_Id__c"]]
    assert labels == ["required", "unique"]


def test_object_named_in_file_must_match(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError, match="for object 'Lead'"):
        resolve(MappingSpec.parse({"object": "Lead", "fields": {"LastName": "n"}}), contact, ["n"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1, 2], "expected a mapping"),
        ({"fields": {"A": {"column": "a", "value": "b"}}}, "exactly one of 'column', 'columns'"),
        ({"fields": {"A": {"columns": ["a"]}}}, "at least 2"),
        ({"fields": {"A": {"column": "a", "transform": [{"date": ["%Q"]}]}}}, "bad directive"),
        ({"fields": {"A": {"column": "a", "transform": [{"date": ["yyyy-MM-dd"]}]}}}, "directive"),
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


UPDATE = LoadMode(write="update", key="Id")
DELETE = LoadMode(write="update", key="Id", key_only=True)


def test_update_takes_the_id_and_updateable_fields_only(contact: ObjectSpec) -> None:
    mapping = resolve(spec(Id="id", Title="t"), contact, ["id", "t"], mode=UPDATE)
    assert mapping.field_names == ["Id", "Title"]  # Id is read-only, yet the update's key
    assert [c.label for c in mapping.checks["Id"]] == ["required", "unique"]
    with pytest.raises(MappingError, match="field Department is not updateable"):
        resolve(spec(Id="id", Department="d"), contact, ["id", "d"], mode=UPDATE)
    with pytest.raises(MappingError, match="key 'Id' of this operation must be a mapped field"):
        resolve(spec(Title="t"), contact, ["t"], mode=UPDATE)
    # No required field is needed to update: LastName is not mapped here.
    assert resolve(None, contact, ["Id", "Title"], mode=UPDATE).field_names == ["Id", "Title"]


def test_delete_takes_exactly_the_id(contact: ObjectSpec) -> None:
    mapping = resolve(None, contact, ["Id", "LastName", "Email"], mode=DELETE)
    assert mapping.field_names == ["Id"]
    assert mapping.unmapped_columns == ("LastName", "Email")
    with pytest.raises(MappingError, match="exactly one column, Id; also mapped: Email"):
        resolve(spec(Id="id", Email="e"), contact, ["id", "e"], mode=DELETE)
    with pytest.raises(MappingError, match="no column of the file is named like a field"):
        resolve(None, contact, ["LastName"], mode=DELETE)


def test_exact_column_names_win_over_case_insensitive_ones(contact: ObjectSpec) -> None:
    mapping = resolve(None, contact, ["email", "Email", "LastName"])
    assert [(f.field.name, f.column) for f in mapping.fields] == [
        ("Email", "Email"),
        ("LastName", "LastName"),
    ]
    assert mapping.unmapped_columns == ("email",)


def test_typos_get_a_suggestion(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError) as info:
        resolve(spec(LastName="n", FristName="f"), contact, ["n", "f"])
    assert "has no field 'FristName' (did you mean FirstName?)" in str(info.value)
    with pytest.raises(MappingError) as info:
        resolve(spec(LastName="Lastname_"), contact, ["LastName"])
    assert "(did you mean LastName?)" in str(info.value)


def test_lookups_composites_and_ignored_columns(contact: ObjectSpec, account: ObjectSpec) -> None:
    raw = {
        "fields": {
            "LastName": "n",
            "Account.External_Id__c": "acct",
            "Title": {"columns": ["t1", "t2"], "separator": " / "},
        },
        "ignore": ["internal"],
    }
    mapping = resolve(
        MappingSpec.parse(raw),
        contact,
        ["n", "acct", "t1", "t2", "internal", "stray"],
        parents={"account": account},
    )
    assert mapping.field_names == ["LastName", "Account.External_Id__c", "Title"]
    assert mapping.lookups == ["Account.External_Id__c"]
    assert mapping.fields[2].columns == ("t1", "t2") and mapping.fields[2].separator == " / "
    assert mapping.columns_used == ["n", "acct", "t1", "t2"]
    assert mapping.unmapped_columns == ("stray",) and mapping.ignored_columns == ("internal",)
    with pytest.raises(MappingError) as info:
        resolve(
            MappingSpec.parse({"fields": {"LastName": "n", "Acount.Name": "a"}}),
            contact,
            ["n", "a"],
            parents={"account": account},
        )
    assert "no relationship 'Acount' (did you mean Account?)" in str(info.value)
    with pytest.raises(MappingError, match=r"Account\.Name cannot find records"):
        resolve(
            MappingSpec.parse({"fields": {"LastName": "n", "Account.Name": "a"}}),
            contact,
            ["n", "a"],
            parents={"account": account},
        )


def test_a_mapping_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"fields:\n  LastName: surname\n  Title: Stra\xdfe\n")
    with pytest.raises(MappingError, match="line 3: not UTF-8 text"):
        MappingSpec.load(path)

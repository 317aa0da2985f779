"""The settings Data Loader users rely on, as the mapping carries them: dates read in the load's
order and time zone (else rejected in words naming the column and the form expected), ``#N/A``
never taken for a required value, empty cells cleared only where records are updated, and
over-long free text cut (only where cutting keeps the meaning)."""

from __future__ import annotations

import pandas as pd
import pytest

from schemas.catalog import FieldSpec, ObjectSpec
from schemas.mapping import LoadMode, MappingSpec, ResolvedMapping, resolve
from schemas.transforms import TEXT, apply_mapping
from schemas.truncation import cut_long_text
from schemas.validation import ChunkValidator
from schemas.values import ValueOptions

OPPORTUNITY = ObjectSpec.of(
    "Opportunity",
    [
        FieldSpec("Name", required=True, length=12),
        FieldSpec("CloseDate", native_type="date", required=True),
        FieldSpec("Follow_Up__c", native_type="datetime"),
        FieldSpec("Description", native_type="textarea", length=10),
        FieldSpec("Email__c", native_type="email", length=12),
        FieldSpec("Code__c", length=5, external_id=True, id_lookup=True),
        FieldSpec("Stage__c", native_type="picklist", length=5, picklist=("Won",)),
        FieldSpec("Id", native_type="id", read_only=True, id_lookup=True),
    ],
)


def mapping_of(
    options: ValueOptions, fields: dict[str, str], mode: LoadMode | None = None
) -> ResolvedMapping:
    spec = MappingSpec.parse({"fields": fields})
    header = list(dict.fromkeys(fields.values()))
    return resolve(spec, OPPORTUNITY, header, mode=mode, options=options)


def frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=TEXT) for k, v in columns.items()})


def validate(mapping: ResolvedMapping, rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    mapped = apply_mapping(mapping, rows)
    split = ChunkValidator(mapping).split(mapped)
    return mapped, {i: "; ".join(r.text for r in rs) for i, rs in split.reasons.items()}


def test_european_dates_are_read_and_a_misfit_named_with_the_order() -> None:
    mapping = mapping_of(ValueOptions(dates="european"), {"Name": "Name", "CloseDate": "CloseDate"})
    rows = frame(Name=["a", "b", "c"], CloseDate=["31/01/2024", "13/31/2024", "2024-02-29"])
    mapped, reasons = validate(mapping, rows)
    assert mapped["CloseDate"].tolist()[::2] == ["2024-01-31", "2024-02-29"]
    assert reasons == {1: "CloseDate: not a date in the european order DD/MM/YYYY ('13/31/2024')"}


def test_us_dates_name_the_source_column_and_count_by_a_stable_key() -> None:
    mapping = mapping_of(ValueOptions(dates="us"), {"Name": "Name", "CloseDate": "closes"})
    mapped = apply_mapping(mapping, frame(Name=["a"], closes=["31/01/2024"]))
    (rejection,) = ChunkValidator(mapping).split(mapped).reasons[0]
    assert rejection.text == (
        "closes -> CloseDate: not a date in the us order MM/DD/YYYY ('31/01/2024')"
    )
    assert rejection.key == "closes -> CloseDate: date(MM/DD/YYYY)"


def test_without_an_order_dates_are_checked_as_before() -> None:
    mapping = mapping_of(ValueOptions(), {"Name": "Name", "CloseDate": "CloseDate"})
    mapped, reasons = validate(mapping, frame(Name=["a"], CloseDate=["01/31/2024"]))
    assert mapped["CloseDate"].tolist() == ["01/31/2024"]  # nothing converted: nothing paid
    assert reasons == {0: "CloseDate: not a date (yyyy-MM-dd): '01/31/2024'"}


def test_datetimes_are_sent_in_utc_and_a_misfit_says_why() -> None:
    fields = {"Name": "Name", "CloseDate": "CloseDate", "Follow_Up__c": "Follow"}
    mapping = mapping_of(ValueOptions(dates="us", timezone="Europe/Paris"), fields)
    rows = frame(
        Name=["a", "b", "c"],
        CloseDate=["1/31/2024"] * 3,
        Follow=["03/01/2024 10:00", "13/01/2024 10:00", "2024-03-01T10:00:00-05:00"],
    )
    mapped, reasons = validate(mapping, rows)
    assert mapped["Follow_Up__c"].tolist()[::2] == ["2024-03-01T09:00:00Z", "2024-03-01T15:00:00Z"]
    assert reasons == {
        1: "Follow -> Follow_Up__c: not a date and time in the us order MM/DD/YYYY HH:MM[:SS], "
        "or ISO 8601 (read in Europe/Paris without an offset) ('13/01/2024 10:00')"
    }


def test_without_a_time_zone_a_datetime_needs_its_offset() -> None:
    fields = {"Name": "Name", "CloseDate": "CloseDate", "Follow_Up__c": "Follow_Up__c"}
    mapping = mapping_of(ValueOptions(dates="european"), fields)
    rows = frame(
        Name=["a", "b"], CloseDate=["31/01/2024"] * 2, Follow_Up__c=["01/03/2024 10:00Z", "x"]
    )
    rows.loc[1, "Follow_Up__c"] = "01/03/2024 10:00"
    mapped, reasons = validate(mapping, rows)
    assert mapped["Follow_Up__c"][0] == "2024-03-01T10:00:00Z"
    assert reasons[1].endswith("with an offset (no time zone is set) ('01/03/2024 10:00')")


def test_na_is_never_a_required_value_and_clears_the_others() -> None:
    fields = {"Name": "Name", "CloseDate": "CloseDate", "Email__c": "Email__c"}
    mapping = mapping_of(ValueOptions(), fields)
    rows = frame(Name=["#N/A", "b"], CloseDate=["2024-01-01"] * 2, Email__c=["a@b.co", "#N/A"])
    mapped, reasons = validate(mapping, rows)
    assert reasons == {0: "Name: required, but #N/A would clear it"}
    # Not an email, but the Bulk API's null: it is sent as it is, and clears the field.
    assert mapped["Email__c"][1] == "#N/A"


def test_empty_cells_clear_fields_only_where_records_are_updated() -> None:
    asked = ValueOptions(clear_empty=True)
    fields = {"Name": "Name", "CloseDate": "CloseDate", "Code__c": "Code__c"}
    insert = mapping_of(asked, fields)
    upsert = mapping_of(asked, fields, LoadMode(write="upsert", key="Code__c"))
    update = mapping_of(asked, {"Id": "Id", "Name": "Name"}, LoadMode(write="update", key="Id"))
    delete = mapping_of(asked, {"Id": "Id"}, LoadMode(write="update", key="Id", key_only=True))
    assert not insert.options.clear_empty and not delete.options.clear_empty
    assert upsert.options.clear_empty and update.options.clear_empty


def test_required_fields_stay_required_when_empty_cells_clear_fields() -> None:
    mode = LoadMode(write="update", key="Id")
    mapping = mapping_of(ValueOptions(clear_empty=True), {"Id": "Id", "Name": "Name"}, mode)
    _, reasons = validate(mapping, frame(Id=["001", "002"], Name=["", "x"]))
    assert reasons == {0: "Name: required, but empty"}


def test_truncation_cuts_free_text_only_and_keeps_what_was_cut() -> None:
    fields = {
        "Name": "Name",
        "CloseDate": "CloseDate",
        "Description": "Notes",
        "Email__c": "Email__c",
        "Code__c": "Code__c",
        "Stage__c": "Stage__c",
    }
    mapping = mapping_of(ValueOptions(truncate=True), fields)
    rows = frame(
        Name=["Émilie-Zoë Dupont", "short"],  # 17 characters (not bytes) for 12
        CloseDate=["2024-01-01"] * 2,
        Notes=["0123456789abc", "ok"],
        Email__c=["a@b.co", "long.name@example.com"],
        Code__c=["ABCDEFG", "A"],
        Stage__c=["Won", "Closed"],
    )
    cut, cuts = cut_long_text(apply_mapping(mapping, rows), mapping)
    assert cut["Name"].tolist() == ["Émilie-Zoë D", "short"]
    assert cut["Description"].tolist() == ["0123456789", "ok"]
    assert [(c.field, c.source, c.length, c.positions.tolist(), c.originals) for c in cuts] == [
        ("Name", "Name", 12, [0], ["Émilie-Zoë Dupont"]),
        ("Description", "Notes", 10, [0], ["0123456789abc"]),
    ]
    # An email, an external id, a picklist value cut short would be another value: rejected.
    reasons = ChunkValidator(mapping).split(cut).reasons
    assert sorted(r.field for rs in reasons.values() for r in rs) == [
        "Code__c",
        "Email__c",
        "Stage__c",
    ]


def test_without_truncation_nothing_is_cut() -> None:
    mapping = mapping_of(ValueOptions(), {"Name": "Name", "CloseDate": "CloseDate"})
    mapped = apply_mapping(mapping, frame(Name=["x" * 20], CloseDate=["2024-01-01"]))
    same, cuts = cut_long_text(mapped, mapping)
    assert same is mapped and cuts == []
    (rejection,) = ChunkValidator(mapping).split(mapped).reasons[0]
    assert rejection.text == "Name: longer than 12 characters"


@pytest.mark.parametrize(
    ("options", "field", "converts"),
    [
        (ValueOptions(), "CloseDate", False),
        (ValueOptions(timezone="UTC"), "CloseDate", False),  # a date is never moved by a zone
        (ValueOptions(dates="us"), "CloseDate", True),
        (ValueOptions(timezone="UTC"), "Follow_Up__c", True),
        (ValueOptions(dates="european"), "Follow_Up__c", True),
        (ValueOptions(dates="us", timezone="UTC"), "Name", False),
    ],
)
def test_a_field_is_converted_only_when_a_setting_asks(
    options: ValueOptions, field: str, converts: bool
) -> None:
    assert options.converts(OPPORTUNITY.fields[field]) is converts

"""The pandera schema built from metadata: each check, reasons naming column, field and check."""

import pandas as pd
import pytest

from schemas.catalog import ObjectSpec
from schemas.mapping import MappingSpec, ResolvedMapping, resolve
from schemas.transforms import TEXT, apply_mapping
from schemas.validation import ChunkValidationError, ChunkValidator


def run(mapping: ResolvedMapping, rows: dict[str, list[str]]) -> dict[int, list[str]]:
    frame = pd.DataFrame({k: pd.Series(v, dtype=TEXT) for k, v in rows.items()})
    split = ChunkValidator(mapping).split(apply_mapping(mapping, frame))
    assert list(split.valid) == [i not in split.reasons for i in range(len(frame))]
    return {i: [r.text for r in rs] for i, rs in split.reasons.items()}


def identity(obj: ObjectSpec, *names: str, **extra: object) -> ResolvedMapping:
    raw: dict[str, object] = {"fields": {n: n for n in names}}
    raw.update(extra)
    return resolve(MappingSpec.parse(raw), obj, list(names))


@pytest.mark.parametrize(
    ("field", "good", "bad", "check"),
    [
        (
            "Email",
            ["a@b.co", "first.last+tag@sub.example.org"],
            ["notanemail", "a@b", "a b@c.de", "a@b.c\n"],
            "email",
        ),
        (
            "Phone",
            ["(333) 333-1234", "+44 20 7946 0958", "555.555.1234 x12"],
            ["444) 444-1234", "12", "call me", "(12 34567"],
            "phone",
        ),
        (
            "Website__c",
            ["http://www.acme.com", "acme.com/x?y=1", "https://a-b.io:8080"],
            ["not a url", "http://", "acme"],
            "url",
        ),
        (
            "Birthdate",
            ["2020-01-31", "1999-12-01"],
            ["13/45/2020", "2020-02-30", "2020-1-1"],
            "date(yyyy-MM-dd)",
        ),
        ("Salutation", ["Mr.", "Dr."], ["Sir", "mr."], "picklist"),
        ("Title", ["x" * 128], ["x" * 129], "max_length(128)"),
    ],
)
def test_each_metadata_check(
    contact: ObjectSpec, field: str, good: list[str], bad: list[str], check: str
) -> None:
    mapping = identity(contact, "LastName", field)
    values = good + bad
    reasons = run(mapping, {"LastName": ["L"] * len(values), field: values})
    assert sorted(reasons) == list(range(len(good), len(values)))
    for position, texts in reasons.items():
        assert texts == [
            f"{field} -> {field}: {check} check failed for "
            + repr(values[position][:60] + ("..." if len(values[position]) > 60 else ""))
        ]


def test_unrestricted_picklist_is_not_checked(contact: ObjectSpec) -> None:
    assert (
        run(
            identity(contact, "LastName", "LeadSource"),
            {"LastName": ["L"], "LeadSource": ["Anything"]},
        )
        == {}
    )


def test_required_and_empty_cells(contact: ObjectSpec) -> None:
    mapping = resolve(
        MappingSpec.parse({"fields": {"LastName": {"column": "surname", "transform": ["trim"]}}}),
        contact,
        ["surname"],
    )
    reasons = run(mapping, {"surname": ["Smith", "", "   ", "Null"]})
    assert reasons == {
        1: ["surname -> LastName: required value is empty"],
        2: ["surname -> LastName: required value is empty"],
    }


def test_several_reasons_for_one_row(contact: ObjectSpec) -> None:
    reasons = run(
        identity(contact, "LastName", "Email", "Phone"),
        {"LastName": [""], "Email": ["x"], "Phone": ["y"]},
    )
    assert len(reasons[0]) == 3


def test_transforms(contact: ObjectSpec) -> None:
    mapping = resolve(
        MappingSpec.parse(
            {
                "fields": {
                    "LastName": {"column": "n", "transform": ["trim", "upper"]},
                    "Email": {"column": "e", "transform": ["trim", "lower"]},
                    "Phone": {"column": "p", "transform": ["digits_only"]},
                    "Birthdate": {"column": "d", "transform": [{"date": ["%d/%m/%Y", "%Y%m%d"]}]},
                    "LeadSource": {"value": "Web"},
                }
            }
        ),
        contact,
        ["n", "e", "p", "d"],
    )
    frame = pd.DataFrame(
        {
            "n": pd.Series([" smith ", "lee"], dtype=TEXT),
            "e": pd.Series([" A@B.CO ", None], dtype=TEXT),
            "p": pd.Series(["(333) 333-1234", "--"], dtype=TEXT),
            "d": pd.Series(["31/01/2020", "20200229"], dtype=TEXT),
        }
    )
    out = apply_mapping(mapping, frame)
    assert out["LastName"].tolist() == ["SMITH", "LEE"]
    assert out["Email"].iloc[0] == "a@b.co" and pd.isna(out["Email"].iloc[1])
    assert out["Phone"].iloc[0] == "3333331234" and pd.isna(out["Phone"].iloc[1])
    assert out["Birthdate"].tolist() == ["2020-01-31", "2020-02-29"]
    assert out["LeadSource"].tolist() == ["Web", "Web"]


def test_unparseable_date_is_rejected_with_original_value(contact: ObjectSpec) -> None:
    mapping = resolve(
        MappingSpec.parse(
            {
                "fields": {
                    "LastName": "n",
                    "Birthdate": {"column": "d", "transform": [{"date": ["%d/%m/%Y"]}]},
                }
            }
        ),
        contact,
        ["n", "d"],
    )
    reasons = run(mapping, {"n": ["a", "b"], "d": ["01/02/2003", "45/13/2003"]})
    assert reasons == {1: ["d -> Birthdate: date(yyyy-MM-dd) check failed for '45/13/2003'"]}


def test_extra_checks_and_unique_across_chunks(contact: ObjectSpec) -> None:
    mapping = identity(
        contact,
        "LastName",
        "Email",
        "Title",
        checks={
            "Email": [{"pattern": r".*@acme\.com", "name": "acme_only"}, {"unique": True}],
            "Title": [{"one_of": ["CEO", "CTO"]}, {"min_length": 3}],
        },
    )
    validator = ChunkValidator(mapping)

    def split(rows: dict[str, list[str]]) -> dict[int, list[str]]:
        frame = pd.DataFrame({k: pd.Series(v, dtype=TEXT) for k, v in rows.items()})
        return {
            i: [r.key for r in rs]
            for i, rs in validator.split(apply_mapping(mapping, frame)).reasons.items()
        }

    first = split(
        {
            "LastName": ["a", "b", "c"],
            "Email": ["x@acme.com", "y@other.com", "x@acme.com"],
            "Title": ["CEO", "CFO", "CTO"],
        }
    )
    assert first == {
        1: ["Email -> Email: acme_only", "Title -> Title: one_of"],
        2: ["Email -> Email: unique"],
    }
    second = split({"LastName": ["d"], "Email": ["x@acme.com"], "Title": ["CEO"]})
    assert second == {0: ["Email -> Email: unique"]}


def test_upsert_key_required_and_unique(contact: ObjectSpec) -> None:
    mapping = resolve(
        MappingSpec.parse({"fields": {"LastName": "n", "External_Id__c": "k"}}),
        contact,
        ["n", "k"],
        upsert_key="External_Id__c",
    )
    reasons = run(mapping, {"n": ["a", "b", "c"], "k": ["1", "", "1"]})
    assert reasons == {
        1: ["k -> External_Id__c: required value is empty"],
        2: ["k -> External_Id__c: unique check failed for '1'"],
    }


def test_failure_not_tied_to_rows_fails_the_chunk(contact: ObjectSpec) -> None:
    mapping = identity(contact, "LastName")
    frame = pd.DataFrame({"Surprise": pd.Series(["x"], dtype=TEXT)})
    with pytest.raises(ChunkValidationError, match="whole chunk"):
        ChunkValidator(mapping).split(frame)

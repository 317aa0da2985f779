"""The pandera schema built from metadata: each check, and each reason in words (naming the
source column when it is not the field) with a short stable key."""

import dataclasses

import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pytest

from schemas.catalog import ObjectSpec
from schemas.mapping import (
    ExtraCheck,
    LoadMode,
    MappingError,
    MappingSpec,
    ResolvedMapping,
    resolve,
)
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
    ("field", "good", "bad", "check", "words"),
    [
        (
            "Email",
            ["a@b.co", "first.last+tag@sub.example.org"],
            ["notanemail", "a@b", "a b@c.de", "a@b.c\n"],
            "email",
            "not a valid email address ({value})",
        ),
        (
            "Phone",
            ["(333) 333-1234", "+44 20 7946 0958", "555.555.1234 x12"],
            ["444) 444-1234", "12", "call me", "(12 34567"],
            "phone",
            "not a valid phone number ({value})",
        ),
        (
            "Website__c",
            ["http://www.acme.com", "acme.com/x?y=1", "https://a-b.io:8080"],
            ["not a url", "http://", "acme"],
            "url",
            "not a valid web address ({value})",
        ),
        (
            "Birthdate",
            ["2020-01-31", "1999-12-01"],
            ["13/45/2020", "2020-02-30", "2020-1-1", "31/02/2020"],
            "date(yyyy-MM-dd)",
            "not a date (yyyy-MM-dd): {value}",
        ),
        (
            "Salutation",
            ["Mr.", "Dr."],
            ["Sir", "mr."],
            "picklist",
            "not one of the picklist's values (Mr., Ms., Dr.): {value}",
        ),
        ("Title", ["x" * 128], ["x" * 129], "max_length(128)", "longer than 128 characters"),
    ],
)
def test_each_metadata_check(
    contact: ObjectSpec, field: str, good: list[str], bad: list[str], check: str, words: str
) -> None:
    mapping = identity(contact, "LastName", field)
    values = good + bad
    frame = pd.DataFrame(
        {k: pd.Series(v, dtype=TEXT) for k, v in {"LastName": ["L"] * len(values)}.items()}
        | {field: pd.Series(values, dtype=TEXT)}
    )
    split = ChunkValidator(mapping).split(apply_mapping(mapping, frame))
    assert sorted(split.reasons) == list(range(len(good), len(values)))
    for position, rejections in split.reasons.items():
        shown = repr(values[position][:60] + ("..." if len(values[position]) > 60 else ""))
        assert [r.text for r in rejections] == [f"{field}: " + words.format(value=shown)]
        assert [r.key for r in rejections] == [f"{field} -> {field}: {check}"]
        label = words.replace(" ({value})", "").replace(": {value}", "")
        assert [r.label for r in rejections] == [f"{field}: {label}"]


def test_reasons_read_as_the_ui_shows_them(contact: ObjectSpec) -> None:
    mapping = resolve(
        MappingSpec.parse({"fields": {"LastName": "C_Last", "Email": "C_Email", "Title": "Title"}}),
        contact,
        ["C_Last", "C_Email", "Title"],
    )
    reasons = run(
        mapping, {"C_Last": ["", "L"], "C_Email": ["abc", "a@b.co"], "Title": ["t", "x" * 200]}
    )
    assert reasons == {
        0: [
            "C_Last -> LastName: required, but empty",
            "C_Email -> Email: not a valid email address ('abc')",
        ],
        1: ["Title: longer than 128 characters"],
    }


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
        1: ["surname -> LastName: required, but empty"],
        2: ["surname -> LastName: required, but empty"],
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
    assert reasons == {1: ["d -> Birthdate: not a date (yyyy-MM-dd): '45/13/2003'"]}


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
        mode=LoadMode(write="upsert", key="External_Id__c"),
    )
    reasons = run(mapping, {"n": ["a", "b", "c"], "k": ["1", "", "1"]})
    assert reasons == {
        1: ["k -> External_Id__c: required, but empty"],
        2: ["k -> External_Id__c: not unique: an earlier row has the same value ('1')"],
    }


def test_failure_not_tied_to_rows_fails_the_chunk(contact: ObjectSpec) -> None:
    mapping = identity(contact, "LastName")
    frame = pd.DataFrame({"Surprise": pd.Series(["x"], dtype=TEXT)})
    with pytest.raises(ChunkValidationError, match="whole chunk"):
        ChunkValidator(mapping).split(frame)


@pytest.mark.parametrize("blank", [" ", "   ", "\t", "\xa0", " \u3000\t"])
def test_white_space_only_is_missing(contact: ObjectSpec, blank: str) -> None:
    mapping = identity(contact, "LastName", "Email", "FirstName")
    frame = pd.DataFrame(
        {
            "LastName": pd.Series([blank, "L"], dtype=TEXT),
            "Email": pd.Series(["a@b.co", blank], dtype=TEXT),
            "FirstName": pd.Series([blank, blank], dtype=TEXT),
        }
    )
    split = ChunkValidator(mapping).split(apply_mapping(mapping, frame))
    # Required: rejected as required, and for nothing else; optional: missing, so unchecked.
    assert list(split.reasons) == [0]
    (rejection,) = split.reasons[0]
    assert rejection.text == f"LastName: required, but only white space ({blank!r})"
    assert rejection.key == "LastName -> LastName: required"


def test_arrow_white_space_is_pythons() -> None:
    # The validator asks Arrow's utf8_is_space; the sandbox (like the target) uses str.isspace.
    points = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    texts = [chr(c) for c in points] + ["", "  ", " x "]
    arrow = pc.utf8_is_space(pyarrow.array(texts)).to_pylist()
    assert arrow == [t.isspace() for t in texts]


def test_a_pattern_re2_refuses_is_refused_when_the_mapping_is_read(contact: ObjectSpec) -> None:
    with pytest.raises(MappingError, match="look-ahead") as info:
        identity(
            contact, "LastName", "Email", checks={"Email": [{"pattern": r"(\w+)+(?=@)@x\.com"}]}
        )
    assert "checks.Email.0" in str(info.value) and "\n" not in str(info.value)


def test_the_validator_still_refuses_a_pattern_re2_refuses(contact: ObjectSpec) -> None:
    # A check built without the model's validation (model_construct) meets the same refusal.
    mapping = identity(contact, "LastName", "Email")
    unchecked = ExtraCheck.model_construct(pattern=r"(\w+)+(?=@)@x\.com", unique=False)
    mapping = dataclasses.replace(mapping, checks={"Email": (unchecked,)})
    with pytest.raises(MappingError, match="look-ahead") as info:
        ChunkValidator(mapping)
    assert "\n" not in str(info.value)


def test_several_columns_joined_into_one_field(contact: ObjectSpec) -> None:
    mapping = resolve(
        MappingSpec.parse(
            {"fields": {"LastName": {"columns": ["a", "b", "c"], "separator": " / "}}}
        ),
        contact,
        ["a", "b", "c"],
    )
    frame = pd.DataFrame(
        {
            "a": pd.Series(["x", "", "", "p"], dtype=TEXT),
            "b": pd.Series(["y", "z", "", ""], dtype=TEXT),
            "c": pd.Series(["1", "", "", "q"], dtype=TEXT),
        }
    )
    out = apply_mapping(mapping, frame)["LastName"]
    assert out.iloc[[0, 1, 3]].tolist() == ["x / y / 1", "z", "p / q"]
    assert pd.isna(out.iloc[2])  # every part empty: missing, so a required field is rejected

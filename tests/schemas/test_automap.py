"""A starting mapping from a header: exact names, then case and punctuation, then labels."""

from __future__ import annotations

import yaml

from schemas.automap import auto_map
from schemas.catalog import FieldSpec, ObjectSpec
from schemas.mapping import MappingSpec, resolve

CONTACT = ObjectSpec.of(
    "Contact",
    [
        FieldSpec("Id", read_only=True, createable=False, updateable=False),
        FieldSpec("LastName", label="Last Name", required=True),
        FieldSpec("FirstName", label="First Name"),
        FieldSpec("MailingCity", label="Mailing City"),
        FieldSpec("Email", label="Email"),
        FieldSpec("Phone", label="Business Phone"),
        FieldSpec("Department", label="Department", createable=False),
    ],
)


def test_three_passes_each_field_once() -> None:
    header = ["Id", "last_name", "LASTNAME", "First Name", "Business Phone", "Email", "Notes"]
    result = auto_map(header, CONTACT)
    assert result.fields == {
        "LastName": "last_name",
        "FirstName": "First Name",
        "Phone": "Business Phone",
        "Email": "Email",
    }
    assert result.how["Email"] == "matched by exact name"
    assert result.how["LastName"] == "matched by name, ignoring case and punctuation"
    assert result.how["Phone"] == "matched by label"
    # Id is not createable; LASTNAME lost to last_name (first in the file); Notes matches nothing.
    assert result.unmatched_columns == ["Id", "LASTNAME", "Notes"]
    assert result.required_unmatched == []


def test_the_text_is_a_mapping_that_resolves_and_names_what_is_missing() -> None:
    result = auto_map(["Email", "Department", "City"], CONTACT)
    text = result.text()
    assert "# Columns matched to no field: Department, City" in text
    assert "# Required fields no column matched: LastName" in text
    spec = MappingSpec.parse(yaml.safe_load(text))
    assert spec.fields["Email"].column == "Email"
    header = ["Email", "Department", "City", "LastName"]
    completed = MappingSpec.parse(
        {**yaml.safe_load(text), "fields": {"Email": "Email", "LastName": "LastName"}}
    )
    assert resolve(completed, CONTACT, header).field_names == ["Email", "LastName"]

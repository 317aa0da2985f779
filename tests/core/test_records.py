"""Salesforce's CODE:message:fields -- format of a record's error."""

import pytest

from hubload.records import parse_error_text


@pytest.mark.parametrize(
    ("text", "code", "fields"),
    [
        (
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
            "REQUIRED_FIELD_MISSING",
            ("LastName",),
        ),
        (
            "INVALID_EMAIL_ADDRESS:Email: invalid email address: notanemail",
            "INVALID_EMAIL_ADDRESS",
            (),
        ),
        (
            "STRING_TOO_LONG:Title: data value too large: x (max length=128):Title --",
            "STRING_TOO_LONG",
            ("Title",),
        ),
        (
            "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--",
            "UNABLE_TO_LOCK_ROW",
            (),
        ),
        ("something went wrong", "UNKNOWN", ()),
        ("X:a:FirstName, LastName --", "X", ("FirstName", "LastName")),
    ],
)
def test_parse_error_text(text: str, code: str, fields: tuple[str, ...]) -> None:
    assert parse_error_text(text) == (code, fields)

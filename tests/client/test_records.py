"""Per-record error elements and Salesforce's CODE:message:fields -- format."""

import pytest

from hubload.client import RecordError, parse_error_text


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


def test_element_spellings() -> None:
    a = RecordError.from_element(
        {
            "recordNumber": 3,
            "error": "UNABLE_TO_LOCK_ROW:busy:--",
            "record": {"Email": "a@b.c", "N": None},
        }
    )
    assert a.record_number == 3 and a.transient and a.record == {"Email": "a@b.c", "N": ""}
    b = RecordError.from_element({"lineNumber": "4", "message": "DUPLICATE_VALUE:dup:--"})
    assert b.record_number == 4 and b.code == "DUPLICATE_VALUE" and not b.transient
    c = RecordError.from_element({})
    assert c.record_number is None and c.code == "UNKNOWN_ERROR"

"""Opaque cursors of the Salesforce face: the job lists' `queryLocator` and query results'
`Sforce-Locator`. Each names its scope, so one cannot be used for the other."""

from __future__ import annotations

import base64
import binascii

from sandbox.exceptions import ApiError


def make_locator(scope: str, position: int) -> str:
    """The locator of what comes after `position` in `scope` (a job list or one job)."""
    return base64.urlsafe_b64encode(f"{scope}:{position}".encode()).decode().rstrip("=")


def read_locator(token: str, scope: str) -> int:
    """The position a locator of `scope` continues after.

    Raises:
        ApiError: 400 INVALID_QUERY_LOCATOR for a locator not handed out for `scope`.
    """
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, _, position = text.rpartition(":")
        after = int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid(token) from exc
    if owner != scope or after < 0:
        raise _invalid(token)
    return after


def _invalid(token: str) -> ApiError:
    return ApiError(400, f"invalid query locator: {token}", error_code="INVALID_QUERY_LOCATOR")

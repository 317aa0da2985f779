"""HTTP and transport failures become the right hubload error (MockTransport: mapping only)."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from hubload.errors import (
    ApiError,
    AuthError,
    FatalApiError,
    NotFoundError,
    RetriableError,
)
from hubload.http import RetryPolicy
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.open_connectors.client import BulkClient

SECRET = "s3cr3t-user-value"


def client_for(handler: Callable[[httpx.Request], httpx.Response], attempts: int = 1) -> BulkClient:
    creds = Credentials(user_secret=SecretStr(SECRET), element_token=SecretStr("el-tok"))
    return BulkClient.connect(
        "http://target.test/elements/api-v2",
        creds,
        "helpdesk",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=attempts, base_delay=0.0),
    )


def envelope(
    status: int, message: str, **headers: str
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            json={"message": message, "requestId": "req-42", "providerMessage": "sf"},
            headers=headers,
        )

    return handler


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, FatalApiError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (405, FatalApiError),
        (409, FatalApiError),
        (413, FatalApiError),
        (415, FatalApiError),
        (429, RetriableError),
        (500, RetriableError),
        (502, RetriableError),
        (503, RetriableError),
    ],
)
def test_status_codes_map_to_error_kinds(status: int, kind: type[ApiError]) -> None:
    with client_for(envelope(status, "the api says no")) as client, pytest.raises(kind) as info:
        client.list_objects()
    err = info.value
    assert type(err) is kind
    assert err.status_code == status
    assert err.message == "the api says no"
    assert err.request_id == "req-42"
    assert err.provider_message == "sf"
    assert "the api says no" in str(err) and "req-42" in str(err)
    assert SECRET not in str(err) and SECRET not in repr(err.args)


@pytest.mark.parametrize(
    ("status", "unknown"), [(429, False), (500, False), (503, False), (502, True), (504, True)]
)
def test_gateway_errors_leave_the_outcome_unknown(status: int, unknown: bool) -> None:
    with client_for(envelope(status, "x")) as client, pytest.raises(RetriableError) as info:
        client.list_objects()
    assert info.value.outcome_unknown is unknown


def test_retry_after_seconds_and_date() -> None:
    with (
        client_for(envelope(429, "slow down", **{"Retry-After": "7"})) as client,
        pytest.raises(RetriableError) as info,
    ):
        client.status("1")
    assert info.value.retry_after == 7.0
    with (
        client_for(
            envelope(503, "busy", **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        ) as client,
        pytest.raises(RetriableError) as info,
    ):
        client.status("1")
    assert info.value.retry_after == 0.0  # a date in the past means "now"


def test_connection_errors_are_retriable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with client_for(refuse) as client, pytest.raises(RetriableError) as info:
        client.list_objects()
    assert info.value.status_code is None
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_timeouts_are_retriable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    with client_for(slow) as client, pytest.raises(RetriableError, match="timed out"):
        client.status("5")


def test_non_json_error_body_keeps_text() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            502, text="<html>Bad gateway</html>", headers={"Elements-Request-Id": "r9"}
        )

    with client_for(html) as client, pytest.raises(RetriableError) as info:
        client.list_objects()
    assert "Bad gateway" in info.value.message and info.value.request_id == "r9"


def test_reads_retry_then_succeed_but_uploads_are_sent_once(tmp_path: Path) -> None:
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) < 3:
            return httpx.Response(503, json={"message": "busy"})
        return httpx.Response(200, json=["Contact"])

    with client_for(flaky, attempts=4) as client:
        assert client.list_objects() == ["Contact"]
    assert calls == ["GET", "GET", "GET"]

    path = tmp_path / "x.csv"
    path.write_text("LastName\nA\n")
    calls.clear()
    with client_for(flaky, attempts=4) as client, pytest.raises(RetriableError):
        client.upload("Contact", path)
    assert calls == ["POST"]


def test_authorization_header_is_sent_but_not_stored_in_defaults() -> None:
    seen: list[str] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json=[])

    with client_for(capture) as client:
        client.list_objects()
        assert "authorization" not in {k.lower() for k in client.http.headers}
    assert seen == [f"User {SECRET}, Element el-tok"]

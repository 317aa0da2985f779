"""The shared storage over fsspec: a folder, and S3 (moto's server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hubload.errors import StorageError
from hubload.storage import Storage, fetch, fetch_tree, is_url, link, local_copy, read_bytes
from tests.s3 import S3Endpoint, s3_endpoint


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Endpoint]:
    with s3_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(params=["folder", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "folder":
        return Storage(str(tmp_path / "shared"))
    s3: S3Endpoint = request.getfixturevalue("s3")
    return Storage(s3.url(f"t/{tmp_path.name}"), s3.options)


def test_urls_and_paths_are_told_apart() -> None:
    assert is_url("s3://bucket/x") and is_url("file:///tmp/x") and is_url("az://c/x")
    assert not is_url("/tmp/x") and not is_url("C:/x") and not is_url("data.csv")


def test_an_input_is_shared_once_per_content_and_fetched_back(
    storage: Storage, tmp_path: Path
) -> None:
    local = tmp_path / "contacts.csv"
    local.write_text("Email\na@example.com\n")
    where = storage.share_input(local, "abc123")
    assert where == storage.location("inputs", "abc123", "contacts.csv")
    local.write_text("changed, but the same content hash is claimed: not copied again\n")
    assert storage.share_input(local, "abc123") == where
    copy = local_copy(where, tmp_path / "cache", storage.options)
    assert copy.name == "contacts.csv" and copy.read_text() == "Email\na@example.com\n"
    if not is_url(where):
        assert copy == Path(where)  # a path on a shared mount is read where it is


def test_a_run_folder_is_published_and_read_back_elsewhere(
    storage: Storage, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "chunks").mkdir(parents=True)
    (run_dir / "failed.csv").write_text("line,error\n3,LOCKED\n")
    (run_dir / "chunks" / "chunk-00001.csv").write_text("Email\nx@example.com\n")
    where = storage.publish_run(run_dir, "run-1")
    assert read_bytes(f"{where}/failed.csv", storage.options) == b"line,error\n3,LOCKED\n"
    with pytest.raises(FileNotFoundError):
        read_bytes(f"{where}/success.csv", storage.options)
    copy = fetch_tree(where, tmp_path / "elsewhere", storage.options)
    assert (copy / "chunks" / "chunk-00001.csv").read_text() == "Email\nx@example.com\n"
    assert (copy / "failed.csv").read_text() == "line,error\n3,LOCKED\n"


def test_s3_reports_get_links_a_browser_can_open(s3: S3Endpoint, tmp_path: Path) -> None:
    storage = Storage(s3.url("links"), s3.options)
    local = tmp_path / "failed.csv"
    local.write_text("line,error\n")
    where = storage.put(local, "runs", "r", "failed.csv")
    url = link(where, storage.options)
    assert url is not None and url.startswith(s3.endpoint_url) and "Signature" in url
    assert httpx.get(url).text == "line,error\n"
    assert link(str(local)) == local.resolve().as_uri()


def test_an_unreachable_or_missing_storage_is_one_line(tmp_path: Path) -> None:
    dead = Storage(
        "s3://nowhere/x",
        {
            "endpoint_url": "http://127.0.0.1:9",
            "key": "k",
            "secret": "s",
            "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1},
        },
    )
    with pytest.raises(StorageError, match=r"cannot reach s3://nowhere/x/inputs") as caught:
        dead.share_input(tmp_path, "abc")
    assert "\n" not in str(caught.value)
    with pytest.raises(StorageError, match="no such file in the storage"):
        fetch(f"file://{tmp_path}/missing.csv", tmp_path / "copy.csv")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the storage's folder should be")
    with pytest.raises(StorageError, match="cannot write"):
        Storage(str(blocked)).put(blocked, "inputs", "x.csv")

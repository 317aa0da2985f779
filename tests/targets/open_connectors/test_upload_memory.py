"""A 100 MB upload streams from disk: the client's peak memory does not grow with the file."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SandboxFactory

SCRIPT = Path(__file__).with_name("upload_memory.py")
ROW = "Smith{i},Norm,norm{i}@acme.com,Design Engineer,(333) 333-1234\n"


def make_file(path: Path, size: int) -> int:
    rows = 0
    with path.open("w") as out:
        out.write("LastName,FirstName,Email,Title,Phone\n")
        while out.tell() < size:
            out.writelines(ROW.format(i=rows + k) for k in range(10_000))
            rows += 10_000
    return rows


def peak_rss_kib(sandbox_url: str, auth: str, path: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), sandbox_url, auth, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    count, rss = done.stdout.split()
    return int(count), int(rss)


@pytest.mark.slow
def test_100_mb_upload_does_not_grow_client_memory(
    start_sb: SandboxFactory, tmp_path: Path
) -> None:
    sandbox = start_sb(max_upload_bytes=200 * 1024 * 1024)
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small_rows = make_file(small, 1024 * 1024)
    big_rows = make_file(big, 100 * 1024 * 1024)
    assert big.stat().st_size >= 100 * 1024 * 1024
    small_count, small_rss = peak_rss_kib(sandbox.base_url, sandbox.authorization, small)
    big_count, big_rss = peak_rss_kib(sandbox.base_url, sandbox.authorization, big)
    assert (small_count, big_count) == (small_rows, big_rows)
    # The same interpreter and imports: a streamed upload adds buffers, not the file (100 MB).
    assert big_rss - small_rss < 20 * 1024, (small_rss, big_rss)

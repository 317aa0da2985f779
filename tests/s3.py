"""An S3-compatible endpoint on loopback for tests: moto's standalone server, in a thread, on a
free port, with a bucket made; and the fsspec options (or environment) that reach it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Endpoint:
    """A running endpoint and its bucket."""

    endpoint_url: str
    bucket: str

    def url(self, prefix: str) -> str:
        """The ``s3://`` URL of a prefix in the bucket."""
        return f"s3://{self.bucket}/{prefix.strip('/')}"

    @property
    def options(self) -> dict[str, object]:
        """s3fs options that reach it."""
        return {
            "endpoint_url": self.endpoint_url,
            "key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "secret": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }

    @property
    def env(self) -> dict[str, str]:
        """The environment a process needs to reach it through the AWS credential chain."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def s3_endpoint(bucket: str = "hubload") -> Iterator[S3Endpoint]:
    """Start moto's server on loopback with ``bucket`` made; stop it afterwards."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = S3Endpoint(f"http://127.0.0.1:{port}", bucket)
        boto3.client(
            "s3",
            endpoint_url=endpoint.endpoint_url,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()

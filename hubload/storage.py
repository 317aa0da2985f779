"""The shared storage: where runs keep what another machine needs (their input, their reports,
their staged chunks), named by one fsspec URL (a folder on a shared mount, ``s3://``, ``gs://``,
``az://``...). A worker's own disk is a cache of it, never the truth.

Layout under the storage's root::

    inputs/<sha256>/<file name>      an input file, once per content
    runs/<run id>/rejected.csv       a run's reports, summary and staged chunks
    runs/<run id>/failed.csv ...
    runs/<run id>/chunks/...
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec
from fsspec.core import url_to_fs
from fsspec.spec import AbstractFileSystem

from hubload.errors import StorageError

LINK_SECONDS = 7 * 24 * 3600  # the longest a presigned S3 link may live
# Each fsspec backend raises its own errors (botocore's, Azure's, Google's): at this one
# boundary every failure of the storage becomes a StorageError.
FS_ERRORS = (Exception,)


def is_url(location: str) -> bool:
    """Whether ``location`` names a storage URL (``s3://...``) rather than a local path."""
    protocol, sep, _ = location.partition("://")
    return bool(sep) and protocol.isidentifier() and len(protocol) > 1


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


@dataclass(frozen=True)
class Storage:
    """One storage root (``url``) with the fsspec options that reach it (an endpoint, a
    profile); the credentials come from the filesystem's own chain unless given here."""

    url: str
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", self.url.rstrip("/") or "/")

    @property
    def fs(self) -> AbstractFileSystem:
        """The fsspec filesystem of the root (made once per process and options)."""
        fs, _ = url_to_fs(self.url, **self.options)
        return fs

    def location(self, *parts: str) -> str:
        """The URL (or path) of ``parts`` under the root."""
        return "/".join([self.url, *parts])

    def _path(self, location: str) -> str:
        _, path = url_to_fs(location, **self.options)
        return str(path)

    def put(self, local: Path, *parts: str) -> str:
        """Copy a local file to ``parts`` under the root; its location.

        Raises:
            StorageError: the storage cannot be written.
        """
        target = self.location(*parts)
        try:
            self.fs.makedirs(self._path(target.rsplit("/", 1)[0]), exist_ok=True)
            self.fs.put_file(str(local), self._path(target))
        except FS_ERRORS as exc:
            raise StorageError(f"cannot write {target}: {_why(exc)}") from exc
        return target

    def put_tree(self, local_dir: Path, *parts: str) -> str:
        """Copy every file under ``local_dir`` to ``parts`` under the root; its location.

        Raises:
            StorageError: the storage cannot be written.
        """
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            self.put(path, *parts, *path.relative_to(local_dir).parts)
        return self.location(*parts)

    def exists(self, *parts: str) -> bool:
        """Whether ``parts`` exists under the root.

        Raises:
            StorageError: the storage cannot be reached.
        """
        target = self.location(*parts)
        try:
            return bool(self.fs.exists(self._path(target)))
        except FS_ERRORS as exc:
            raise StorageError(f"cannot reach {target}: {_why(exc)}") from exc

    def share_input(self, local: Path, sha256: str) -> str:
        """The input file's location in the storage (``inputs/<sha>/<name>``), copied there
        unless that content is there already.

        Raises:
            StorageError: the storage cannot be written.
        """
        if self.exists("inputs", sha256, local.name):
            return self.location("inputs", sha256, local.name)
        return self.put(local, "inputs", sha256, local.name)

    def publish_run(self, run_dir: Path, run_id: str) -> str:
        """Copy a run's folder (reports, summary, chunks) to ``runs/<run id>``; its location.

        Raises:
            StorageError: the storage cannot be written.
        """
        return self.put_tree(run_dir, "runs", run_id)


def fetch(location: str, local: Path, options: dict[str, Any] | None = None) -> Path:
    """A local copy of the file at ``location`` (a URL, or a path returned as it is); an
    existing copy of the same size is reused.

    Raises:
        StorageError: the file cannot be read from the storage.
    """
    if not is_url(location):
        return Path(location).expanduser()
    try:
        fs, path = url_to_fs(location, **(options or {}))
        size = fs.size(path)
        if local.is_file() and local.stat().st_size == size:
            return local
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(local.name + ".part")
        fs.get_file(path, str(partial))
        partial.replace(local)
    except FileNotFoundError as exc:
        raise StorageError(f"{location}: no such file in the storage") from exc
    except FS_ERRORS as exc:
        raise StorageError(f"cannot read {location}: {_why(exc)}") from exc
    return local


def fetch_tree(location: str, local_dir: Path, options: dict[str, Any] | None = None) -> Path:
    """A local copy of the folder at ``location`` (a path is returned as it is).

    Raises:
        StorageError: the folder cannot be read from the storage.
    """
    if not is_url(location):
        return Path(location).expanduser()
    try:
        fs, root = url_to_fs(location, **(options or {}))
        found = fs.find(root)
    except FS_ERRORS as exc:
        raise StorageError(f"cannot read {location}: {_why(exc)}") from exc
    if not found:
        raise StorageError(f"{location}: nothing there in the storage")
    protocol = location.split("://", 1)[0]
    for path in found:
        relative = str(path)[len(str(root)) :].lstrip("/")
        fetch(f"{protocol}://{path}", local_dir / relative, options)
    return local_dir


def read_bytes(location: str, options: dict[str, Any] | None = None) -> bytes:
    """The bytes of a file at ``location`` (a URL or a local path).

    Raises:
        FileNotFoundError: no such file.
        StorageError: the storage cannot be read.
    """
    try:
        with fsspec.open(location, "rb", **(options or {})) as handle:
            data: bytes = handle.read()
            return data
    except FileNotFoundError:
        raise
    except FS_ERRORS as exc:
        raise StorageError(f"cannot read {location}: {_why(exc)}") from exc


def link(location: str, options: dict[str, Any] | None = None) -> str | None:
    """A link a browser can open for a stored file: a presigned URL where the storage has
    them (S3, GCS), ``file://`` for a local path; ``None`` otherwise."""
    if not is_url(location):
        return Path(location).expanduser().resolve().as_uri()
    try:
        fs, path = url_to_fs(location, **(options or {}))
        return str(fs.sign(path, expiration=LINK_SECONDS))
    except FS_ERRORS:
        return None


def cache_name(location: str) -> str:
    """A short, stable folder name for a location in the local cache."""
    return hashlib.sha256(location.encode()).hexdigest()[:16]


def local_copy(location: str, cache: Path, options: dict[str, Any] | None = None) -> Path:
    """A local path for ``location``: a path as it is, a URL fetched into ``cache`` (under a
    folder named for the URL, keeping the file's name).

    Raises:
        StorageError: the file cannot be read from the storage.
    """
    if not is_url(location):
        return Path(location).expanduser()
    name = location.rstrip("/").rsplit("/", 1)[-1]
    return fetch(location, cache / cache_name(location) / name, options)

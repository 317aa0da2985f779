"""The shared storage, as the settings name it: an fsspec URL (``HUBLOAD_STORAGE``) or a
Prefect filesystem block (``HUBLOAD_STORAGE_BLOCK``: a ``remote-file-system`` or
``local-file-system`` block, whose base path and settings say where and how)."""

from __future__ import annotations

from typing import Any

from prefect.filesystems import LocalFileSystem, RemoteFileSystem

from hubload.errors import ConfigError
from hubload.settings import Settings
from hubload.storage import Storage

BLOCK_TYPES: dict[str, type[Any]] = {
    "remote-file-system": RemoteFileSystem,
    "local-file-system": LocalFileSystem,
}


def shared_storage(settings: Settings | None = None) -> Storage | None:
    """The configured shared storage, or ``None`` when runs keep everything at home.

    Raises:
        ConfigError: the named block does not exist or is not a filesystem block.
    """
    settings = settings or Settings()
    if not settings.storage_block:
        return settings.shared_storage()
    kind, _, name = settings.storage_block.rpartition("/")
    for slug, block_type in BLOCK_TYPES.items():
        if kind and kind != slug:
            continue
        try:
            block = block_type.load(name)
        except ValueError:
            continue
        options = dict(getattr(block, "settings", None) or {})
        return Storage(str(block.basepath), options)
    raise ConfigError(
        f"HUBLOAD_STORAGE_BLOCK {settings.storage_block!r}: no remote-file-system or "
        "local-file-system block by that name (prefect block ls)"
    )


def save_storage_block(name: str, storage: Storage) -> str:
    """Save the storage as a ``remote-file-system`` block (for Prefect's own results too:
    ``PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK=remote-file-system/<name>``); its slug."""
    RemoteFileSystem(basepath=storage.url, settings=storage.options).save(name, overwrite=True)
    return f"remote-file-system/{name}"

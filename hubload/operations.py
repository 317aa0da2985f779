"""What a load does to the target's records: the closed set of operations and their rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hubload.errors import ConfigError


class OperationKind(StrEnum):
    """Insert new records; upsert on an external id; update or delete by record ``Id``."""

    INSERT = "insert"
    UPSERT = "upsert"
    UPDATE = "update"
    DELETE = "delete"
    HARD_DELETE = "hardDelete"

    @property
    def by_id(self) -> bool:
        """Whether rows name existing records by their ``Id``."""
        return self in {OperationKind.UPDATE, OperationKind.DELETE, OperationKind.HARD_DELETE}

    @property
    def removes(self) -> bool:
        """Whether the operation removes records (its upload is exactly one ``Id`` column)."""
        return self in {OperationKind.DELETE, OperationKind.HARD_DELETE}

    @property
    def creates(self) -> bool:
        """Whether the operation may create records (so required fields must be set)."""
        return self in {OperationKind.INSERT, OperationKind.UPSERT}


ID_FIELD = "Id"


@dataclass(frozen=True)
class Operation:
    """One load's operation: the kind, the upsert key, and whether to ask for serial mode."""

    kind: OperationKind = OperationKind.INSERT
    external_id: str | None = None
    serial: bool = False

    def __post_init__(self) -> None:
        if (self.kind is OperationKind.UPSERT) != (self.external_id is not None):
            raise ConfigError(
                "an upsert needs an external id field (--external-id), and only an upsert takes one"
            )

    @classmethod
    def of(cls, kind: str, external_id: str | None = None, *, serial: bool = False) -> Operation:
        """The operation named ``kind`` (``insert``, ``upsert``, ``update``, ``delete``,
        ``hardDelete``; ``hard_delete`` as Data Loader spells it).

        Raises:
            ConfigError: an unknown kind, or an external id given to anything but an upsert.
        """
        wanted = {k.value.lower(): k for k in OperationKind}
        found = wanted.get(kind.replace("_", "").lower())
        if found is None:
            choices = ", ".join(k.value for k in OperationKind)
            raise ConfigError(f"unknown operation {kind!r}: choose one of {choices}")
        return cls(kind=found, external_id=external_id or None, serial=serial)

    @property
    def resend_is_safe(self) -> bool:
        """Whether sending a chunk twice is harmless: an upsert or an update sets the same values
        again. An insert would load its rows twice; a delete sent twice fails its rows the second
        time, hiding that they were deleted."""
        return self.kind in {OperationKind.UPSERT, OperationKind.UPDATE}

"""One Data Loader command-line job (a ProcessRunner bean): its settings, typed, secrets never kept,
and the reasons it cannot be carried over to a CSV loader as it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PureWindowsPath

from schemas.dataloader.conf_keys import is_known


class Operation(StrEnum):
    """``process.operation``, normalised (Data Loader spells them insert ... hard_delete)."""

    INSERT = "insert"
    UPDATE = "update"
    UPSERT = "upsert"
    DELETE = "delete"
    HARD_DELETE = "hardDelete"
    UNDELETE = "undelete"
    EXTRACT = "extract"
    EXTRACT_ALL = "extract_all"

    @classmethod
    def parse(cls, text: str) -> Operation | None:
        """The operation a value names, in any case, with or without ``_`` (``hard_delete``,
        ``hardDelete``); None for anything else."""
        wanted = text.strip().replace("_", "").lower()
        return next((op for op in cls if op.value.replace("_", "").lower() == wanted), None)

    @property
    def is_extract(self) -> bool:
        """Reads from Salesforce instead of loading into it."""
        return self in {Operation.EXTRACT, Operation.EXTRACT_ALL}


class DataAccessType(StrEnum):
    """``dataAccess.type``: a CSV file or a database (JDBC, through a bean), read or written."""

    CSV_READ = "csvRead"
    CSV_WRITE = "csvWrite"
    DATABASE_READ = "databaseRead"
    DATABASE_WRITE = "databaseWrite"

    @classmethod
    def parse(cls, text: str) -> DataAccessType | None:
        """The type a value names, in any case; None for anything else."""
        wanted = text.strip().lower()
        return next((kind for kind in cls if kind.value.lower() == wanted), None)


class ReasonCode(StrEnum):
    """Why (part of) a job cannot be carried over to a CSV loader as it stands."""

    EXTRACT = "extract"
    """The job extracts from Salesforce: not a load."""
    UNSUPPORTED_OPERATION = "unsupported-operation"
    """``undelete``, or an operation Data Loader does not know."""
    DATABASE_SOURCE = "database-source"
    """The job reads (or writes) a database through a JDBC bean, not a CSV file."""
    MISSING_SETTING = "missing-setting"
    """The object, operation, mapping or data source is not in the job (config.properties?)."""
    PASSWORD = "password"  # noqa: S105 - a reason's code, not a secret
    """A password is set (encrypted with a key file): ask for a credential instead."""
    KEY_FILE = "key-file"
    """An encryption key file is named: it has no use outside Data Loader."""
    SECRET = "secret"  # noqa: S105 - a reason's code, not a secret
    """Another credential (proxy password, OAuth token or secret, session id)."""
    PLACEHOLDER = "placeholder"
    """A ``${...}`` value that Spring substitutes when Data Loader runs: give the real value."""
    BAD_VALUE = "bad-value"
    """A number or a true/false switch that is neither."""
    UNKNOWN_KEY = "unknown-key"
    """A key Data Loader does not know (a typo, or a newer version's)."""
    NOT_CARRIED = "not-carried"
    """A setting Data Loader knows that has no counterpart here."""


BLOCKING = frozenset(
    {
        ReasonCode.EXTRACT,
        ReasonCode.UNSUPPORTED_OPERATION,
        ReasonCode.DATABASE_SOURCE,
        ReasonCode.MISSING_SETTING,
    }
)
"""Reasons that stop the job being run as a CSV load at all (the others need a word or a
credential from the user, or lose an option)."""

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Setting:
    """One ``configOverrideMap`` entry (or ``config.properties`` line). A secret's value is
    never kept: ``value`` is None and ``secret`` True."""

    key: str
    value: str | None
    line: int
    source: str
    secret: bool = False

    @property
    def has_placeholder(self) -> bool:
        """The value holds a ``${...}`` that Spring would substitute."""
        return self.value is not None and bool(_PLACEHOLDER.search(self.value))


@dataclass(frozen=True)
class Reason:
    """One thing that does not carry over, naming its key and where it was set."""

    code: ReasonCode
    key: str | None
    line: int | None
    message: str
    source: str = ""
    """The file the line is in: the process-conf.xml, or the config.properties under it."""

    @property
    def blocking(self) -> bool:
        """Whether it stops the job running as a CSV load."""
        return self.code in BLOCKING


@dataclass(frozen=True)
class FileRef:
    """A path as Data Loader's job wrote it (often ``c:\\dataloader\\...``), and its base name."""

    raw: str

    @property
    def name(self) -> str:
        """The last part, for Windows and POSIX separators alike."""
        return PureWindowsPath(self.raw).name


@dataclass(frozen=True)
class DataSource:
    """Where the job reads (or writes) its rows."""

    type: DataAccessType | None
    type_raw: str | None
    name: str | None
    """The CSV path for ``csvRead``/``csvWrite``; the database bean's name otherwise."""

    @property
    def csv_path(self) -> FileRef | None:
        """The CSV file a load reads, if it reads one."""
        if self.type is DataAccessType.CSV_READ and self.name:
            return FileRef(self.name)
        return None


@dataclass(frozen=True)
class Job:
    """One ProcessRunner bean of a process-conf.xml, its settings typed."""

    id: str
    name: str | None
    description: str
    line: int
    path: str
    settings: tuple[Setting, ...]

    def setting(self, key: str) -> Setting | None:
        """The setting of a key (the job's own over ``config.properties``)."""
        return next((s for s in reversed(self.settings) if s.key == key), None)

    def text(self, key: str) -> str | None:
        """A setting's value, stripped; None when absent, empty or secret."""
        found = self.setting(key)
        value = found.value.strip() if found is not None and found.value is not None else ""
        return value or None

    def flag(self, key: str) -> bool | None:
        """A true/false setting (any case); None when absent or neither."""
        value = self.text(key)
        return {"true": True, "false": False}.get(value.lower()) if value else None

    def number(self, key: str) -> int | None:
        """An integer setting; None when absent or not an integer."""
        value = self.text(key)
        return int(value) if value and re.fullmatch(r"[+-]?\d+", value) else None

    @property
    def object(self) -> str | None:
        """``sfdc.entity``."""
        return self.text("sfdc.entity")

    @property
    def operation(self) -> Operation | None:
        """``process.operation``, normalised."""
        value = self.text("process.operation")
        return Operation.parse(value) if value else None

    @property
    def external_id(self) -> str | None:
        """``sfdc.externalIdField``, an upsert's key."""
        return self.text("sfdc.externalIdField")

    @property
    def mapping_file(self) -> FileRef | None:
        """``process.mappingFile``, raw (``.name`` gives the base name)."""
        value = self.text("process.mappingFile")
        return FileRef(value) if value else None

    @property
    def data_source(self) -> DataSource | None:
        """``dataAccess.type`` and ``dataAccess.name``."""
        type_raw, name = self.text("dataAccess.type"), self.text("dataAccess.name")
        if type_raw is None and name is None:
            return None
        kind = DataAccessType.parse(type_raw) if type_raw else None
        return DataSource(kind, type_raw, name)

    @property
    def encoding(self) -> str | None:
        """The CSV's encoding: UTF-8 when ``dataAccess.readUTF8`` is true, else
        ``dataAccess.readCharset``; None means Data Loader's platform default."""
        if self.flag("dataAccess.readUTF8"):
            return "UTF-8"
        return self.text("dataAccess.readCharset")

    @property
    def batch_size(self) -> int | None:
        """``sfdc.loadBatchSize``."""
        return self.number("sfdc.loadBatchSize")

    @property
    def serial_mode(self) -> bool | None:
        """``sfdc.bulkApiSerialMode``."""
        return self.flag("sfdc.bulkApiSerialMode")

    @property
    def use_bulk_api(self) -> bool | None:
        """``sfdc.useBulkApi``."""
        return self.flag("sfdc.useBulkApi")

    @property
    def use_bulk_v2_api(self) -> bool | None:
        """``sfdc.useBulkV2Api``."""
        return self.flag("sfdc.useBulkV2Api")

    @property
    def insert_nulls(self) -> bool | None:
        """``sfdc.insertNulls``: empty cells set fields to null."""
        return self.flag("sfdc.insertNulls")

    @property
    def timezone(self) -> str | None:
        """``sfdc.timezone``, for date-times without an offset."""
        return self.text("sfdc.timezone")

    @property
    def european_dates(self) -> bool | None:
        """``process.useEuropeanDates``: dd/MM/yyyy."""
        return self.flag("process.useEuropeanDates")

    @property
    def truncate_fields(self) -> bool | None:
        """``sfdc.truncateFields``."""
        return self.flag("sfdc.truncateFields")

    @property
    def start_row(self) -> int | None:
        """``process.loadRowToStartAt``: rows skipped on a restart."""
        return self.number("process.loadRowToStartAt")

    @property
    def endpoint(self) -> str | None:
        """``sfdc.endpoint``, the login host."""
        return self.text("sfdc.endpoint")

    @property
    def username(self) -> str | None:
        """``sfdc.username``."""
        return self.text("sfdc.username")

    @property
    def has_password(self) -> bool:
        """A password is set (its value is never kept)."""
        found = self.setting("sfdc.password")
        return found is not None and found.secret

    @property
    def has_key_file(self) -> bool:
        """An encryption key file is named."""
        return self.text("process.encryptionKeyFile") is not None

    @property
    def success_path(self) -> FileRef | None:
        """``process.outputSuccess``."""
        value = self.text("process.outputSuccess")
        return FileRef(value) if value else None

    @property
    def error_path(self) -> FileRef | None:
        """``process.outputError``."""
        value = self.text("process.outputError")
        return FileRef(value) if value else None

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        """Keys Data Loader does not know."""
        return tuple(s.key for s in self.settings if not is_known(s.key))

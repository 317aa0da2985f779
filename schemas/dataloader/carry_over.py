"""What of a Data Loader job cannot be carried over to a CSV loader, as ``Reason``s."""

from __future__ import annotations

from dataclasses import replace

from schemas.dataloader.conf_keys import is_known
from schemas.dataloader.job import (
    DataAccessType,
    Job,
    Operation,
    Reason,
    ReasonCode,
    Setting,
)

FLAG_KEYS = frozenset(
    {
        "dataAccess.readUTF8",
        "sfdc.bulkApiSerialMode",
        "sfdc.useBulkApi",
        "sfdc.useBulkV2Api",
        "sfdc.insertNulls",
        "process.useEuropeanDates",
        "sfdc.truncateFields",
        "datefield.usegmt",
    }
)
NUMBER_KEYS = frozenset({"sfdc.loadBatchSize", "process.loadRowToStartAt"})
# Keys a typed accessor of ``Job`` reads: carried over (or refused by a reason of their own).
CARRIED_KEYS = (
    FLAG_KEYS
    | NUMBER_KEYS
    | {
        "sfdc.entity",
        "process.operation",
        "sfdc.externalIdField",
        "process.mappingFile",
        "dataAccess.type",
        "dataAccess.name",
        "dataAccess.readCharset",
        "sfdc.timezone",
        "sfdc.endpoint",
        "sfdc.username",
        "sfdc.password",
        "process.encryptionKeyFile",
        "process.outputSuccess",
        "process.outputError",
    }
)
_DATABASE = {DataAccessType.DATABASE_READ, DataAccessType.DATABASE_WRITE}


def carry_over_reasons(job: Job) -> tuple[Reason, ...]:
    """Every reason the job, as written, cannot run as a CSV load: blocking ones (an extract, a
    database, a missing object) first, then those needing a word from the user."""
    reasons = _operation(job) + _source(job)
    if job.object is None:
        reasons.append(_missing(job, "sfdc.entity", "the object"))
    if job.operation is Operation.UPSERT and job.external_id is None:
        reasons.append(_missing(job, "sfdc.externalIdField", "the upsert's external id field"))
    reasons = [r if r.source else replace(r, source=job.path) for r in reasons]
    for setting in job.settings:
        reasons += _setting_reasons(setting)
    return tuple(sorted(reasons, key=lambda r: not r.blocking))


def _operation(job: Job) -> list[Reason]:
    key = "process.operation"
    raw, operation = job.text(key), job.operation
    if raw is None:
        return [_missing(job, key, "the operation")]
    if operation is None:
        message = f"operation {raw!r} is not one Data Loader knows"
        return [_at(job, key, ReasonCode.UNSUPPORTED_OPERATION, message)]
    if operation.is_extract:
        soql = " with sfdc.extractionSOQL" if job.text("sfdc.extractionSOQL") else ""
        message = f"job {job.id} is an {operation} from Salesforce{soql}, not a load"
        return [_at(job, key, ReasonCode.EXTRACT, message)]
    if operation is Operation.UNDELETE:
        message = f"job {job.id} undeletes records, which a bulk CSV load cannot do"
        return [_at(job, key, ReasonCode.UNSUPPORTED_OPERATION, message)]
    return []


def _at(job: Job, key: str, code: ReasonCode, message: str) -> Reason:
    """A reason about a key, where that key is set."""
    found = job.setting(key)
    if found is None:
        return Reason(code, key, job.line, message, job.path)
    return Reason(code, key, found.line, message, found.source)


def _source(job: Job) -> list[Reason]:
    source = job.data_source
    key = "dataAccess.type" if job.setting("dataAccess.type") else "dataAccess.name"
    if source is not None and source.type in _DATABASE:
        message = (
            f"job {job.id} {'reads' if source.type is DataAccessType.DATABASE_READ else 'writes'}"
            f" a database (bean {source.name or '?'}), not a CSV file: export it to CSV first"
        )
        return [_at(job, key, ReasonCode.DATABASE_SOURCE, message)]
    if job.operation is None or job.operation.is_extract:
        return []
    if source is None or source.csv_path is None:
        what = (
            f"dataAccess.type is {source.type_raw!r}"
            if source and source.type_raw
            else ("no dataAccess.type csvRead with a dataAccess.name")
        )
        message = f"job {job.id} names no CSV file to load ({what})"
        return [_at(job, key, ReasonCode.MISSING_SETTING, message)]
    return []


def _missing(job: Job, key: str, what: str) -> Reason:
    message = (
        f"job {job.id} does not set {what} ({key}); Data Loader may take it from "
        "config.properties beside process-conf.xml: give it"
    )
    return Reason(ReasonCode.MISSING_SETTING, key, job.line, message, job.path)


def _setting_reasons(setting: Setting) -> list[Reason]:
    key, line = setting.key, setting.line
    found: list[Reason] = []

    def add(code: ReasonCode, message: str) -> None:
        found.append(Reason(code, key, line, message, setting.source))

    if setting.secret:
        if key == "sfdc.password":
            add(ReasonCode.PASSWORD, "a password is set (encrypted): give a credential instead")
        else:
            add(ReasonCode.SECRET, f"{key} holds a credential: not carried over")
    elif key == "process.encryptionKeyFile" and setting.value:
        add(ReasonCode.KEY_FILE, "an encryption key file is named: it is of no use here")
    if setting.has_placeholder and key in CARRIED_KEYS:
        add(
            ReasonCode.PLACEHOLDER,
            f"{key} = {setting.value!r}: Spring fills ${{...}} in at run time; give the value",
        )
    value = (setting.value or "").strip()
    if key in FLAG_KEYS and value and value.lower() not in {"true", "false"}:
        add(ReasonCode.BAD_VALUE, f"{key} = {value!r} is neither true nor false")
    if key in NUMBER_KEYS and value and not value.lstrip("+-").isdigit():
        add(ReasonCode.BAD_VALUE, f"{key} = {value!r} is not a whole number")
    if not is_known(key):
        add(ReasonCode.UNKNOWN_KEY, f"{key} is not a Data Loader setting: ignored")
    elif key not in CARRIED_KEYS and not setting.secret:
        add(ReasonCode.NOT_CARRIED, f"{key} has no counterpart here: not carried over")
    return found

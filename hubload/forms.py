"""The load's options as people fill them in (the Prefect UI's run form): the common ones at the
top, the file's details and the advanced ones in two groups. Defaults, bounds, titles and
descriptions come from ``LoadSettings``: written once. A text left empty means "not given"
(so the form shows no "none" switch)."""

from __future__ import annotations

from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field

from hubload.options import DateOrder, LoadRequest, LoadSettings


def form_field(name: str) -> Any:
    """The form's field for ``LoadSettings.<name>``: same title, description, default and
    bounds; an optional text defaults to "" (empty: not given)."""
    info = LoadSettings.model_fields[name]
    bounds: dict[str, Any] = {}
    for rule in info.metadata:
        for key in ("ge", "gt", "le", "lt"):
            if isinstance(rule, getattr(annotated_types, key.capitalize())):
                bounds[key] = getattr(rule, key)
    default = "" if info.default is None else info.default
    description = info.description or ""
    if info.default is None:
        description += " Leave empty for the default."
    return Field(default=default, title=info.title, description=description, **bounds)


class FileDetails(BaseModel):
    """How the file is written: delimiter, encoding, where to start, dates, empty cells."""

    model_config = ConfigDict(title="The file's details", extra="forbid")

    delimiter: str = form_field("delimiter")
    encoding: str = form_field("encoding")
    start_row: int = form_field("start_row")
    dates: DateOrder = form_field("dates")
    timezone: str = form_field("timezone")
    insert_nulls: bool = form_field("insert_nulls")
    truncate: bool = form_field("truncate")


class Advanced(BaseModel):
    """How the load runs: job sizes and concurrency, healing, waiting, settling."""

    model_config = ConfigDict(title="Advanced (the defaults suit most loads)", extra="forbid")

    chunk_size: int = form_field("chunk_size")
    concurrency: int = form_field("concurrency")
    serial: bool = form_field("serial")
    heal_rounds: int = form_field("heal_rounds")
    match_key: str = form_field("match_key")
    poll_budget_seconds: float = form_field("poll_budget_seconds")
    settle_seconds: float = form_field("settle_seconds")
    report_dir: str = form_field("report_dir")


def request_from_form(top: dict[str, Any], details: FileDetails, advanced: Advanced) -> LoadRequest:
    """The load's request from the form's values (an empty text: not given).

    Raises:
        ConfigError: a value does not fit (one line).
    """
    values = {**top, **details.model_dump(), **advanced.model_dump()}
    return LoadRequest.of(**{k: (None if v == "" else v) for k, v in values.items()})

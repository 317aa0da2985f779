"""A starting mapping from a file's header and an object's fields, matched as Data Loader's
auto-match does: the exact name, then the name ignoring case and punctuation, then the label."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from schemas.catalog import FieldSpec, ObjectSpec, WriteMode

_PUNCTUATION = re.compile(r"[^0-9a-z]+")


def _plain(name: str) -> str:
    return _PUNCTUATION.sub("", name.lower())


@dataclass
class AutoMapping:
    """Which column each field takes, how each was matched, and what found no partner."""

    object_name: str
    fields: dict[str, str] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    unmatched_columns: list[str] = field(default_factory=list)
    required_unmatched: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The mapping as YAML, with what was not matched in comments at the top."""
        lines = [f"# A starting mapping for {self.object_name}: check it before you load."]
        if self.unmatched_columns:
            lines.append(f"# Columns matched to no field: {', '.join(self.unmatched_columns)}")
        if self.required_unmatched:
            lines.append(
                f"# Required fields no column matched: {', '.join(self.required_unmatched)}"
            )
        body = {"object": self.object_name, "fields": dict(self.fields)}
        dumped = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)
        annotated = [
            f"{line}  # {self.how[key]}"
            if (key := line.strip().split(":")[0]) in self.how
            else line
            for line in dumped.splitlines()
        ]
        return "\n".join([*lines, *annotated]) + "\n"


def auto_map(header: list[str], target: ObjectSpec, mode: WriteMode = "create") -> AutoMapping:
    """Match each column to a field the load may set, each field at most once, in three passes:
    exact name, name ignoring case and punctuation (``first_name`` to ``FirstName``), label
    ignoring case and punctuation (``Mailing City`` to ``MailingCity``)."""
    settable = [f for f in target.fields.values() if f.writable(mode)]
    result = AutoMapping(object_name=target.name)
    passes: list[tuple[str, Callable[[str, FieldSpec], bool]]] = [
        ("exact name", lambda column, f: column == f.name),
        ("name, ignoring case and punctuation", lambda column, f: _plain(column) == _plain(f.name)),
        ("label", lambda column, f: bool(f.label) and _plain(column) == _plain(f.label)),
    ]
    taken: set[str] = set()
    for how, same in passes:
        for column in header:
            if column in taken:
                continue
            match = next(
                (f for f in settable if f.name not in result.fields and same(column, f)), None
            )
            if match is not None:
                result.fields[match.name] = column
                result.how[match.name] = f"matched by {how}"
                taken.add(column)
    position = {c: i for i, c in enumerate(header)}
    result.fields = dict(sorted(result.fields.items(), key=lambda item: position[item[1]]))
    result.unmatched_columns = [c for c in header if c not in taken]
    if mode != "update":
        result.required_unmatched = [
            f.name for f in target.required_fields() if f.name not in result.fields
        ]
    return result
